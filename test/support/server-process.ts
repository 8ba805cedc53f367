import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { BASE } from './immunization-fixture';
import type { TestSupplier } from './test-app';
import { createDatabase, onPostgres } from './test-database';

const ROOT = join(__dirname, '../..');
/** `node -r` this to run the TypeScript sources in a child process, compiled on the fly (no build step). */
export const SWC_REGISTER = join(__dirname, 'swc-register.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A script of the project run as its own process with only the given environment, its output captured. */
export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Runs `script` (a .ts path below the project root) the way `npm start` would, compiled per file by swc. */
export function run(script: string, args: string[], vars: Record<string, string>): Run {
  const child = spawn(process.execPath, ['-r', SWC_REGISTER, join(ROOT, script), ...args], {
    cwd: ROOT,
    // A clean environment: nothing from the caller's (no stray DATABASE_URL), only what is set here.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** The JSON log lines of a captured output. */
export const logLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Polls `probe` until it gives a value; fails at once if the process exits first. */
export async function waitFor<T>(what: string, probe: () => T | undefined, r: Run, ms: number): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = probe();
    if (v !== undefined) return v;
    if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode} before ${what}: ${r.stderr()}`);
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Writes a suppliers file (the public halves of the test suppliers' keys) into `dir` and returns its path. */
export function writeSuppliersFile(dir: string, suppliers: TestSupplier[]): string {
  const file = join(dir, 'suppliers.json');
  writeFileSync(
    file,
    JSON.stringify({
      suppliers: suppliers.map((s) => ({
        name: s.name,
        permissions: s.permissions,
        rateLimitPerSecond: s.rateLimitPerSecond,
        odsCodes: s.odsCodes,
        roles: s.roles,
        clients: [
          {
            clientId: s.clientId,
            jwks: { keys: s.keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg })) },
          },
        ],
      })),
    }),
  );
  return file;
}

/**
 * What the server processes of one test share across restarts: a data directory (PGlite on disk),
 * a fresh PostgreSQL database when the suite runs on PostgreSQL, and a suppliers file.
 */
export class ServerWorkspace {
  readonly dir: string;
  private db: { url: string; drop: () => Promise<void> } | null = null;

  /** `name`, e.g. imms-crash: the temporary directory's prefix and (as imms_crash) the database's. */
  constructor(private readonly name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
  }

  /** The PostgreSQL database's URL; '' on PGlite. */
  get databaseUrl(): string {
    return this.db?.url ?? '';
  }

  /** Creates the database (on PostgreSQL) and returns DATA_DIR, DATABASE_URL and SUPPLIERS_FILE for the server. */
  async open(suppliers: TestSupplier[]): Promise<Record<string, string>> {
    if (onPostgres) this.db = await createDatabase(this.name.replace(/-/g, '_'));
    return { DATA_DIR: join(this.dir, 'data'), DATABASE_URL: this.databaseUrl, SUPPLIERS_FILE: writeSuppliersFile(this.dir, suppliers) };
  }

  async close(): Promise<void> {
    await this.db?.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The real server (src/main.ts, compiled on the fly) as a child process with only the given
 * environment, started at construction: crash tests kill it with SIGKILL mid-work and start
 * another on the same data.
 */
export class ServerProcess {
  readonly child: ChildProcess;
  private out = '';
  private err = '';
  readonly exit: Promise<number | null>;
  readonly startedAt = Date.now();

  constructor(
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['-r', SWC_REGISTER, join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.out += d));
    this.child.stderr!.on('data', (d) => (this.err += d));
    this.exit = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  get pid() {
    return this.child.pid as number;
  }
  stdout() {
    return this.out;
  }
  stderr() {
    return this.err;
  }
  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until /health/ready answers; fails at once if the process exits first. */
  async ready(timeoutMs = 90_000): Promise<this> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`server exited with ${this.child.exitCode}: ${(this.out + this.err).slice(-2000)}`);
      if (
        await fetch(`${this.url}/health/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return this;
      await sleep(100);
    }
    throw new Error(`server not ready in ${timeoutMs} ms: ${(this.out + this.err).slice(-2000)}`);
  }

  /** SIGKILL: no shutdown hook runs, no lease is given back, work in flight is cut off. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exit;
    clearTimeout(timer);
  }

  /** A FHIR request to this server with a bearer token, asking for the resource back (Prefer: return=representation). */
  fhir(token: string, method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.url}${BASE}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json', Prefer: 'return=representation' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** fhir(), for a request that must succeed: its JSON body, or an error naming the status. */
  async fhirJson(token: string, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.fhir(token, method, path, body);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  /** An access token through the public client-credentials flow (docs/api.md §4). */
  async token(s: TestSupplier): Promise<string> {
    const key = s.keys[0];
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(s.clientId)
      .setSubject(s.clientId)
      .setAudience(`${this.url}/oauth2/token`)
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + 120)
      .sign(key.privateKey);
    const res = await fetch(`${this.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }
}
