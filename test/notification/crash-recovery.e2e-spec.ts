import { immunization } from '../support/immunization-fixture';
import { freePort, ServerProcess, ServerWorkspace } from '../support/server-process';
import { onPostgres, testSupplier } from '../support/test-app';
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
  const workspace = new ServerWorkspace('imms-crash');
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  let rx: Receiver;
  let server: ServerProcess | null = null;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    rx = await new Receiver().start();
    port = await freePort();
    env = {
      ...(await workspace.open([supplier])),
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
    await workspace.close();
  });

  it(`a server killed with SIGKILL mid-delivery loses nothing: after a restart the rest arrive in order (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, async () => {
    server = new ServerProcess(port, env);
    await server.ready(60_000);
    const token = await server.token(supplier);
    const call = (method: string, path: string, body?: unknown) => server!.fhirJson(token, method, path, body);

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
