// Time and SQL statements of a patient merge (POST /Patient/$merge) moving N records, against the
// built server as a child process.
//
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://postgres@127.0.0.1:5432/merge_bench node bench/patient-merge-bench.js
//
// BENCH_RECORDS (default "50,1000"): one merge per size, each of a fresh patient; every tenth
// record is deleted before the merge (deleted records move too). The database named in
// DATABASE_URL is dropped and recreated. Without DATABASE_URL it runs on PGlite in a temp dir.
const { spawn, execFileSync } = require('node:child_process');
const { generateKeyPairSync, randomUUID } = require('node:crypto');
const { mkdtempSync, writeFileSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const sizes = (process.env.BENCH_RECORDS || '50,1000').split(',').map(Number);
const port = Number(process.env.BENCH_PORT || 3961);
const base = `http://127.0.0.1:${port}/immunisation-fhir-api/FHIR/R4`;
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

function nhsNumber() {
  for (;;) {
    const stem = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
    const sum = [...stem].reduce((a, d, i) => a + Number(d) * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check !== 10) return stem + String(check === 11 ? 0 : check);
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'imms-merge-bench-'));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const suppliersFile = join(dir, 'suppliers.json');
  const clientKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  writeFileSync(
    suppliersFile,
    JSON.stringify({
      suppliers: [
        {
          name: 'BENCH',
          permissions: ['*.CRUDS'],
          roles: ['patient-admin'],
          clients: [{ clientId: 'bench', jwks: { keys: [{ ...clientKey, kid: 'bench' }] } }],
        },
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
    LOG_LEVEL: 'info',
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
  const server = spawn(process.execPath, [join(root, 'dist/main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop();
    for (const l of parts) if (l.includes('"msg":"request"') && l.includes('$merge')) lines.push(JSON.parse(l));
  });
  server.on('exit', (c) => c && process.exit(1));
  for (;;) {
    if (
      await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/immunization.seed.json'), 'utf8'));
  const results = [];
  for (const n of sizes) {
    const [from, to] = [nhsNumber(), nhsNumber()];
    const ids = [];
    for (let i = 0; i < n; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async () => {
          const body = structuredClone(fixture);
          body.identifier[0].value = randomUUID();
          body.contained.find((c) => c.resourceType === 'Patient').identifier = [{ system: NHS, value: from }];
          const res = await fetch(`${base}/Immunization`, { method: 'POST', headers, body: JSON.stringify(body) });
          if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
          ids.push(res.headers.get('location').split('/').pop());
        }),
      );
    }
    for (let i = 0; i < ids.length; i += 10) await fetch(`${base}/Immunization/${ids[i]}`, { method: 'DELETE', headers });
    const merge = async () => {
      const started = process.hrtime.bigint();
      const res = await fetch(`${base}/Patient/$merge`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'source-patient-identifier', valueIdentifier: { system: NHS, value: from } },
            { name: 'target-patient-identifier', valueIdentifier: { system: NHS, value: to } },
          ],
        }),
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const body = await res.json();
      if (res.status !== 200) throw new Error(`merge: ${res.status} ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
      return {
        ms: Math.round(ms),
        moved: body.parameter.find((p) => p.name === 'moved').valueInteger,
        sqlStatements: lines[lines.length - 1]?.sqlStatements,
      };
    };
    const first = await merge();
    const again = await merge();
    results.push({ records: n, deleted: Math.ceil(n / 10), merge: first, sameMergeAgain: again });
  }
  server.kill('SIGTERM');
  console.log(JSON.stringify({ database: process.env.DATABASE_URL ? 'postgresql' : 'pglite', results }, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
