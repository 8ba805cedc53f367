// Creates/s and reads/s over HTTP against the built server, run as a child process so the load
// generator (autocannon, in this process) and the server each get their own core.
//
//   npx tsc -p tsconfig.json && node bench/write-read-bench.js
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench node bench/write-read-bench.js
//
// BENCH_SECONDS (default 10) per phase, BENCH_CONNECTIONS (default 10); BENCH_SERVER_NODE_ARGS
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile the server.
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const { benchServer, seedFixture } = require('./perf/lib');

const seconds = Number(process.env.BENCH_SECONDS || 10);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3917);
const base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;

async function main() {
  const { service, token: mint } = await benchServer({ port, prefix: 'imms-bench-' });
  const token = mint();
  const fixture = seedFixture();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const ids = [];
  const create = await run('create', {
    url: `${base}/Immunization`,
    method: 'POST',
    headers,
    setupRequest: (req) => {
      fixture.identifier[0].value = randomUUID();
      return { ...req, body: JSON.stringify(fixture) };
    },
    onResponse: (status, _body, _ctx, h) =>
      status === 201 &&
      ids.push(
        String(h.location ?? h.Location)
          .split('/')
          .pop(),
      ),
  });
  let i = 0;
  const read = await run('read', {
    url: `${base}/Immunization`,
    method: 'GET',
    headers,
    setupRequest: (req) => ({ ...req, path: `/immunisation-fhir-api/FHIR/R4/Immunization/${ids[i++ % ids.length]}` }),
  });
  await service.stop();
  console.log(
    JSON.stringify({
      database: process.env.DATABASE_URL ? 'postgresql' : 'pglite',
      connections,
      seconds,
      create,
      read,
      readsPerCreate: +(read.rps / create.rps).toFixed(2),
    }),
  );
}

function run(name, opts) {
  return new Promise((resolve, reject) => {
    const onResponse = opts.onResponse;
    const instance = autocannon(
      { ...opts, connections, duration: seconds, requests: [{ method: opts.method, setupRequest: opts.setupRequest, onResponse }] },
      (err, r) => {
        if (err) return reject(err);
        resolve({ rps: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
      },
    );
    void instance;
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
