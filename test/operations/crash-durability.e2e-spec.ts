import { focusOf, subscriptionBody, versionOf } from '../notification/support/notification-client';
import { eventually, Receiver } from '../notification/support/receiver';
import { BASE, immunization } from '../support/immunization-fixture';
import { freePort, ServerProcess, ServerWorkspace, sleep } from '../support/server-process';
import { onPostgres, testSupplier } from '../support/test-app';

const WRITERS = 6;
/** Kill once this many changes were acknowledged (the load keeps running until the kill). */
const ACKED_BEFORE_KILL = 60;

interface Change {
  id: string;
  version: number;
  lot: string;
}

/**
 * SIGKILL in the middle of a concurrent create + update load, then a restart on the same data.
 *
 * What must hold, and why it is the right invariant:
 * - An acknowledged change (201/200 received) was committed before the answer left, so after the
 *   restart it is readable at its version (vread gives exactly what was sent) and the record is at
 *   that version or a later one.
 * - The event log holds exactly one event per acknowledged change (versions of a record are 1..N
 *   without gaps or repeats) and none for a refused one (a refused PUT's lot number is in no event).
 * - A change whose request was in flight at the kill (no answer) may or may not have committed:
 *   each writer has at most one request in flight, so a record's last version is its highest
 *   acknowledged one, or one more if that writer's unanswered request was an update of it.
 * - Every event in the log is eventually delivered to the subscriber (at least once).
 */
describe(`crash durability: kill -9 under concurrent writes (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, () => {
  const workspace = new ServerWorkspace('imms-durable');
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  const rx = new Receiver();
  let env: Record<string, string>;
  let server: ServerProcess | null = null;

  beforeAll(async () => {
    await rx.start();
    env = {
      ...(await workspace.open([supplier])),
      DATABASE_POOL_SIZE: String(WRITERS + 4),
      SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*',
      NOTIFICATION_POLL_MS: '100',
      NOTIFICATION_RETRY_BASE_MS: '50',
      NOTIFICATION_RETRY_MAX_MS: '500',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await rx.stop();
    await workspace.close();
  });

  it('every acknowledged change survives at its version, one event each, none for refused ones, all delivered', async () => {
    const port = await freePort();
    server = await new ServerProcess(port, env).ready();
    let token = await server.token(supplier);
    const headers = () => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' });
    const sub = await fetch(`${server.url}${BASE}/Subscription`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(subscriptionBody(rx.endpoint('durable'))),
    });
    expect(sub.status).toBe(201);

    const acked: Change[] = [];
    const refused: { id: string; lot: string }[] = [];
    /** Per writer: the update it had on the wire when the process died, if any. */
    const inFlightUpdate: (Change | null)[] = Array(WRITERS).fill(null);
    let stopping = false;
    const url = server.url;

    async function writer(w: number) {
      for (let k = 0; !stopping; k++) {
        const body = immunization();
        const lot = (v: number | string) => `W${w}-${k}-${v}`;
        let res: Response;
        try {
          res = await fetch(`${url}${BASE}/Immunization`, {
            method: 'POST',
            headers: headers(),
            body: JSON.stringify({ ...body, lotNumber: lot(1) }),
          });
        } catch {
          return; // the process died with this create in flight: it may or may not exist
        }
        if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
        const id = res.headers.get('location')!.split('/').pop()!;
        acked.push({ id, version: 1, lot: lot(1) });
        for (let v = 2; v <= 3 && !stopping; v++) {
          const change = { id, version: v, lot: lot(v) };
          inFlightUpdate[w] = change;
          try {
            res = await fetch(`${url}${BASE}/Immunization/${id}`, {
              method: 'PUT',
              headers: { ...headers(), 'If-Match': `W/"${v - 1}"` },
              body: JSON.stringify({ ...body, id, lotNumber: change.lot }),
            });
          } catch {
            return;
          }
          inFlightUpdate[w] = null;
          if (res.status !== 200) throw new Error(`update: ${res.status} ${await res.text()}`);
          acked.push(change);
        }
        if (stopping) return;
        // A refused change: based on a version that is no longer current.
        const stale = { id, lot: lot('refused') };
        try {
          res = await fetch(`${url}${BASE}/Immunization/${id}`, {
            method: 'PUT',
            headers: { ...headers(), 'If-Match': 'W/"1"' },
            body: JSON.stringify({ ...body, id, lotNumber: stale.lot }),
          });
        } catch {
          return; // refused or not, it cannot have been applied: the check below covers it
        }
        if (res.status !== 412) throw new Error(`stale update: ${res.status} ${await res.text()}`);
        refused.push(stale);
      }
    }

    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    const loadStart = Date.now();
    while (acked.length < ACKED_BEFORE_KILL && Date.now() - loadStart < 120_000) await sleep(20);
    expect(acked.length).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    // Kill while requests are on the wire; the writers stop at their first failed request.
    await server.kill9();
    stopping = true;
    await Promise.all(writers);

    server = await new ServerProcess(port, env).ready();
    token = await server.token(supplier);
    const get = async (path: string) => {
      const res = await fetch(`${server!.url}${BASE}${path}`, { headers: headers() });
      return { status: res.status, body: (await res.json()) as any };
    };

    const byId = new Map<string, Change[]>();
    for (const c of acked) (byId.get(c.id) ?? byId.set(c.id, []).get(c.id)!).push(c);
    const refusedLots = new Set(refused.map((r) => r.lot));
    const logged: { id: string; version: number }[] = [];
    for (const [id, changes] of byId) {
      const maxAcked = Math.max(...changes.map((c) => c.version));
      const maybe = inFlightUpdate.find((c) => c?.id === id && c.version === maxAcked + 1);
      // Readable at every acknowledged version, with exactly what was sent.
      for (const c of changes) {
        const vread = await get(`/Immunization/${id}/_history/${c.version}`);
        expect({ id, version: c.version, status: vread.status, lot: vread.body.lotNumber }).toEqual({
          id,
          version: c.version,
          status: 200,
          lot: c.lot,
        });
      }
      const current = await get(`/Immunization/${id}`);
      expect(current.status).toBe(200);
      const version = Number(current.body.meta.versionId);
      expect(maybe ? [maxAcked, maxAcked + 1] : [maxAcked]).toContain(version);
      // The event log: one event per version 1..current, nothing else, no refused change.
      const history = await get(`/Immunization/${id}/_history`);
      const versions = history.body.entry.map((e: any) => Number(e.resource.meta.versionId)).sort((a: number, b: number) => a - b);
      expect(versions).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      for (const e of history.body.entry) expect(refusedLots.has(e.resource.lotNumber)).toBe(false);
      for (const v of versions) logged.push({ id, version: v });
    }

    // Every logged event reaches the subscriber, the ones the dead process never sent included.
    const delivered = () => new Set(rx.got('durable').map((g) => `${focusOf(g.body).split('/').pop()}@${versionOf(g.body)}`));
    await eventually(() => logged.every((e) => delivered().has(`${e.id}@${e.version}`)), 120_000, 'every event delivered');
    process.stdout.write(
      `crash durability: ${acked.length} acknowledged, ${refused.length} refused, ${inFlightUpdate.filter(Boolean).length} updates in flight at the kill, ` +
        `${logged.length} events checked and delivered (${rx.got('durable').length} deliveries)\n`,
    );
  }, 300_000);
});
