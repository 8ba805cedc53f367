// Creates/s and reads/s over HTTP against the built server, run as a child process so the load
// generator (autocannon, in this process) and the server each get their own core.
//
//   npx tsc -p tsconfig.json && node bench/write-read-bench.js
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench node bench/write-read-bench.js
//
// BENCH_SECONDS (default 10) per phase, BENCH_CONNECTIONS (default 10); BENCH_SERVER_NODE_ARGS
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile the server.
const { spawn, execFileSync } = require('node:child_process');
const { generateKeyPairSync, randomUUID } = require('node:crypto');
const { mkdtempSync, writeFileSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');

const root = join(__dirname, '..');
const seconds = Number(process.env.BENCH_SECONDS || 10);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3917);
const base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'imms-bench-'));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  // A supplier of its own with no rate limit (the example suppliers' limits would turn load into 429s).
  const suppliersFile = join(dir, 'suppliers.json');
  const clientKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  writeFileSync(
    suppliersFile,
    JSON.stringify({
      suppliers: [
        { name: 'BENCH', permissions: ['*.CRUDS'], clients: [{ clientId: 'bench', jwks: { keys: [{ ...clientKey, kid: 'bench' }] } }] },
      ],
    }),
  );
  const env = {
    ...process.env,
    SUPPLIERS_FILE: suppliersFile,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: process.env.DATABASE_URL ? 'memory://' : join(dir, 'data'),
    AUTH_SIGNING_KEY_FILE: keyFile,
    LOG_LEVEL: 'warn',
    NOTIFICATION_RELAY_ENABLED: 'false',
  };
  if (process.env.DATABASE_URL) {
    const db = new URL(process.env.DATABASE_URL).pathname.slice(1);
    execFileSync('psql', [
      new URL('/postgres', process.env.DATABASE_URL).toString(),
      '-qc',
      `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`,
      '-c',
      `CREATE DATABASE ${db}`,
    ]);
  }
  const token = execFileSync(process.execPath, [join(root, 'dist/auth/token-cli.js'), '--supplier', 'BENCH'], { env })
    .toString()
    .trim();
  const server = spawn(
    process.execPath,
    [...(process.env.BENCH_SERVER_NODE_ARGS || '').split(' ').filter(Boolean), join(root, 'dist/main.js')],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  server.on('exit', (c) => c && process.exit(1));
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/immunization.seed.json'), 'utf8'));
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
  server.kill('SIGTERM');
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
