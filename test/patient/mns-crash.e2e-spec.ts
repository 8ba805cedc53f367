import { eventually } from '../notification/support/receiver';
import { freshNhsNumber } from '../search/support/search-client';
import { BASE, immunization } from '../support/immunization-fixture';
import { freePort, ServerProcess, ServerWorkspace } from '../support/server-process';
import { onPostgres, testSupplier } from '../support/test-app';
import { nhsNumberChange, PdsStandIn } from './support/pds-stand-in';

/**
 * An accepted nhs-number-change-1 event survives kill -9 right after its 202: it was stored before
 * the answer, and the restarted server's inbox worker takes it up (the dead one's lease runs out).
 * The PDS stand-in holds the lookup, so the kill lands while the event is certainly unprocessed.
 */
describe('inbound MNS event crash recovery', () => {
  const workspace = new ServerWorkspace('imms-mns-crash');
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  let pds: PdsStandIn;
  let server: ServerProcess | null = null;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    pds = await new PdsStandIn().start();
    port = await freePort();
    env = {
      ...(await workspace.open([supplier])),
      NOTIFICATION_RELAY_ENABLED: 'false',
      MNS_INBOUND_API_KEY: 'crash-test-key',
      PDS_BASE_URL: pds.url,
      MNS_INBOX_POLL_MS: '50',
      MNS_INBOX_LEASE_MS: '1000',
      // The dump global-setup made: a first start on PGlite without running initdb.
      PGLITE_TEMPLATE: process.env.PGLITE_TEMPLATE ?? '',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await pds?.stop();
    await workspace.close();
  });

  it(`kill -9 after the 202 loses nothing: the restarted server moves the records (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, async () => {
    const [oldNhs, newNhs] = [freshNhsNumber(), freshNhsNumber()];
    server = new ServerProcess(port, env);
    await server.ready(180_000);
    let token = await server.token(supplier);
    const call = (method: string, path: string, body?: unknown) => server!.fhirJson(token, method, path, body);
    const ids: string[] = [];
    for (const type of ['FLU', 'COVID', 'MMR'])
      ids.push((await call('POST', '/Immunization', immunization({ nhsNumber: oldNhs, vaccineType: type }))).id);

    pds.supersede(oldNhs, newNhs);
    pds.hold();
    const accepted = await fetch(`${server.url}/mns/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/cloudevents+json', 'x-api-key': 'crash-test-key' },
      body: JSON.stringify(nhsNumberChange(`crash-${oldNhs}`, oldNhs)),
    });
    expect(accepted.status).toBe(202);
    // The worker has claimed the event and is waiting on PDS: kill the process now.
    await eventually(() => pds.requests.includes(`/Patient/${oldNhs}`), 20_000, 'the PDS lookup');
    await server.kill9();
    pds.release();
    for (const id of ids) expect(await fetch(`${server.url}${BASE}/Immunization/${id}`).catch(() => null)).toBeNull();

    server = new ServerProcess(port, env);
    await server.ready(180_000);
    token = await server.token(supplier);
    const search = `/Immunization?patient.identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${newNhs}`)}&-immunization.target=FLU,COVID,MMR`;
    await eventually(async () => (await call('GET', search)).total === 3, 30_000, 'records moved after the restart');
    for (const id of ids) {
      const r = await call('GET', `/Immunization/${id}`);
      expect(r.meta.versionId).toBe('2');
      expect(r.contained.find((c: any) => c.resourceType === 'Patient').identifier[0].value).toBe(newNhs);
    }
    const old = await call('GET', search.replace(newNhs, oldNhs));
    expect(old.total).toBe(0);
  }, 240_000);
});
