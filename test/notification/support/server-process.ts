import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { TestSupplier } from '../../support/test-app';

const ROOT = join(__dirname, '../../..');

/** Writes a suppliers file (the public halves of the test suppliers' keys) and returns its path. */
export function writeSuppliersFile(dir: string, suppliers: TestSupplier[]): string {
  const file = join(dir, 'suppliers.json');
  writeFileSync(
    file,
    JSON.stringify({
      suppliers: suppliers.map((s) => ({
        name: s.name,
        permissions: s.permissions,
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
 * The real server (src/main.ts) in a child process, so it can be killed with SIGKILL mid-delivery.
 * It runs from the TypeScript sources through swc-register.js: no build step, always current.
 */
export class ServerProcess {
  private child: ChildProcess | null = null;
  readonly output: string[] = [];

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ['-r', join(__dirname, 'swc-register.js'), join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        PUBLIC_BASE_URL: this.url,
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d) => this.output.push(String(d)));
    child.stderr!.on('data', (d) => this.output.push(String(d)));
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${this.output.join('').slice(-2000)}`);
      const ok = await fetch(`${this.url}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not get ready in ${timeoutMs} ms: ${this.output.join('').slice(-2000)}`);
  }

  /** SIGKILL: no shutdown hook runs, no lease is given back, the in-flight delivery is cut off. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
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
