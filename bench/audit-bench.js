// Audit-trail overhead on reads/s: the same server process answers GET /Immunization/{id} with the
// audit trail recording (normal) and with its recorder switched off (AuditTrail.add replaced by a
// no-op, bench only: the server has no such switch), in alternating phases so machine load drifts
// evenly over both. Ratios come from one run.
//
//   npx tsc -p tsconfig.json && node bench/audit-bench.js
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_audit node bench/audit-bench.js
//
// BENCH_SECONDS (default 5) per phase, BENCH_ROUNDS (default 2) off/on pairs, BENCH_CONNECTIONS (10).
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { root, benchFiles, serviceEnv, recreateDatabase, seedFixture } = require('./perf/lib');

const seconds = Number(process.env.BENCH_SECONDS || 5);
const rounds = Number(process.env.BENCH_ROUNDS || 2);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
let port = Number(process.env.BENCH_PORT || 0);
let base;

async function main() {
  // The server runs in this process (its audit recorder is switched here): only its files come from lib.
  const files = benchFiles({}, 'imms-audit-bench-');
  if (process.env.DATABASE_URL) await recreateDatabase(process.env.DATABASE_URL);
  const { loadConfig } = require(join(root, 'dist/config/app-config'));
  const { createApp } = require(join(root, 'dist/bootstrap'));
  const { JsonLogger } = require(join(root, 'dist/logging/json-logger'));
  const { AuditTrail } = require(join(root, 'dist/audit/audit-trail'));
  const { TokenService } = require(join(root, 'dist/auth/token.service'));
  const { Database } = require(join(root, 'dist/database/database'));
  const config = loadConfig(serviceEnv(files, process.env.DATABASE_URL, { PORT: String(port || 3000) }));
  const app = await createApp(config, new JsonLogger('warn'));
  await app.listen(port, '127.0.0.1');
  port = app.getHttpServer().address().port;
  base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;
  const trail = app.get(AuditTrail);
  const record = trail.add.bind(trail);
  const token = (await app.get(TokenService).issue('bench')).access_token;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const fixture = seedFixture();
  const ids = [];
  for (let i = 0; i < 100; i++) {
    fixture.identifier[0].value = randomUUID();
    const res = await fetch(`${base}/Immunization`, { method: 'POST', headers, body: JSON.stringify(fixture) });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    ids.push(res.headers.get('location').split('/').pop());
  }
  const reads = async () => {
    let i = 0;
    const r = await autocannon({
      url: `${base}/Immunization/${ids[0]}`,
      connections,
      duration: seconds,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, path: `/immunisation-fhir-api/FHIR/R4/Immunization/${ids[i++ % ids.length]}` }) }],
    });
    if (r.non2xx) throw new Error(`${r.non2xx} non-2xx reads`);
    return { rps: r.requests.average, p99: r.latency.p99 };
  };
  await reads(); // warm-up
  const results = { off: [], on: [] };
  // off,on then on,off: neither mode always runs first after the other.
  for (let k = 0; k < rounds; k++) {
    for (const mode of k % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      trail.add = mode === 'on' ? record : () => {};
      results[mode].push(await reads());
    }
  }
  trail.add = record;
  await trail.flush();
  const { rows } = await app.get(Database).query("SELECT count(*)::int AS n FROM audit_event WHERE interaction = 'read'");
  await app.close();
  const avg = (xs, f) => xs.reduce((s, x) => s + x[f], 0) / xs.length;
  const off = avg(results.off, 'rps');
  const on = avg(results.on, 'rps');
  console.log(
    JSON.stringify({
      database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
      seconds,
      rounds,
      connections,
      readsPerSecondAuditOff: Math.round(off),
      readsPerSecondAuditOn: Math.round(on),
      ratioOnOff: +(on / off).toFixed(3),
      p99msOff: avg(results.off, 'p99'),
      p99msOn: avg(results.on, 'p99'),
      auditReadRows: rows[0].n,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
