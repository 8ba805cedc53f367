'use strict';
// Shared pieces of every bench script — `npm run bench` (bench/perf/) and the standalone
// bench/*.js alike: the bench's signing key and supplier, the service's environment, tokens,
// recreating the database, the built server as a child process, CPU and RSS from /proc
// (service and PostgreSQL backends), NHS numbers, the HTTP load generator, and a round-robin TCP
// proxy for the scale-out phase. One module, this one, rather than a second bench/support.js:
// run.js and seed.js already used it and it held most of these pieces.
const { spawn, execFileSync } = require('node:child_process');
const { generateKeyPairSync } = require('node:crypto');
const { mkdtempSync, writeFileSync, readFileSync, readdirSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const root = join(__dirname, '..', '..');

// Service processes still running: killed when the bench exits, however it exits.
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const FHIR = '/immunisation-fhir-api/FHIR/R4';

/**
 * A signing key and a supplier of the bench's own: every permission (unless `supplier` says
 * otherwise), no rate limit (the example suppliers' limits would turn load into 429s).
 */
function benchFiles(supplier = {}, prefix = 'imms-perf-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const suppliersFile = join(dir, 'suppliers.json');
  const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'bench-1', alg: 'RS512' };
  writeFileSync(
    suppliersFile,
    JSON.stringify({
      suppliers: [{ name: 'BENCH', permissions: ['*.CRUDS'], ...supplier, clients: [{ clientId: 'bench', jwks: { keys: [jwk] } }] }],
    }),
  );
  return { dir, keyFile, suppliersFile };
}

/** The service's environment; without a database URL it runs on PGlite in the bench's temp dir. */
function serviceEnv(files, databaseUrl, extra = {}) {
  return {
    ...process.env,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    HOST: '127.0.0.1',
    DATA_DIR: databaseUrl ? 'memory://' : join(files.dir, 'data'),
    AUTH_SIGNING_KEY_FILE: files.keyFile,
    SUPPLIERS_FILE: files.suppliersFile,
    LOG_LEVEL: 'warn',
    NOTIFICATION_RELAY_ENABLED: 'false',
    ...extra,
  };
}

/** A token for the bench supplier from the build's token CLI (the env must name the same key and issuer as the server's). */
function token(env, dist = join(root, 'dist')) {
  return execFileSync(process.execPath, [join(dist, 'auth/token-cli.js'), '--supplier', 'BENCH'], { env })
    .toString()
    .trim();
}

async function recreateDatabase(url) {
  const db = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: new URL('/postgres', url).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  return db;
}

/**
 * `node dist/main.js` (what `npm start` runs; `dist` another build) with WORKERS passed through;
 * resolves once /health/ready answers. `onStdout` sees the server's stdout (otherwise it goes to
 * this stdout with BENCH_SERVER_LOG set, or nowhere); `exitOnCrash` ends this process with 1 if
 * the server fails later on, as a standalone script whose numbers would be meaningless.
 */
