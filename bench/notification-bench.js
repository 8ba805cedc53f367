#!/usr/bin/env node
// Change-notification delivery on PostgreSQL: latency from commit to receipt (p50/p99) at a steady
// write rate, and the delivery rate the relay sustains when writes come as fast as they can.
// The built server runs as a child process with its relay on; a rest-hook receiver runs here.
//
//   npx tsc -p tsconfig.json
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/notification_bench node bench/notification-bench.js
//
// The database named in DATABASE_URL is dropped and recreated. BENCH_SUBSCRIPTIONS (default 2)
// unfiltered rest-hook subscriptions. Phase 1 (latency): BENCH_RATE creates/s (default 100) for
// BENCH_SECONDS (default 10), each signal timed from commit to receipt. Phase 2 (throughput): the
// receiver refuses (503) while BENCH_BURST creates (default 3000) are written with
// BENCH_CONCURRENCY (default 16) in flight, then accepts: the relay drains the backlog, and the
// rate it does so at is the sustained delivery rate.
'use strict';
const { randomUUID } = require('node:crypto');
const { createServer } = require('node:http');
const { loadavg } = require('node:os');
const { benchServer, nhsNumber, seedFixture } = require('./perf/lib');

const port = Number(process.env.BENCH_PORT || 3919);
const subscriptions = Number(process.env.BENCH_SUBSCRIPTIONS || 2);
const rate = Number(process.env.BENCH_RATE || 100);
const seconds = Number(process.env.BENCH_SECONDS || 10);
const burst = Number(process.env.BENCH_BURST || 3000);
const concurrency = Number(process.env.BENCH_CONCURRENCY || 16);
const base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

let stem = 600_000_000;
/** The next valid NHS number (modulus 11). */
function nextNhs() {
  for (;;) {
    const n = nhsNumber(stem++);
    if (n) return n;
  }
}

const seedBody = seedFixture();
function body() {
  const b = structuredClone(seedBody);
  b.contained.find((r) => r.resourceType === 'Patient').identifier = [{ system: NHS, value: nextNhs() }];
  b.identifier = [{ system: 'https://bench.example/ids', value: randomUUID() }];
  return JSON.stringify(b);
}

