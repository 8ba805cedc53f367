import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { TestSupplier } from './test-app';

const ROOT = join(__dirname, '../..');
/** `node -r` this to run the TypeScript sources in a child process, compiled on the fly (no build step). */
export const SWC_REGISTER = join(__dirname, 'swc-register.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
