'use strict';
// Shared pieces of `npm run bench`: the service as child processes, /proc CPU and RSS, the HTTP
// load generator, and a round-robin TCP proxy for the scale-out phase.
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

/** A signing key and a supplier of the bench's own: every permission, no rate limit. */
function benchFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'imms-perf-'));
  const keyFile = join(dir, 'signing-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const suppliersFile = join(dir, 'suppliers.json');
  const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'bench-1', alg: 'RS512' };
  writeFileSync(
    suppliersFile,
    JSON.stringify({ suppliers: [{ name: 'BENCH', permissions: ['*.CRUDS'], clients: [{ clientId: 'bench', jwks: { keys: [jwk] } }] }] }),
  );
  return { dir, keyFile, suppliersFile };
}

function serviceEnv(files, databaseUrl, extra = {}) {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    DATA_DIR: 'memory://',
    AUTH_SIGNING_KEY_FILE: files.keyFile,
    SUPPLIERS_FILE: files.suppliersFile,
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    // One issuer for every instance (tokens are minted once, before the ports are known).
    PUBLIC_BASE_URL: 'http://127.0.0.1:3900',
    LOG_LEVEL: 'warn',
    NOTIFICATION_RELAY_ENABLED: 'false',
    ...extra,
  };
}

function token(env) {
  return execFileSync(process.execPath, [join(root, 'dist/auth/token-cli.js'), '--supplier', 'BENCH'], { env })
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

/** `node dist/main.js` (what `npm start` runs) with WORKERS passed through; resolves once /health/ready answers. */
async function startService(env, port, workers) {
  const e = { ...env, PORT: String(port) };
  if (workers) e.WORKERS = String(workers);
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_SERVER_NODE_ARGS || '').split(' ').filter(Boolean), join(root, 'dist/main.js')],
    {
      env: e,
      stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  let exited = null;
  children.add(child);
  child.on('exit', (c) => {
    exited = c ?? 1;
    children.delete(child);
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
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}${FHIR}`,
    pids: () => processTree(child.pid),
    stop: () =>
      new Promise((resolve) => {
        if (exited !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => exited === null && child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function procStat(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

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
        s.set(pid, procStat(pid).ticks);
      } catch {
        // ended
      }
    }
    for (const pid of postgresBackends(this.db)) {
      try {
        p.set(pid, procStat(pid).ticks);
      } catch {
        // ended
      }
    }
    return { s, p };
  }
  sampleRss() {
    for (const pid of this.servicePids()) {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
        this.rss.set(pid, Math.max(this.rss.get(pid) || 0, kb));
      } catch {
        // ended
      }
    }
  }
  stop() {
    clearInterval(this.timer);
    this.sampleRss();
    const end = this.sample();
    const delta = (a, b) => [...b].reduce((sum, [pid, t]) => sum + t - (a.get(pid) ?? 0), 0) / 100;
    return {
      serviceCpu: delta(this.start.s, end.s),
      postgresCpu: delta(this.start.p, end.p),
      rssMb: [...this.rss.values()].map((kb) => Math.round(kb / 1024)),
    };
  }
}

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
  processTree,
  CpuMeter,
  httpLoad,
  summarise,
  roundRobinProxy,
};