const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const ms = (x) => Math.round(x * 10) / 10;

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:/.test(url)) {
    console.error('DATABASE_URL (PostgreSQL) is required: this measures the PostgreSQL deployment.');
    process.exit(2);
  }
  // The receiver: when each signal arrived, keyed by subscription and record.
  const arrivals = new Map(); // subscription id -> Map(record id -> { at, n, recordedAt })
  let received = 0;
  let refusing = false;
  const receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (refusing) return res.writeHead(503).end();
      const at = performance.timeOrigin + performance.now();
      const s = JSON.parse(raw);
      const params = s.entry[0].resource.parameter;
      const sub = params
        .find((p) => p.name === 'subscription')
        .valueReference.reference.split('/')
        .pop();
      const ev = params.find((p) => p.name === 'notification-event').part;
      const id = ev
        .find((p) => p.name === 'focus')
        .valueReference.reference.split('/')
        .pop();
      const byRecord = arrivals.get(sub) ?? arrivals.set(sub, new Map()).get(sub);
      byRecord.set(id, {
        at,
        n: Number(ev.find((p) => p.name === 'event-number').valueString),
        recordedAt: Date.parse(ev.find((p) => p.name === 'timestamp').valueInstant),
      });
      received++;
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;

  const { service, token: mint } = await benchServer({
    port,
    databaseUrl: url,
    prefix: 'imms-notification-bench-',
    env: {
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      NOTIFICATION_RELAY_ENABLED: 'true',
      SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*',
      // Phase 2 holds deliveries back with 503s: retry soon, and never give up.
      NOTIFICATION_RETRY_BASE_MS: '50',
      NOTIFICATION_RETRY_MAX_MS: '200',
      NOTIFICATION_MAX_ATTEMPTS: '1000',
    },
  });
  const token = mint();

  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' };
  const subIds = [];
  for (let i = 0; i < subscriptions; i++) {
    const res = await fetch(`${base}/Subscription`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'bench',
        criteria: 'eventType=imms-vaccination-record-change-1',
        channel: { type: 'rest-hook', endpoint: `${hook}/${i}`, payload: 'application/fhir+json' },
      }),
    });
    if (res.status !== 201) throw new Error(`subscription: ${res.status} ${await res.text()}`);
    subIds.push(res.headers.get('location').split('/').pop());
  }

  const createMs = [];
  /** One create; returns the record id and when its 201 arrived (the change had committed by then). */
  async function create() {
    const sent = performance.now();
    const res = await fetch(`${base}/Immunization`, { method: 'POST', headers, body: body() });
    const at = performance.timeOrigin + performance.now();
    createMs.push(performance.now() - sent);
    if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    return { id: res.headers.get('location').split('/').pop(), at };
  }
  const waitFor = async (count, timeoutMs) => {
    const until = Date.now() + timeoutMs;
    while (received < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return received >= count;
  };
  // Warm-up (JIT, connections, plans), not measured.
  for (let i = 0; i < 50; i++) await create();
  await waitFor(50 * subscriptions, 30_000);
  arrivals.clear();
  received = 0;

  // Phase 1: a steady rate; latency commit -> receipt, per delivered signal.
  createMs.length = 0;
  const steady = [];
  const started = Date.now();
  const inflight = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(create().then((c) => steady.push(c)));
  }
  await Promise.all(inflight);
  const drained = await waitFor(steady.length * subscriptions, 60_000);
  const fromResponse = [];
  const fromRecorded = [];
  for (const sub of subIds) {
    for (const c of steady) {
      const a = arrivals.get(sub)?.get(c.id);
      if (!a) continue;
      fromResponse.push(a.at - c.at);
      fromRecorded.push(a.at - a.recordedAt);
    }
  }
  fromResponse.sort((x, y) => x - y);
  fromRecorded.sort((x, y) => x - y);
  const creates = [...createMs].sort((x, y) => x - y);
  const phase1 = {
    offeredWritesPerSecond: rate,
    writes: steady.length,
    // How long the creates themselves took: a signal waits for every write that started before it to commit.
    createMs: { p50: ms(quantile(creates, 0.5)), p99: ms(quantile(creates, 0.99)) },
    delivered: fromRecorded.length,
    complete: drained,
    // From the 201 the client saw (after commit): a lower bound, can even be negative.
    fromResponseMs: { p50: ms(quantile(fromResponse, 0.5)), p99: ms(quantile(fromResponse, 0.99)), max: ms(fromResponse.at(-1)) },
    // From the change's recorded time (set in the write transaction, just before commit): an upper bound.
    fromRecordedMs: { p50: ms(quantile(fromRecorded, 0.5)), p99: ms(quantile(fromRecorded, 0.99)), max: ms(fromRecorded.at(-1)) },
  };
  console.error(
    `steady ${rate}/s x ${seconds}s (create p50 ${phase1.createMs.p50} ms, p99 ${phase1.createMs.p99} ms): ${phase1.delivered}/${steady.length * subscriptions} delivered; commit->receipt p50 ${phase1.fromRecordedMs.p50} ms, p99 ${phase1.fromRecordedMs.p99} ms (from the 201: p50 ${phase1.fromResponseMs.p50} ms, p99 ${phase1.fromResponseMs.p99} ms)`,
  );

  // Phase 2: a backlog written while the receiver refuses, then drained: the sustained delivery rate.
  arrivals.clear();
  received = 0;
  refusing = true;
  const w0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < burst) await create();
    }),
  );
  const writeSeconds = (performance.now() - w0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const d0 = performance.timeOrigin + performance.now();
  refusing = false;
  const complete = await waitFor(burst * subscriptions, 300_000);
  const d1 = Math.max(...[...arrivals.values()].flatMap((m) => [...m.values()].map((a) => a.at)));
  const perSub = subIds.map((sub) => {
    const list = [...(arrivals.get(sub)?.values() ?? [])].sort((x, y) => x.n - y.n);
    const gaps = list.filter((a, i) => i > 0 && a.n !== list[i - 1].n + 1).length;
    const last = Math.max(...list.map((a) => a.at));
    return { delivered: list.length, eventsPerSecond: Math.round(list.length / ((last - d0) / 1000)), gaps };
  });
  const phase2 = {
    backlog: burst,
    complete,
    writesPerSecond: Math.round(burst / writeSeconds),
    drainSeconds: +((d1 - d0) / 1000).toFixed(2),
    eventsPerSecondAllSubscriptions: Math.round(received / ((d1 - d0) / 1000)),
    perSubscription: perSub,
  };
  console.error(
    `backlog of ${burst} changes (written at ${phase2.writesPerSecond}/s): drained in ${phase2.drainSeconds} s, ${phase2.eventsPerSecondAllSubscriptions} events/s over ${subscriptions} subscriptions (${perSub.map((p) => p.eventsPerSecond).join(', ')} per subscription), gaps ${perSub.map((p) => p.gaps).join(', ')}`,
  );

  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  await service.stop();
  receiver.close();
  console.log(
    JSON.stringify({
      database: 'postgresql',
      loadAverage: loadavg().map((x) => +x.toFixed(2)),
      subscriptions,
      phase1,
      phase2,
      refusedAttempts: /notification_delivery_failures_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? '0',
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