async function startService(env, port, { workers, dist = join(root, 'dist'), onStdout, exitOnCrash = false } = {}) {
  const e = { ...env, PORT: String(port) };
  if (workers) e.WORKERS = String(workers);
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS || '').split(' ').filter(Boolean), join(dist, 'main.js')], {
    env: e,
    stdio: ['ignore', onStdout ? 'pipe' : process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  if (onStdout) child.stdout.on('data', onStdout);
  let exited = null;
  let ready = false;
  let stopping = false;
  children.add(child);
  child.on('exit', (c) => {
    exited = c ?? 1;
    children.delete(child);
    if (exitOnCrash && ready && !stopping && c) process.exit(1);
  });
  const started = Date.now();
  for (;;) {
    if (exited !== null) throw new Error(`service on :${port} exited with ${exited} before it was ready`);
    if (Date.now() - started > 60_000) throw new Error(`service on :${port} not ready after 60 s`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  ready = true;
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}${FHIR}`,
    pids: () => processTree(child.pid),
    stop: () =>
      new Promise((resolve) => {
        if (exited !== null) return resolve();
        stopping = true;
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => exited === null && child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/**
 * The standalone scripts' preamble: the bench's key and supplier, the database (dropped and
 * recreated when there is a URL; PGlite in the temp dir otherwise), and the built server on `port`,
 * ready. `token()` mints a token (they live ten minutes unless env says otherwise).
 */
async function benchServer({ port, databaseUrl = process.env.DATABASE_URL, supplier, env: extra, prefix, dist, onStdout }) {
  const files = benchFiles(supplier, prefix);
  // PORT before the token: the issuer the CLI signs with derives from it.
  const env = serviceEnv(files, databaseUrl, { PORT: String(port), ...extra });
  if (databaseUrl) await recreateDatabase(databaseUrl);
  const service = await startService(env, port, { dist, onStdout, exitOnCrash: true });
  return { files, env, service, token: () => token(env, dist) };
}

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const HZ = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function procStat(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** utime + stime of one process so far, in seconds. */
const cpuSeconds = (pid) => procStat(pid).ticks / HZ;

/** Resident set of one process, in MB. */
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** The pid and all its descendants (cluster workers), from /proc. */
function processTree(pid) {
  const parents = new Map();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      parents.set(Number(p), procStat(p).ppid);
    } catch {
      // ended meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parents) if (pp === out[i]) out.push(p);
  return out;
}

/** PostgreSQL backends serving this database (their cmdline names it). */
function postgresBackends(db) {
  const out = [];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres: ') && cmd.includes(` ${db} `)) out.push(Number(p));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds of the service processes and of the database's backends, summed per pid so that
 * backends that come and go between samples are counted from the first time they were seen.
 */
class CpuMeter {
  constructor(servicePids, db) {
    this.servicePids = servicePids;
    this.db = db;
    this.start = this.sample();
    this.rss = new Map();
    this.timer = setInterval(() => this.sampleRss(), 500);
  }
  sample() {
    const s = new Map();
    const p = new Map();
    for (const pid of this.servicePids()) {
      try {
        s.set(pid, cpuSeconds(pid));
      } catch {
        // ended
      }
    }
    for (const pid of postgresBackends(this.db)) {
      try {
        p.set(pid, cpuSeconds(pid));
      } catch {
        // ended
      }
    }
    return { s, p };
  }
  sampleRss() {
    for (const pid of this.servicePids()) {
      try {
        this.rss.set(pid, Math.max(this.rss.get(pid) || 0, rssMb(pid)));
      } catch {
        // ended
      }
    }
  }
  stop() {
    clearInterval(this.timer);
    this.sampleRss();
    const end = this.sample();
    const delta = (a, b) => [...b].reduce((sum, [pid, t]) => sum + t - (a.get(pid) ?? 0), 0);
    return {
      serviceCpu: delta(this.start.s, end.s),
      postgresCpu: delta(this.start.p, end.p),
      rssMb: [...this.rss.values()].map((mb) => Math.round(mb)),
    };
  }
}

/** The NHS number of a 9-digit stem (modulus 11 check digit), or null where the stem has none. */
function nhsNumber(stem) {
  const digits = String(stem);
  const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0);
  const check = 11 - (sum % 11);
  return check === 10 ? null : digits + (check === 11 ? '0' : String(check));
}

/** `count` valid NHS numbers from consecutive 9-digit stems. */
function nhsNumbers(count, stem) {
  const out = [];
  for (let s = stem; out.length < count; s++) {
    const n = nhsNumber(s);
    if (n) out.push(n);
  }
  return out;
}

/** The test fixture every standalone script creates records from (a fresh copy each call). */
const seedFixture = () => JSON.parse(readFileSync(join(root, 'test/fixtures/immunization.seed.json'), 'utf8'));

/**
 * autocannon against one workload. `next(i)` returns {method, path, headers?, body?} for request i
 * of a connection; `onResponse(status, body, headers)` sees every answer.
 */
function httpLoad({ url, connections, seconds, tokenValue, next, onResponse }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        headers: { authorization: `Bearer ${tokenValue}`, 'content-type': 'application/fhir+json' },
        requests: [
          {
            setupRequest: (req, ctx) => {
              const r = next(ctx);
              return { ...req, method: r.method, path: r.path, headers: { ...req.headers, ...(r.headers || {}) }, body: r.body };
            },
            onResponse: onResponse ? (status, body, ctx, headers) => onResponse(status, body, headers, ctx) : undefined,
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({ ...summarise(latencies, seconds), errors: r.non2xx + r.errors + r.timeouts });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** Requests/s and latency percentiles (ms) from the latencies of the completed requests. */
function summarise(latencies, seconds) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => (sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1) : null);
  return { rps: latencies.length / seconds, requests: latencies.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** Round-robin TCP proxy: each new client connection goes to the next backend port. */
function roundRobinProxy(ports) {
  let i = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(ports[i++ % ports.length], '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() })),
  );
}

module.exports = {
  root,
  FHIR,
  benchFiles,
  serviceEnv,
  token,
  recreateDatabase,
  startService,
  benchServer,
  processTree,
  cpuSeconds,
  rssMb,
  CpuMeter,
  nhsNumber,
  nhsNumbers,
  seedFixture,
  httpLoad,
  summarise,
  roundRobinProxy,
};
