// CPU milliseconds per create, read by id and patient search — server (every process of it, so
// WORKERS>1 counts) and PostgreSQL backends — from /proc, so the figures do not depend on what
// else the shared machine is doing. For comparing a change before/after; `npm run bench` is the
// full benchmark with the ceiling.
//
//   npx tsc -p tsconfig.json
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpu_bench node bench/cpu-per-request-bench.js
//   WORKERS=2 BENCH_SECONDS=10 BENCH_CONNECTIONS=10 DATABASE_URL=… node bench/cpu-per-request-bench.js
//
// BENCH_WARMUP seconds per workload (default 3), BENCH_WORKLOADS=create,read,search;
// BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (each worker).
const { randomUUID } = require('node:crypto');
const { loadavg } = require('node:os');
const autocannon = require('autocannon');
const { benchServer, CpuMeter, nhsNumbers, seedFixture } = require('./perf/lib');

const seconds = Number(process.env.BENCH_SECONDS || 8);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3919);
const warmup = Number(process.env.BENCH_WARMUP || 3);
/** BENCH_WORKLOADS=read,search measures only those (creates still run as warm-up: reads need records). */
const measured = (process.env.BENCH_WORKLOADS || 'create,read,search').split(',');
const path = '/immunisation-fhir-api/FHIR/R4/Immunization';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

function run(opts, duration = seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}${path}`,
        connections,
        duration,
        headers: opts.headers,
        requests: [{ method: opts.method, setupRequest: opts.setupRequest, onResponse: opts.onResponse }],
      },
      (err, r) =>
        err
          ? reject(err)
          : resolve({ rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, n: r.requests.total, non2xx: r.non2xx }),
    );
  });
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL (PostgreSQL) is required');
  const db = new URL(url).pathname.slice(1);
  const { service, token: mint } = await benchServer({ port, databaseUrl: url, prefix: 'imms-cpu-' });
  const token = mint();

  const fixture = seedFixture();
  const patients = nhsNumbers(2000, 600_000_000);
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const ids = [];
  const workloads = {
    create: {
      method: 'POST',
      headers,
      setupRequest: (req) => {
        fixture.identifier[0].value = randomUUID();
        fixture.contained.find((r) => r.resourceType === 'Patient').identifier[0].value = pick(patients);
        return { ...req, body: JSON.stringify(fixture) };
      },
      onResponse: (status, _b, _c, h) =>
        status === 201 &&
        ids.push(
          String(h.location ?? h.Location)
            .split('/')
            .pop(),
        ),
    },
    read: { method: 'GET', headers, setupRequest: (req) => ({ ...req, path: `${path}/${pick(ids)}` }) },
    search: {
      method: 'GET',
      headers,
      setupRequest: (req) => ({
        ...req,
        path: `${path}?${new URLSearchParams({ 'patient.identifier': `${NHS}|${pick(patients)}`, '-immunization.target': 'COVID' })}`,
      }),
    },
  };
  const results = {};
  for (const [name, w] of Object.entries(workloads)) {
    await run(w, warmup); // warm-up: JIT, plan and buffer caches
    if (!measured.includes(name)) continue;
    // Every process of the server (WORKERS>1 counts) and the PostgreSQL backends on db.
    const meter = new CpuMeter(service.pids, db);
    const r = await run(w);
    const m = meter.stop();
    r.serverCpuMs = +((m.serviceCpu * 1000) / r.n).toFixed(3);
    r.postgresCpuMs = +((m.postgresCpu * 1000) / r.n).toFixed(3);
    results[name] = r;
    console.error(
      `${name.padEnd(7)} ${String(r.rps).padStart(6)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  CPU/request: server ${r.serverCpuMs} ms, PostgreSQL ${r.postgresCpuMs} ms`,
    );
  }
  await service.stop();
  console.log(
    JSON.stringify({
      workers: process.env.WORKERS ?? 'default',
      connections,
      seconds,
      loadAverage: loadavg().map((x) => +x.toFixed(2)),
      results,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
