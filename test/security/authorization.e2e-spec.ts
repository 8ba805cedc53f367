import { randomUUID } from 'node:crypto';
import { Database } from '../../src/database/database';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { BASE, immunization, nhsNumber } from '../support/immunization-fixture';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { client, subscriptionBody } from '../notification/support/notification-client';

/**
 * OWASP API1 (object-level) and API5 (function-level authorisation): a supplier holding every
 * permission on FLU tries every route against another supplier's MMR record and Subscription.
 * Each attempt must be refused (403 for the record, 404 for the Subscription, which is never even
 * shown to exist) or must leave the record out of what it answers, and nothing may change.
 */
describe('cross-supplier authorisation (OWASP API1/API5)', () => {
  let t: TestApp;
  let owner: ReturnType<typeof fhirClient>;
  let attacker: ReturnType<typeof fhirClient>;
  let attackerToken: string;
  const nhs = nhsNumber();
  const identifierValue = `victim-${randomUUID()}`;
  let id: string;
  let subId: string;
  let subBefore: any;
  const tally: Record<string, number> = {};
  const count = (what: string) => (tally[what] = (tally[what] ?? 0) + 1);

  beforeAll(async () => {
    t = await startTestApp({
      env: { SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*' },
      suppliers: [testSupplier('OWNER', ['MMR.CRUDS', 'FLU.CRUDS']), testSupplier('ATTACKER', ['FLU.CRUDS'])],
    });
    owner = fhirClient(t, await t.tokenFor('OWNER'));
    attackerToken = await t.tokenFor('ATTACKER');
    attacker = fhirClient(t, attackerToken);
    const made = await owner.create(immunization({ vaccineType: 'MMR', nhsNumber: nhs, identifierValue }));
    expect(made.status).toBe(201);
    id = idFromLocation(made.headers.location);
    // The attacker has a FLU record for the same patient: its own searches are legitimate.
    expect((await attacker.create(immunization({ vaccineType: 'FLU', nhsNumber: nhs }))).status).toBe(201);
    const sub = await client(t, await t.tokenFor('OWNER')).postSub(subscriptionBody('http://127.0.0.1:9/owner-hook'));
    expect(sub.status).toBe(201);
    subId = sub.body.id;
    subBefore = (await client(t, await t.tokenFor('OWNER')).getSub(subId)).body;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    process.stdout.write(`authorisation attempts: ${JSON.stringify(tally)}\n`);
  });

  const mmrUpdate = () => ({ ...immunization({ vaccineType: 'MMR', nhsNumber: nhs, identifierValue }), id });
  const fluUpdate = () => ({ ...immunization({ vaccineType: 'FLU', nhsNumber: nhs, identifierValue }), id });

  it.each([
    ['read', () => attacker.read(id)],
    ['vread', () => attacker.vread(id, 1)],
    ['history', () => attacker.history(id)],
    ['update keeping MMR', () => attacker.update(id, mmrUpdate(), { 'E-Tag': '1' })],
    ['update turning it into FLU', () => attacker.update(id, fluUpdate(), { 'E-Tag': '1' })],
    ['delete', () => attacker.delete(id)],
    [
      'search by patient, asking for MMR',
      () => attacker.get(`${BASE}/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}&-immunization.target=MMR`),
    ],
    [
      'POST _search by patient, asking for MMR',
      () =>
        t.http
          .post(`${BASE}/Immunization/_search`)
          .set({ Authorization: `Bearer ${attackerToken}`, 'Content-Type': 'application/x-www-form-urlencoded' })
          .send(`patient.identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhs}`)}&-immunization.target=MMR`),
    ],
    [
      'identifier search',
      () =>
        attacker.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`https://supplierABC/identifiers/vacc|${identifierValue}`)}`),
    ],
  ] as [string, () => Promise<any>][])("refuses %s of another supplier's vaccine type with 403", async (what, attempt) => {
    count(what);
    const res = await attempt();
    expect({ what, status: res.status }).toEqual({ what, status: 403 });
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.text).not.toContain(identifierValue);
  });

  it('refuses an update without E-Tag before looking at the record (400, nothing about the record)', async () => {
    count('update without E-Tag');
    const res = await attacker.update(id, fluUpdate(), {});
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(identifierValue);
    expect(res.text).not.toContain('MMR');
  });

  it('leaves the MMR record out of searches across types and of the change feed', async () => {
    for (const [what, url] of [
      [
        'search by patient, FLU and MMR',
        `${BASE}/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|${nhs}&-immunization.target=FLU,MMR`,
      ],
      ['change feed', `${BASE}/Immunization/_history?_count=1000`],
    ] as const) {
      // Its own FLU record shows once the read side has caught up (asynchronous on PostgreSQL).
      let res: any;
      for (const until = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
        count(what);
        res = await attacker.get(url);
        expect({ what, status: res.status }).toEqual({ what, status: 200 });
        if ((res.body.entry ?? []).length > 0 || Date.now() > until) break;
      }
      expect(res.body.entry.length).toBeGreaterThan(0);
      expect({ what, leaked: res.text.includes(id) || res.text.includes(identifierValue) }).toEqual({ what, leaked: false });
    }
  });

  it('answers a missing id 404 (ids are random UUIDs: the 403 above tells only what the caller already holds)', async () => {
    count('read of a missing id');
    expect((await attacker.read(randomUUID())).status).toBe(404);
  });

  it.each([
    ['read', (c: ReturnType<typeof client>) => c.getSub(subId)],
    [
      'update',
      (c: ReturnType<typeof client>) =>
        c.putSub(subId, { ...subscriptionBody('http://127.0.0.1:9/attacker-hook'), id: subId }, { 'If-Match': 'W/"1"' }),
    ],
    [
      'update to off',
      (c: ReturnType<typeof client>) =>
        c.putSub(subId, { ...subscriptionBody('http://127.0.0.1:9/owner-hook', { status: 'off' }), id: subId }),
    ],
    ['delete', (c: ReturnType<typeof client>) => c.deleteSub(subId)],
  ] as [string, (c: ReturnType<typeof client>) => Promise<any>][])(
    "answers %s of another supplier's Subscription with 404",
    async (what, attempt) => {
      count(`Subscription ${what}`);
      const res = await attempt(client(t, attackerToken));
      expect({ what, status: res.status }).toEqual({ what, status: 404 });
      expect(res.text).not.toContain('owner-hook');
    },
  );

  it("lists only the caller's own Subscriptions", async () => {
    count('Subscription search');
    const res = await client(t, attackerToken).listSubs();
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(subId);
  });

  it('changed nothing: the record is at version 1 and the Subscription as it was', async () => {
    const read = await owner.read(id);
    expect(read.status).toBe(200);
    expect(read.body.meta.versionId).toBe('1');
    expect(read.body.identifier[0].value).toBe(identifierValue);
    const { rows } = await t.app
      .get(Database)
      .query<{ n: string }>('SELECT count(*)::text AS n FROM immunization_event WHERE immunization_id = $1', [id]);
    expect(rows[0].n).toBe('1');
    const sub = await client(t, await t.tokenFor('OWNER')).getSub(subId);
    expect(sub.status).toBe(200);
    expect(sub.body).toEqual(subBefore);
  });
});
