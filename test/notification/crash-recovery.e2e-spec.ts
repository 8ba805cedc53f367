import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, immunization } from '../support/immunization-fixture';
import { freePort, ServerProcess, writeSuppliersFile } from '../support/server-process';
import { onPostgres, testSupplier } from '../support/test-app';
import { createDatabase } from '../support/test-database';
import { eventNumberOf, focusOf, subscriptionBody } from './support/notification-client';
import { eventually, Receiver } from './support/receiver';

const EVENTS = 12;

/**
 * kill -9 of the server while a delivery is in flight loses nothing: the change, its outbox row and
 * the subscription's cursor are in the database, the dead process's lease expires, and the
 * restarted server delivers everything that was not recorded as acknowledged, in order. The
 * delivery that was cut off arrives again (at least once), with the same event-number; nothing is skipped.
 * The server runs as a real child process on PostgreSQL (TEST_DATABASE_URL) or on a PGlite data
 * directory on disk.
 */
describe('crash recovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imms-crash-'));
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  let rx: Receiver;
  let server: ServerProcess | null = null;
  let db: { url: string; drop: () => Promise<void> } | null = null;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    rx = await new Receiver().start();
    port = await freePort();
    if (onPostgres) db = await createDatabase('imms_crash');
    const databaseUrl = db?.url ?? '';
    env = {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: databaseUrl,
      SUPPLIERS_FILE: writeSuppliersFile(dir, [supplier]),
      NOTIFICATION_RELAY_ENABLED: 'true',
      SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*',
      NOTIFICATION_POLL_MS: '50',
      NOTIFICATION_RETRY_BASE_MS: '20',
      NOTIFICATION_RETRY_MAX_MS: '200',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await rx?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`a server killed with SIGKILL mid-delivery loses nothing: after a restart the rest arrive in order (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, async () => {
    server = new ServerProcess(port, env);
    await server.ready(60_000);
    const token = await server.token(supplier);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server!.url}${BASE}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json', Prefer: 'return=representation' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as any;
    };

    // A slow receiver, so that deliveries are in flight when the process dies.
    await call('POST', '/Subscription', subscriptionBody(rx.endpoint('slow', { delayMs: 150 })));
    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) ids.push((await call('POST', '/Immunization', immunization())).id);

    // Kill it while a delivery is on the wire (received by the receiver, not yet answered).
    await eventually(() => rx.got('slow').length >= 3 && rx.tried('slow').length > rx.got('slow').length, 20_000, 'a delivery in flight');
    await server.kill9();
    const atKill = rx.tried('slow').length;
    expect(atKill).toBeLessThan(EVENTS + 1);

    // Same database, new process: the old lease runs out and delivery carries on from the cursor.
    server = new ServerProcess(port, env);
    await server.ready(60_000);
    await eventually(
      () => new Set(rx.got('slow').map((g) => eventNumberOf(g.body))).size >= EVENTS,
      30_000,
      'every event after the restart',
    );
    await new Promise((r) => setTimeout(r, 300));

    const got = rx.got('slow').map((g) => ({ n: eventNumberOf(g.body), id: focusOf(g.body).split('/').pop() }));
    // Never a gap: each event-number is at most one past the highest seen before it.
    let highest = 0;
    for (const e of got) {
      expect(e.n).toBeLessThanOrEqual(highest + 1);
      highest = Math.max(highest, e.n);
    }
    // Everything arrived, in commit order, each number always naming the same change.
    const byNumber = new Map(got.map((e) => [e.n, e.id]));
    expect([...byNumber.entries()].sort((p, q) => p[0] - q[0])).toEqual(ids.map((id, i) => [i + 1, id]));
    for (const e of got) expect(e.id).toBe(byNumber.get(e.n));
    // What the dead process had not yet recorded is sent again: the delivery cut off by the kill,
    // and at most the one before it (progress is recorded behind the deliveries, see SubscriptionWorker).
    expect(got.length - EVENTS).toBeLessThanOrEqual(2);
  });
});
