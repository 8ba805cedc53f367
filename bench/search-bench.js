#!/usr/bin/env node
// Searches/s and latency over HTTP at 100,000 records on PostgreSQL. The built server runs as a
// child process; the load generator (autocannon) runs here, so each gets its own core.
//
//   npx tsc -p tsconfig.json
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench node bench/search-bench.js
//
// The database named in DATABASE_URL is dropped and recreated. The server migrates it, then this
// script fills the search projection with BENCH_ROWS (default 100000) records in one
// INSERT … SELECT generate_series (realistic stored resources: the OpenAPI create example, one per
// row), 5 records per patient on average plus one patient with a long history, and ANALYZEs it.
// BENCH_SECONDS (default 10) per workload, BENCH_CONNECTIONS (default 10).
'use strict';
const { existsSync } = require('node:fs');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { benchServer, CpuMeter, nhsNumbers, seedFixture } = require('./perf/lib');

const rows = Number(process.env.BENCH_ROWS || 100_000);
const seconds = Number(process.env.BENCH_SECONDS || 10);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3918);
const path = '/immunisation-fhir-api/FHIR/R4/Immunization';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ID_SYSTEM = 'https://bench.example/ids';
const TYPES = ['FLU', 'COVID', 'MMR', 'RSV', 'HPV'];
const PATIENTS = Math.max(1, Math.floor(rows / 5));
const HEAVY_ROWS = 600;

/** The stored representation with placeholders, key order as the write side stores it. */
function template() {
  const { resourceType, ...rest } = seedFixture();
  rest.contained.find((r) => r.resourceType === 'Patient').identifier = [{ system: NHS, value: '__NHS__' }];
  rest.identifier = [{ system: ID_SYSTEM, value: '__ID__' }];
  rest.occurrenceDateTime = '__OCC__';
  return JSON.stringify({ resourceType, id: '__ID__', meta: { versionId: '1', lastUpdated: '2025-01-01T00:00:00.000Z' }, ...rest });
}

async function seed(url, patients, heavy) {
  const c = new Client({ connectionString: url });
  await c.connect();
  const started = Date.now();
  await c.query(
    `INSERT INTO search_immunization
       (id, nhs_number, vaccine_type, occurrence, occurrence_date, identifier_system, identifier_value, version, resource)
     SELECT id, nhs, vt, occ, (occ AT TIME ZONE 'UTC')::date, $6, id::text, 1,
            replace(replace(replace($5::text, '__ID__', id::text), '__NHS__', nhs),
                    '__OCC__', to_char(occ AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))::json
       FROM (SELECT md5('bench' || g)::uuid AS id,
                    CASE WHEN g <= $3 THEN $4::text ELSE ($2::text[])[1 + g % cardinality($2::text[])] END AS nhs,
                    ($7::text[])[1 + (g / 7) % cardinality($7::text[])] AS vt,
                    timestamptz '2015-01-01 00:00:00+00' + ((g * 7919) % 3650) * interval '1 day' + (g % 1440) * interval '1 minute' AS occ
               FROM generate_series(1, $1::int) g) s`,
    [rows, patients, HEAVY_ROWS, heavy, template(), ID_SYSTEM, TYPES],
  );
  await c.query('ANALYZE search_immunization');
  const { rows: ids } = await c.query('SELECT identifier_value FROM search_immunization ORDER BY random() LIMIT 5000');
  const { rows: size } = await c.query(`SELECT pg_size_pretty(pg_total_relation_size('search_immunization')) AS size`);
  await c.end();
  return { seconds: (Date.now() - started) / 1000, identifiers: ids.map((r) => r.identifier_value), tableSize: size[0].size };
}

function run(token, pathFor, duration = seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}${path}`,
        connections,
        duration,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathFor() }) }],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          searchesPerSecond: Math.round(r.requests.average),
          p50ms: r.latency.p50,
          p99ms: r.latency.p99,
          kBPerResponse: Math.round(r.throughput.total / Math.max(1, r.requests.total) / 1024),
          requests: r.requests.total,
          non2xx: r.non2xx,
          errors: r.errors,
        });
      },
    );
  });
}

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'DATABASE_URL (PostgreSQL) is required: the script seeds the projection directly, which an embedded PGlite owned by the server process does not allow.',
    );
    process.exit(2);
  }
  const db = new URL(url).pathname.slice(1);
  // A supplier of its own: search-only and without a rate limit (config/suppliers.json caps EMIS at 500/s).
  const { service, token: mint } = await benchServer({
    port,
    databaseUrl: url,
    prefix: 'imms-search-bench-',
    supplier: { permissions: ['*.S'] },
    // One process: the server CPU per search below is that process's (WORKERS=auto would fork).
    env: { WORKERS: process.env.WORKERS || '1' },
  });
  const token = mint();

  const [heavy, ...patients] = nhsNumbers(PATIENTS + 1, 500_000_000);
  const seeded = await seed(url, patients, heavy);
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  const q = (params) => `${path}?${new URLSearchParams(params)}`;
  const workloads = {
    'patient, one type': () => q({ 'patient.identifier': `${NHS}|${pick(patients)}`, '-immunization.target': 'FLU' }),
    'patient, five types': () => q({ 'patient.identifier': `${NHS}|${pick(patients)}`, '-immunization.target': TYPES.join(',') }),
    'patient, target-disease (measles)': () =>
      q({ 'patient.identifier': `${NHS}|${pick(patients)}`, 'target-disease': 'http://snomed.info/sct|14189004' }),
    identifier: () => q({ identifier: `${ID_SYSTEM}|${pick(seeded.identifiers)}` }),
    [`long history (${HEAVY_ROWS} records, _count=100)`]: () =>
      q({ 'patient.identifier': `${NHS}|${heavy}`, '-immunization.target': TYPES.join(','), _count: '100' }),
  };
  const results = {};
  for (const [name, pathFor] of Object.entries(workloads)) {
    await run(token, pathFor, Math.min(3, seconds)); // warm-up: JIT, plan cache, buffer cache
    // CPU seconds (user + system) of the server process and of the PostgreSQL backends serving
    // the bench database, from /proc (Linux; none elsewhere): per-search CPU cost that, unlike
    // requests/s, does not depend on what else the machine is doing.
    const meter = existsSync('/proc/self/stat') ? new CpuMeter(() => [service.child.pid], db) : null;
    const r = await run(token, pathFor);
    const m = meter?.stop();
    if (m) {
      r.serverCpuMsPerSearch = +((m.serviceCpu * 1000) / r.requests).toFixed(2);
      r.postgresCpuMsPerSearch = +((m.postgresCpu * 1000) / r.requests).toFixed(2);
    }
    results[name] = r;
    const cpu = m ? `  CPU/search: server ${r.serverCpuMsPerSearch} ms, PostgreSQL ${r.postgresCpuMsPerSearch} ms` : '';
    console.error(
      `${name.padEnd(42)} ${String(r.searchesPerSecond).padStart(6)}/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  ${r.kBPerResponse} kB/response  non-2xx ${r.non2xx}${cpu}`,
    );
  }
  await service.stop();
  console.log(
    JSON.stringify({
      database: 'postgresql',
      loadAverage: require('node:os')
        .loadavg()
        .map((x) => +x.toFixed(2)),
      rows,
      patients: PATIENTS,
      seedSeconds: seeded.seconds,
      tableSize: seeded.tableSize,
      connections,
      seconds,
      results,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
