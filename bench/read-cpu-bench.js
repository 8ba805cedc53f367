// Server CPU milliseconds per read, vread and history of one record, from /proc (robust to other load
// on a shared machine): for before/after comparisons of the read response path (stored bytes served
// as they are, docs/architecture.md). Runs the built server as a child process.
//
//   npx tsc -p tsconfig.json && node bench/read-cpu-bench.js
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/read_bench node bench/read-cpu-bench.js
//
// BENCH_REQUESTS (default 20000) per interaction, BENCH_CONNECTIONS (default 10), BENCH_RECORDS (default 200).
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { root, benchServer, cpuSeconds, seedFixture } = require('./perf/lib');

// BENCH_DIST: another build to measure (e.g. a copy of dist/ from before a change).
const dist = process.env.BENCH_DIST || join(root, 'dist');
const requests = Number(process.env.BENCH_REQUESTS || 20000);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const records = Number(process.env.BENCH_RECORDS || 200);
const port = Number(process.env.BENCH_PORT || 3921);
const path = '/immunisation-fhir-api/FHIR/R4/Immunization';

async function main() {
  // Tokens live ten minutes: a fresh one for the measured phases, however long seeding took.
  const { service, token } = await benchServer({ port, prefix: 'imms-read-bench-', dist, env: { WORKERS: '1' } });
  const fixture = seedFixture();
  let headers = { authorization: `Bearer ${token()}`, 'content-type': 'application/fhir+json' };
  const ids = [];
  for (let n = 0; n < records; n++) {
    fixture.identifier[0].value = randomUUID();
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body: JSON.stringify(fixture) });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${await r.text()}`);
    const id = r.headers.get('location').split('/').pop();
    ids.push(id);
    // Two more versions so history has three entries.
    if (n % 2 === 0) {
      const body = { ...fixture, id, lotNumber: `L${n}` };
      const u = await fetch(`http://127.0.0.1:${port}${path}/${id}`, {
        method: 'PUT',
        headers: { ...headers, 'e-tag': '1' },
        body: JSON.stringify(body),
      });
      if (u.status !== 200) throw new Error(`update: ${u.status} ${await u.text()}`);
    }
  }
  headers = { ...headers, authorization: `Bearer ${token()}` };
  const out = { database: process.env.DATABASE_URL ? 'postgresql' : 'pglite', connections, requests };
  for (const [name, pathOf] of [
    ['read', (id) => `${path}/${id}`],
    ['vread', (id) => `${path}/${id}/_history/1`],
    ['history', (id) => `${path}/${id}/_history`],
    ['read', (id) => `${path}/${id}`],
  ]) {
    const probe = await fetch(`http://127.0.0.1:${port}${pathOf(ids[0])}`, { headers });
    if (probe.status !== 200) throw new Error(`${name}: ${probe.status} ${await probe.text()}`);
    let i = 0;
    const before = cpuSeconds(service.child.pid);
    const r = await run({
      url: `http://127.0.0.1:${port}${path}`,
      headers,
      setupRequest: (req) => ({ ...req, path: pathOf(ids[i++ % ids.length]) }),
    });
    // The first read round warms the JIT; the second one is reported.
    out[name] = { ...r, serverCpuMsPerRequest: +(((cpuSeconds(service.child.pid) - before) * 1000) / requests).toFixed(3) };
  }
  // Wait for the exit, so a next run can take the port.
  await service.stop();
  console.log(JSON.stringify(out));
}

function run(opts) {
  return new Promise((resolve, reject) => {
    const { setupRequest, ...rest } = opts;
    autocannon({ ...rest, connections, amount: requests, requests: [{ method: 'GET', setupRequest }] }, (err, r) => {
      if (err) return reject(err);
      resolve({ rps: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
