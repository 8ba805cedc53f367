#!/usr/bin/env node
'use strict';
// `npm run bench`: the service against PostgreSQL's own ceiling, in one run (bench/README.md).
// Starts the built service, seeds a population, drives each workload over HTTP, replays the
// statements the service sent for that workload straight to PostgreSQL at the same concurrency,
// and writes bench/RESULTS.md.
const { writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { Client, Pool } = require('pg');
const L = require('./lib');
const { captureProxy, replay } = require('./pgwire');
const { Seeder, TYPES } = require('./seed');
const { workloads, seededId, pickMix, MIX } = require('./workloads');

function options(argv) {
  const o = {
    quick: false,
    patients: 100_000,
    records: 1_000_000,
    seconds: 10,
    warmup: 3,
    connections: 10,
    workers: [1, 2],
    only: null,
    results: join(L.root, 'bench', 'RESULTS.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--quick') Object.assign(o, { quick: true, patients: 1_000, records: 10_000, seconds: 2, warmup: 1 });
    else if (a === '--patients') o.patients = Number(val());
    else if (a === '--records') o.records = Number(val());
    else if (a === '--seconds') o.seconds = Number(val());
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--connections') o.connections = Number(val());
    else if (a === '--workers') o.workers = val().split(',').map(Number);
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--results') o.results = val();
    else if (a === '--help') {
      console.log(
        'npm run bench -- [--quick] [--patients N] [--records N] [--seconds S] [--warmup S] [--connections N] [--workers 1,2] [--only name,…] [--results FILE]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (--help lists them)`);
  }
  // --quick sets the sizes; explicit options after it win, options before it are overridden.
  return o;
}

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

async function main() {
  const o = options(process.argv.slice(2));
  const started = Date.now();
  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/imms_bench';
  const pg = new URL(databaseUrl);
  const db = await L.recreateDatabase(databaseUrl);
  const files = L.benchFiles();
  // Background pollers off: they would add statements to the captures and CPU to the measurements.
  // One issuer for every instance (tokens are minted once, before the ports are known), and tokens
  // that outlive the run.
  const quiet = { BATCH_WORKER_ENABLED: 'false', ACCESS_TOKEN_TTL_SECONDS: '86400', PUBLIC_BASE_URL: 'http://127.0.0.1:3900' };
  const env = L.serviceEnv(files, databaseUrl, quiet);
  const tokenValue = L.token(env);
  const basePort = Number(process.env.BENCH_PORT || 3960);
  let service = await L.startService(env, basePort, { workers: o.workers[0] });
  log(`service up (${service.pids().length} process(es)); seeding ${o.records} records for ${o.patients} patients`);

  // Seed: templates through the API, the 10k-record stage, its search p99, then the rest.
  const seeder = new Seeder(databaseUrl, o);
  const tables = await seeder.templates(service.base, tokenValue);
  const stage1 = Math.min(o.records, Math.max(100, Math.round(o.records / 100)));
  let t0 = Date.now();
  await seeder.clone(0, stage1, stage1);
  const seedTimes = [(Date.now() - t0) / 1000];
  await seeder.check(service.base, tokenValue, [0, 1, 2, stage1 - 1]);
  const stage1Patients = seeder.stage1Patients(stage1);
  const scaleSearch = async () => {
    const wl = workloads({ records: stage1, patients: stage1Patients, updatePool: [] }).list['search, patient 1 type'];
    const next = () => wl.http();
    await L.httpLoad({ url: service.base, connections: o.connections, seconds: o.warmup, tokenValue, next });
    return L.httpLoad({ url: service.base, connections: o.connections, seconds: o.seconds, tokenValue, next });
  };
  const scale = { small: await scaleSearch(), smallRecords: stage1 };
  log(`stage 1: ${stage1} records seeded in ${seedTimes[0]} s and checked; search p99 ${scale.small.p99} ms`);
  t0 = Date.now();
  await seeder.clone(stage1, o.records, stage1);
  seedTimes.push((Date.now() - t0) / 1000);
  await seeder.check(service.base, tokenValue, [stage1, o.records - 1]);
  scale.large = await scaleSearch();
  scale.largeRecords = o.records;
  log(`stage 2: ${o.records - stage1} more records in ${seedTimes[1]} s and checked; same search p99 ${scale.large.p99} ms`);

  // Stored resources for update bodies; disjoint pools for HTTP updates and replayed updates.
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  // Update targets lent to one request at a time (workloads.js): room for every connection's
  // request cut off at the end of each run, and then some.
  const httpUpdates = 2000;
  const poolIds = Array.from({ length: httpUpdates + 2000 }, (_, i) => seededId(o.records - 1 - i));
  const stored = new Map(
    (await admin.query('SELECT id::text, resource::text FROM immunization WHERE id = ANY($1::uuid[])', [poolIds])).rows.map((r) => [
      r.id,
      JSON.parse(r.resource),
    ]),
  );
  const sizes = (await admin.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`)).rows[0].s;
  await admin.end();
  const ctx = {
    records: o.records,
    patients: seeder.nhs,
    stored: (id) => stored.get(id),
    updatePool: poolIds.slice(0, httpUpdates),
    replayUpdatePool: poolIds.slice(httpUpdates),
    replaySlot: 0,
  };
  const { list } = workloads(ctx);
  const names = Object.keys(list).filter((n) => !o.only || o.only.includes(n));

  // Capture: a second instance behind the wire-protocol proxy answers one request per workload
  // (after one warm-up request of the same kind, so first-use lookups are not captured).
  const proxy = await captureProxy(pg.hostname, Number(pg.port || 5432));
  const capUrl = new URL(databaseUrl);
  capUrl.hostname = '127.0.0.1';
  capUrl.port = String(proxy.port);
  const capturing = await L.startService(L.serviceEnv(files, capUrl.toString(), quiet), basePort + 1, { workers: 1 });
  const captured = {};
  const send = async (r) => {
    const res = await fetch(`http://127.0.0.1:${capturing.port}${r.path}`, {
      method: r.method,
      headers: { authorization: `Bearer ${tokenValue}`, 'content-type': 'application/fhir+json', ...(r.headers || {}) },
      body: r.body,
    });
    const text = await res.text();
    return { res, text };
  };
  // Two recorded requests per workload: if their statement texts differ, something other than the
  // request (a background task, a first-use lookup) was recorded, and the run says so.
  const captureNotes = [];
  for (const name of Object.keys(list).filter((n) => !list[n].mix)) {
    const wl = list[name];
    const recorded = [];
    for (let k = 0; k < 3; k++) {
      const r = wl.http({});
      await new Promise((res) => setTimeout(res, 300)); // let the audit recorder flush before recording
      if (k > 0) proxy.record();
      const { res, text } = await send(r);
      const statements = k > 0 ? proxy.stop() : null;
      if (res.status !== (wl.ok || 200)) throw new Error(`capture of ${name}: ${res.status} ${text.slice(0, 300)}`);
      if (wl.onResponse) wl.onResponse(res.status, Object.fromEntries(res.headers), r.vars);
      if (k > 0) {
        const vars = { ...r.vars };
        if (name === 'create') vars.id = res.headers.get('location').split('/').pop();
        recorded.push({ statements, vars });
      }
    }
    const texts = recorded.map((c) => c.statements.map((x) => x.text).join('\n;\n'));
    if (texts[0] !== texts[1]) {
      captureNotes.push(
        `${name}: two requests sent different statements (${recorded.map((c) => c.statements.length).join(' vs ')}); the shorter is replayed`,
      );
      log(`warning: ${captureNotes[captureNotes.length - 1]}`);
    }
    captured[name] = recorded.sort((a, b) => a.statements.length - b.statements.length)[0];
  }
  await capturing.stop();
  proxy.close();
  for (const [name, c] of Object.entries(captured)) log(`captured ${name}: ${c.statements.length} statements`);

  // HTTP side, per worker count.
  const http = {};
  for (const w of o.workers) {
    if (w !== o.workers[0] || !service) {
      await service?.stop();
      service = await L.startService(env, basePort, { workers: w });
    }
    http[w] = {};
    for (const name of names) http[w][name] = await runHttp(service, db, list, name, o, tokenValue);
  }
  await service.stop();
  service = null;

  // Ceiling: the captured statements from a plain pg pool.
  const ceiling = {};
  const pool = new Pool({ connectionString: databaseUrl, max: o.connections });
  for (const name of names) {
    const planOf = (n) => {
      const wl = list[n];
      const cap = captured[n];
      const target = wl.replayTarget ? wl.replayTarget() : null;
      return { statements: cap.statements, pairs: wl.pairs(cap.vars, target), after: wl.after ? () => wl.after(target) : undefined };
    };
    const plan = () => planOf(list[name].mix ? pickMix(MIX) : name);
    await replay({ pool, connections: o.connections, seconds: o.warmup, plan });
    const meter = new L.CpuMeter(() => [], db);
    const client = process.cpuUsage();
    const r = await replay({ pool, connections: o.connections, seconds: o.seconds, plan });
    const m = meter.stop();
    const used = process.cpuUsage(client);
    ceiling[name] = {
      ...r,
      pgCpuMs: (m.postgresCpu * 1000) / Math.max(1, r.requests),
      // The replaying process (node-postgres, as in the service) shares the cores: its cost per request.
      clientCpuMs: (used.user + used.system) / 1000 / Math.max(1, r.requests),
    };
    log(`ceiling ${name}: ${Math.round(r.rps)}/s p99 ${r.p99} ms errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`);
  }

  await pool.end();

  // Scale-out: one, then two instances (WORKERS=1 each) behind a local round-robin proxy.
  const scaleOut = {};
  if (!o.only || o.only.includes('mixed')) {
    for (const n of [1, 2]) {
      const instances = [];
      for (let k = 0; k < n; k++) instances.push(await L.startService(env, basePort + 2 + k, { workers: 1 }));
      const rr = await L.roundRobinProxy(instances.map((s) => s.port));
      const front = { base: `http://127.0.0.1:${rr.port}${L.FHIR}`, pids: () => instances.flatMap((s) => s.pids()) };
      scaleOut[n] = await runHttp(front, db, list, 'mixed', o, tokenValue);
      rr.close();
      for (const s of instances) await s.stop();
    }
  }

  const pgVersion = await (async () => {
    const c = new Client({ connectionString: databaseUrl });
    await c.connect();
    const v = (await c.query('SELECT version() AS v')).rows[0].v;
    await c.end();
    return v.split(',')[0];
  })();
  const report = render({
    o,
    databaseUrl,
    tables,
    seedTimes,
    sizes,
    stage1,
    stage1Patients: stage1Patients.length,
    scale,
    names,
    http,
    ceiling,
    scaleOut,
    captured,
    captureNotes,
    started,
    pgVersion,
  });
  writeFileSync(o.results, report);
  console.log(report);
}

/** One workload over HTTP: warm-up, then the measured run with CPU and RSS from /proc. */
async function runHttp(service, db, list, name, o, tokenValue) {
  const member = (n, conn) => {
    const r = list[n].http(conn);
    return { ...r, n };
  };
  const next = (conn) => {
    const r = member(list[name].mix ? pickMix(MIX) : name, conn);
    conn.last = r;
    return r;
  };
  // autocannon keeps one context per connection: the request it answers is the last one set up.
  const onResponse = (status, _body, headers, conn) => {
    const r = conn.last;
    if (r && list[r.n].onResponse) list[r.n].onResponse(status, headers, r.vars);
  };
  await L.httpLoad({ url: service.base, connections: o.connections, seconds: o.warmup, tokenValue, next, onResponse });
  const meter = new L.CpuMeter(service.pids, db);
  const r = await L.httpLoad({ url: service.base, connections: o.connections, seconds: o.seconds, tokenValue, next, onResponse });
  const m = meter.stop();
  const out = {
    ...r,
    serviceCpuMs: (m.serviceCpu * 1000) / Math.max(1, r.requests),
    pgCpuMs: (m.postgresCpu * 1000) / Math.max(1, r.requests),
    rssMb: m.rssMb,
  };
  log(
    `http ${name}: ${Math.round(r.rps)}/s p99 ${r.p99} ms errors ${r.errors} CPU ${out.serviceCpuMs.toFixed(2)} ms RSS ${m.rssMb.join('/')} MB`,
  );
  return out;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0].model} × ${cpus.length}`,
    ram: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(', '),
  };
}

const f = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Number(x).toFixed(d));

function render({
  o,
  databaseUrl,
  tables,
  seedTimes,
  sizes,
  stage1,
  stage1Patients,
  scale,
  names,
  http,
  ceiling,
  scaleOut,
  captured,
  captureNotes,
  started,
  pgVersion,
}) {
  const m = machine();
  const w = o.workers;
  const lines = [];
  lines.push('# Benchmark results (`npm run bench`)', '');
  lines.push(
    `Generated ${new Date().toISOString()} by \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` in ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  );
  lines.push(
    `- Machine: ${m.cpu}, ${m.ram} RAM; Node ${m.node}; ${pgVersion} on the same machine; load average at the end ${m.load} (\`uptime\`).`,
  );
  lines.push(
    `- Options: ${o.records.toLocaleString('en')} records for ${o.patients.toLocaleString('en')} patients (${TYPES.length} vaccine types, ten years), ${o.connections} connections, ${o.seconds} s per workload after ${o.warmup} s warm-up; database ${new URL(databaseUrl).pathname.slice(1)} (${sizes}).`,
  );
  lines.push(
    `- Seeded through templates created by the API and cloned in SQL into ${tables.join(', ')} in ${seedTimes.map((s) => `${s.toFixed(0)} s`).join(' + ')}; checked column by column against API creates.`,
  );
  lines.push(
    `- Mixed workload: ${MIX.map(([n, s]) => `${s * 100} % ${n}`).join(', ')}. Ratio = service requests/s ÷ ceiling requests/s (ceiling = the statements the service sent for one such request, captured on the wire, replayed from a \`pg\` pool of ${o.connections}).`,
  );
  for (const n of captureNotes) lines.push(`- Capture: ${n}.`);
  for (const k of w) {
    const seen = Math.max(...names.map((n) => http[k][n].rssMb.length));
    lines.push(
      `- \`WORKERS=${k}\`: ${seen} service process(es) seen${seen < k ? ' (this build does not fork workers: both columns measure one process)' : ''}.`,
    );
  }
  lines.push('');
  lines.push(`## Service over HTTP vs the PostgreSQL ceiling`, '');
  const head = ['workload', 'statements'];
  for (const k of w)
    head.push(`W=${k} req/s`, `W=${k} p50/p95/p99 ms`, `W=${k} errors`, `W=${k} svc CPU ms/req`, `W=${k} PG CPU ms/req`, `W=${k} RSS MB`);
  head.push('ceiling req/s', 'ceiling p50/p95/p99 ms', 'ceiling errors', 'ceiling PG CPU ms/req', 'ceiling client CPU ms/req');
  for (const k of w) head.push(`ratio W=${k}`);
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const n of names) {
    const c = ceiling[n] || {};
    const row = [n, captured[n] ? captured[n].statements.length : 'mix'];
    for (const k of w) {
      const h = http[k][n];
      row.push(
        f(h.rps),
        `${f(h.p50, 1)} / ${f(h.p95, 1)} / ${f(h.p99, 1)}`,
        h.errors,
        f(h.serviceCpuMs, 2),
        f(h.pgCpuMs, 2),
        h.rssMb.join(', '),
      );
    }
    row.push(f(c.rps), `${f(c.p50, 1)} / ${f(c.p95, 1)} / ${f(c.p99, 1)}`, c.errors, f(c.pgCpuMs, 2), f(c.clientCpuMs, 2));
    for (const k of w) row.push(f(http[k][n].rps / c.rps, 2));
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');
  lines.push('## Search p99 against table size (same patient-history size)', '');
  lines.push('| records | patients searched | req/s | p50 ms | p99 ms |', '|---|---|---|---|---|');
  for (const [recs, r] of [
    [scale.smallRecords, scale.small],
    [scale.largeRecords, scale.large],
  ])
    lines.push(
      `| ${recs.toLocaleString('en')} | ${stage1Patients.toLocaleString('en')} of the first stage | ${f(r.rps)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} |`,
    );
  lines.push(
    '',
    `p99 ratio large ÷ small: ${f(scale.large.p99 / scale.small.p99, 2)} (workload: search, patient 1 type; ${stage1} records in the first stage).`,
    '',
  );
  if (scaleOut[1]) {
    lines.push('## Scale-out: instances behind a local round-robin TCP proxy, one PostgreSQL (mixed workload)', '');
    lines.push('| instances | req/s | p99 ms | errors | svc CPU ms/req |', '|---|---|---|---|---|');
    for (const k of [1, 2])
      lines.push(`| ${k} | ${f(scaleOut[k].rps)} | ${f(scaleOut[k].p99, 1)} | ${scaleOut[k].errors} | ${f(scaleOut[k].serviceCpuMs, 2)} |`);
    lines.push('', `Throughput 2 ÷ 1 instances: ${f(scaleOut[2].rps / scaleOut[1].rps, 2)}.`, '');
  }
  return lines.join('\n') + '\n';
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
