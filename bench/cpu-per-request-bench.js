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
const { spawn, execFileSync } = require('node:child_process');
const { generateKeyPairSync, randomUUID } = require('node:crypto');
const { mkdtempSync, writeFileSync, readFileSync, readdirSync } = require('node:fs');
const { tmpdir, loadavg } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');

const root = join(__dirname, '..');
const seconds = Number(process.env.BENCH_SECONDS || 8);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);
const port = Number(process.env.BENCH_PORT || 3919);
const warmup = Number(process.env.BENCH_WARMUP || 3);
/** BENCH_WORKLOADS=read,search measures only those (creates still run as warm-up: reads need records). */
const measured = (process.env.BENCH_WORKLOADS || 'create,read,search').split(',');
const path = '/immunisation-fhir-api/FHIR/R4/Immunization';
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

function nhsNumbers(count, stem = 600_000_000) {
  const out = [];
  for (let s = stem; out.length < count; s++) {
    const digits = String(s);
    const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0);
    const check = 11 - (sum % 11);
    if (check !== 10) out.push(digits + (check === 11 ? '0' : String(check)));
  }
  return out;
}

const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

/** CPU seconds so far of the server's process tree and of the PostgreSQL backends on `db`. */
function cpu(serverPid, db) {
  const parents = new Map();
  let pg = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parents.set(Number(pid), Number(stat.split(') ')[1].split(' ')[1]));
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.includes(` ${db} `)) pg += ticks(pid);
    } catch {
      // ended meanwhile
    }
  }
  let server = 0;
  for (const pid of parents.keys()) {
    for (let p = pid; p > 1; p = parents.get(p) ?? 0) {
      if (p === serverPid) {
        try {
          server += ticks(pid);
        } catch {
          // ended meanwhile
        }
        break;
      }
    }
  }
  return { server: server / 100, postgres: pg / 100 };
}

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
  execFileSync('psql', [
    new URL('/postgres', url).toString(),
    '-qc',
    `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`,
    '-c',
    `CREATE DATABASE ${db}`,
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'imms-cpu-'));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
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
    DATA_DIR: 'memory://',
    AUTH_SIGNING_KEY_FILE: keyFile,
    LOG_LEVEL: 'warn',
    NOTIFICATION_RELAY_ENABLED: 'false',
  };
  const token = execFileSync(process.execPath, [join(root, 'dist/auth/token-cli.js'), '--supplier', 'BENCH'], { env })
    .toString()
    .trim();
  const args = [...(process.env.BENCH_SERVER_NODE_ARGS || '').split(' ').filter(Boolean), join(root, 'dist/main.js')];
  const server = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  server.on('exit', (c) => c && process.exit(1));
  while (
    !(await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await new Promise((r) => setTimeout(r, 200));

  const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/immunization.seed.json'), 'utf8'));
  const patients = nhsNumbers(2000);
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
    const before = cpu(server.pid, db);
    const r = await run(w);
    const after = cpu(server.pid, db);
    r.serverCpuMs = +(((after.server - before.server) * 1000) / r.n).toFixed(3);
    r.postgresCpuMs = +(((after.postgres - before.postgres) * 1000) / r.n).toFixed(3);
    results[name] = r;
    console.error(
      `${name.padEnd(7)} ${String(r.rps).padStart(6)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  CPU/request: server ${r.serverCpuMs} ms, PostgreSQL ${r.postgresCpuMs} ms`,
    );
  }
  server.kill('SIGTERM');
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
