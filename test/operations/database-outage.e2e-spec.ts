import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subscriptionBody, focusOf } from '../notification/support/notification-client';
import { eventually, Receiver } from '../notification/support/receiver';
import { BASE, immunization } from '../support/immunization-fixture';
import { testSupplier } from '../support/test-app';
import { freePort, ServerProcess, sleep, writeSuppliersFile } from '../support/server-process';
import { ThrowawayPostgres } from './support/throwaway-postgres';

/**
 * The database goes away while the service runs, on a PostgreSQL cluster of the test's own:
 * stopped (pg_ctl stop), then frozen (SIGSTOP of the postmaster and its backends). Requests fail
 * fast with 503 transient + Retry-After, readiness says not ready, liveness stays up, the relay
 * backs off logging once, and the service recovers by itself when the database returns, delivering
 * every event.
 */
describe('database outage while serving (PostgreSQL)', () => {
  const pg = new ThrowawayPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'imms-outage-'));
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  const rx = new Receiver();
  let server: ServerProcess;
  let token: string;
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    await pg.init();
    pg.psql('CREATE DATABASE imms');
    await rx.start();
    server = new ServerProcess(await freePort(), {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: pg.url({ database: 'imms' }),
      SUPPLIERS_FILE: writeSuppliersFile(dir, [supplier]),
      SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*',
      NOTIFICATION_POLL_MS: '200',
      NOTIFICATION_RETRY_BASE_MS: '50',
      NOTIFICATION_RETRY_MAX_MS: '500',
      // A frozen server is noticed after the statement timeout + 1 s (query_timeout): 2 s here.
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      DATABASE_CONNECT_TIMEOUT_MS: '1500',
      // One process: the 503s and the recovery asserted here are one process's. With several workers
      // each has its own pool and 1 s breaker, so right after one recovers another may still answer
      // 503 for up to a second (docs/operations.md).
      WORKERS: '1',
    });
    await server.ready();
    token = await server.token(supplier);
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await rx.stop();
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`outage numbers (ms): ${JSON.stringify(measured)}\n`);
  });

  const headers = () => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' });
  const create = () =>
    fetch(`${server.url}${BASE}/Immunization`, { method: 'POST', headers: headers(), body: JSON.stringify(immunization()) });
  const created: string[] = [];
  async function createOk() {
    const res = await create();
    expect(res.status).toBe(201);
    created.push(res.headers.get('location')!.split('/').pop()!);
    return created[created.length - 1];
  }

  /** Every kind of request during the outage: a prompt 503 transient with Retry-After. */
  async function expectUnavailable(label: string, limitMs: number) {
    const calls: [string, () => Promise<Response>][] = [
      ['create', create],
      ['read', () => fetch(`${server.url}${BASE}/Immunization/${created[0]}`, { headers: headers() })],
      [
        'search',
        () =>
          fetch(
            `${server.url}${BASE}/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009&-immunization.target=FLU`,
            { headers: headers() },
          ),
      ],
      [
        'token',
        () =>
          server.token(supplier).then(
            () => new Response(null, { status: 200 }),
            (e) => new Response(String(e), { status: Number(/token: (\d+)/.exec(String(e))?.[1] ?? 0) }),
          ),
      ],
    ];
    const results = await Promise.all(
      calls.map(async ([name, call]) => {
        const t0 = Date.now();
        const res = await call();
        const ms = Date.now() - t0;
        return { name, res, ms };
      }),
    );
    for (const { name, res, ms } of results) {
      expect({ name, status: res.status }).toEqual({ name, status: 503 });
      if (name !== 'token') {
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        const body = (await res.json()) as any;
        expect(body.resourceType).toBe('OperationOutcome');
        expect(body.issue[0].code).toBe('transient');
      }
      expect(ms).toBeLessThan(limitMs);
      measured[`${label}:${name}`] = ms;
    }
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  }

  async function recovers(label: string) {
    const t0 = Date.now();
    await eventually(
      async () =>
        await create().then(
          (r) => r.status === 201,
          () => false,
        ),
      60_000,
      `${label}: creates work again`,
    );
    measured[`${label}:recovered`] = Date.now() - t0;
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    await createOk();
  }

  it('stopped, then started again: 503 transient fast, not ready, live; recovers by itself and delivers every event', async () => {
    const subscribed = await fetch(`${server.url}${BASE}/Subscription`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(subscriptionBody(rx.endpoint('outage'))),
    });
    expect(subscribed.status).toBe(201);
    for (let i = 0; i < 3; i++) await createOk();

    pg.stop('fast');
    const stoppedAt = Date.now();
    const first = await create();
    measured['stopped:first503'] = Date.now() - stoppedAt;
    expect(first.status).toBe(503);
    await expectUnavailable('stopped', 4_000); // measured 30-200 ms; generous for a loaded CI machine
    await sleep(3_000); // the relay keeps failing meanwhile: it must not flood the log

    pg.start();
    await recovers('stopped');

    // The frozen server: accepts TCP, answers nothing. Statement/query timeouts and the pool's
    // connect timeout turn every wait into a 503.
    await createOk();
    pg.freeze();
    try {
      await expectUnavailable('frozen', 8_000); // measured 1.5-2.1 s (query timeout 2 s, connect 1.5 s)
      const again = Date.now();
      expect((await create()).status).toBe(503);
      measured['frozen:later503'] = Date.now() - again;
    } finally {
      pg.thaw();
    }
    await recovers('frozen');

    // Every acknowledged create was delivered once the database was back.
    await eventually(
      () => created.every((id) => rx.got('outage').some((g) => focusOf(g.body).endsWith(`/${id}`))),
      60_000,
      'every event delivered',
    );

    // Outage logging: one relay warning per outage (not one a second) and no stack traces.
    const out = server.stdout() + server.stderr();
    const relayWarnings = out.split('\n').filter((l) => l.includes('notification relay: claiming failed'));
    // (Without the backoff, the 3 s of the stopped phase alone gave one a poll: 15 at 200 ms.)
    expect(relayWarnings.length).toBeGreaterThanOrEqual(1);
    expect(relayWarnings.length).toBeLessThanOrEqual(4);
    expect(out).not.toMatch(/"stack"/);
    expect(out).not.toMatch(/unhandled error/);
  }, 240_000);
});
