import { randomUUID } from 'node:crypto';
import { Database } from '../../src/database/database';
import { batchClient, csvRows } from '../batch/support/batch-client';
import { fileName, fileOf, fluRow } from '../fixtures/batch/flat-rows';
import { ChangeProjectors } from '../../src/immunization/public/change-projectors';
import { eventually, Receiver } from '../notification/support/receiver';
import { subscriptionBody } from '../notification/support/notification-client';
import { freshNhsNumber, searchClient } from '../search/support/search-client';
import { BASE, FHIR_JSON, immunization } from '../support/immunization-fixture';
import { startTestApp, testSupplier, TestApp } from '../support/test-app';
import { nhsNumberChange, PdsStandIn } from './support/pds-stand-in';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const TYPES = 'FLU,COVID,MMR';

function suppliers() {
  return [
    testSupplier('ALL', ['*.CRUDS']),
    testSupplier('FLU_ONLY', ['FLU.CRUDS']),
    testSupplier('ADMIN', ['*.RS'], { roles: ['patient-admin'] }),
  ];
}

function mergeBody(from: string, to: string) {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'source-patient-identifier', valueIdentifier: { system: NHS, value: from } },
      { name: 'target-patient-identifier', valueIdentifier: { system: NHS, value: to } },
    ],
  };
}

function helpers(t: TestApp) {
  const s = searchClient(t);
  return {
    ...s,
    async merge(from: string, to: string, supplier = 'ADMIN') {
      return t.http
        .post(`${BASE}/Patient/$merge`)
        .set(await s.auth(supplier))
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(mergeBody(from, to)));
    },
    async searchPatient(nhs: string, supplier = 'ALL') {
      return s.search('GET', supplier, [
        ['patient.identifier', `${NHS}|${nhs}`],
        ['-immunization.target', TYPES],
      ]);
    },
    async read(id: string) {
      return t.http.get(`${BASE}/Immunization/${id}`).set(await s.auth('ALL'));
    },
    async history(id: string) {
      return t.http.get(`${BASE}/Immunization/${id}/_history`).set(await s.auth('ALL'));
    },
  };
}

const movedOf = (body: any): number => body.parameter.find((p: any) => p.name === 'moved').valueInteger;
const matches = (bundle: any) => bundle.entry.filter((e: any) => e.search.mode === 'match');
const outcomes = (bundle: any) => bundle.entry.filter((e: any) => e.search.mode === 'outcome');
const containedNhs = (resource: any) => resource.contained.find((c: any) => c.resourceType === 'Patient').identifier[0].value;

describe('patient merges ($merge, search, validation, notifications)', () => {
  let t: TestApp;
  let h: ReturnType<typeof helpers>;
  let rx: Receiver;

  beforeAll(async () => {
    rx = await new Receiver().start();
    t = await startTestApp({
      suppliers: suppliers(),
      env: { NOTIFICATION_RELAY_ENABLED: 'true', SUBSCRIPTION_ENDPOINT_ALLOWLIST: '127.0.0.1:*', NOTIFICATION_POLL_MS: '50' },
    });
    h = helpers(t);
  });
  afterAll(async () => {
    await t?.close();
    await rx?.stop();
  });

  it('moves every record of the old number in one step; search, reads, history and signals follow', async () => {
    const [oldNhs, newNhs, other] = [freshNhsNumber(), freshNhsNumber(), freshNhsNumber()];
    const sub = await t.http
      .post(`${BASE}/Subscription`)
      .set(await h.auth('ALL'))
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(subscriptionBody(rx.endpoint('merge'), { payload: 'application/cloudevents+json' })));
    expect(sub.status).toBe(201);

    // Several vaccine types and suppliers, one updated (version 2), one deleted, and a bystander.
    const flu = await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'FLU' }));
    const covid = await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'COVID' }));
    const mmrBody = immunization({ nhsNumber: oldNhs, vaccineType: 'MMR' });
    const mmr = await h.create(mmrBody);
    expect(await h.update(mmr, mmrBody, 1)).toBe(2);
    const fluOther = await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'FLU' }), 'FLU_ONLY');
    const gone = await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'COVID' }));
    await h.remove(gone);
    const bystander = await h.create(immunization({ nhsNumber: other }));
    await eventually(() => rx.got('merge').length >= 8, 20_000, 'signals of the set-up writes (6 creates, an update, a delete)');
    const before = rx.got('merge').length;

    const res = await h.merge(oldNhs, newNhs);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Parameters');
    expect(movedOf(res.body)).toBe(5);
    const outcome = res.body.parameter.find((p: any) => p.name === 'outcome').resource;
    expect(outcome.issue[0]).toMatchObject({ severity: 'information', code: 'informational' });

    // Search under the new number: the four live records, each at its next version.
    const found = await h.searchPatient(newNhs);
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(4);
    const versions = Object.fromEntries(matches(found.body).map((e: any) => [e.resource.id, e.resource.meta.versionId]));
    expect(versions).toEqual({ [flu]: '2', [covid]: '2', [mmr]: '3', [fluOther]: '2' });
    for (const e of matches(found.body)) expect(e.resource.patient.identifier.value).toBe(newNhs);
    const patient = found.body.entry.find((e: any) => e.resource.resourceType === 'Patient');
    expect(patient.resource).toMatchObject({ id: newNhs, identifier: [{ system: NHS, value: newNhs }] });

    // Read and history: a new version whose contained Patient carries the new number.
    const read = await h.read(mmr);
    expect(read.status).toBe(200);
    expect(read.headers['e-tag']).toBe('3');
    expect(containedNhs(read.body)).toBe(newNhs);
    const hist = await h.history(mmr);
    expect(hist.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['3', '2', '1']);
    expect(containedNhs(hist.body.entry[1].resource)).toBe(oldNhs);

    // The deleted record moved too and stays deleted.
    expect((await h.read(gone)).status).toBe(404);
    const goneHist = await h.history(gone);
    expect(goneHist.body.entry).toHaveLength(3);
    expect(goneHist.body.entry[0].request.method).toBe('DELETE');
    const { rows } = await t.app
      .get(Database)
      .query<any>(`SELECT version, nhs_number, deleted_at IS NOT NULL AS deleted, resource FROM immunization WHERE id = $1`, [gone]);
    expect(rows[0]).toMatchObject({ version: 2, nhs_number: newNhs, deleted: true });
    expect(containedNhs(rows[0].resource)).toBe(newNhs);

    // The bystander is untouched.
    expect((await h.read(bystander)).headers['e-tag']).toBe('1');

    // Under the old number: nothing, plus an informational entry that does not name the new number.
    const old = await h.searchPatient(oldNhs);
    expect(old.status).toBe(200);
    expect(old.body.total).toBe(0);
    expect(matches(old.body)).toHaveLength(0);
    const info = outcomes(old.body);
    expect(info).toHaveLength(1);
    expect(info[0].resource.issue[0]).toMatchObject({ severity: 'information', code: 'informational' });
    expect(info[0].resource.issue[0].diagnostics).toMatch(/superseded/);
    expect(JSON.stringify(old.body)).not.toContain(newNhs);

    // One `update` signal per moved live record, about the new number; none for the deleted one.
    await eventually(() => rx.got('merge').length >= before + 4, 20_000, 'the merge signals');
    await new Promise((r) => setTimeout(r, 300));
    const signals = rx
      .got('merge')
      .slice(before)
      .map((g) => g.body);
    expect(signals).toHaveLength(4);
    expect(new Set(signals.map((s: any) => s.dataref.split('/').pop()))).toEqual(new Set([flu, covid, mmr, fluOther]));
    for (const s of signals) {
      expect(s.subject).toBe(newNhs);
      expect(s.filtering.action).toBe('update');
    }

    // Creates and updates with the old number are refused, without disclosing the new one.
    const create = await t.http
      .post(`${BASE}/Immunization`)
      .set(await h.auth('ALL'))
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(immunization({ nhsNumber: oldNhs })));
    expect(create.status).toBe(400);
    expect(create.body.issue[0]).toMatchObject({ code: 'invariant', details: { coding: [{ code: 'INVARIANT' }] } });
    expect(create.body.issue[0].diagnostics).toMatch(/superseded/);
    expect(JSON.stringify(create.body)).not.toContain(newNhs);
    const update = await t.http
      .put(`${BASE}/Immunization/${flu}`)
      .set(await h.auth('ALL'))
      .set({ 'Content-Type': FHIR_JSON, 'E-Tag': '2' })
      .send(JSON.stringify({ ...immunization({ nhsNumber: oldNhs }), id: flu, identifier: (await h.read(flu)).body.identifier }));
    expect(update.status).toBe(400);
    expect(update.body.issue[0].diagnostics).toMatch(/superseded/);
    expect(JSON.stringify(update.body)).not.toContain(newNhs);

    // The same merge again: moved 0, no new version, no new event, no signal.
    const again = await h.merge(oldNhs, newNhs);
    expect(again.status).toBe(200);
    expect(movedOf(again.body)).toBe(0);
    expect((await h.history(mmr)).body.entry).toHaveLength(3);
    expect((await h.history(gone)).body.entry).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.got('merge').length).toBe(before + 4);
  });

  it('issues a constant number of SQL statements per merge, whatever the number of records', async () => {
    const statementsOfLastMerge = () =>
      [...t.logger.entries].reverse().find((e) => e.msg === 'request' && String(e.route).includes('merge'))?.sqlStatements;
    for (const records of [3, 12]) {
      const [from, to] = [freshNhsNumber(), freshNhsNumber()];
      const ids: string[] = [];
      for (let i = 0; i < records; i++) ids.push(await h.create(immunization({ nhsNumber: from, vaccineType: i % 2 ? 'FLU' : 'COVID' })));
      await h.remove(ids[0]);
      expect(movedOf((await h.merge(from, to)).body)).toBe(records);
      // Lock, register lookup, register write, records lookup; then per batch of up to 500 records:
      // the guarded row update, the event rows, the search upsert and the outbox rows.
      expect(statementsOfLastMerge()).toBe(8);
      expect(movedOf((await h.merge(from, to)).body)).toBe(0);
      // Lock, register lookup, records lookup (finds none): nothing written.
      expect(statementsOfLastMerge()).toBe(3);
    }
  });

  it('resolves chains to the current number and refuses a cycle', async () => {
    const [a, b, c, x] = [freshNhsNumber(), freshNhsNumber(), freshNhsNumber(), freshNhsNumber()];
    const ra = await h.create(immunization({ nhsNumber: a }));
    const rb = await h.create(immunization({ nhsNumber: b }));
    const rx1 = await h.create(immunization({ nhsNumber: x }));

    expect(movedOf((await h.merge(a, b)).body)).toBe(1);
    // B → C after A → B: A's records (now under B) and B's move to C.
    expect(movedOf((await h.merge(b, c)).body)).toBe(2);
    const atC = await h.searchPatient(c);
    expect(
      matches(atC.body)
        .map((e: any) => e.resource.id)
        .sort(),
    ).toEqual([ra, rb].sort());
    expect((await h.read(ra)).headers['e-tag']).toBe('3');
    // X → A after A → B → C: X's records go straight to C.
    expect(movedOf((await h.merge(x, a)).body)).toBe(1);
    expect(containedNhs((await h.read(rx1)).body)).toBe(c);
    for (const n of [a, b, x]) expect((await h.searchPatient(n)).body.total).toBe(0);

    // C → A would make a cycle (A already leads to C).
    const cycle = await h.merge(c, a);
    expect(cycle.status).toBe(400);
    expect(cycle.body.issue[0].details.coding[0].code).toBe('INVARIANT');
    expect(cycle.body.issue[0].diagnostics).toMatch(/cycle/);
    expect((await h.searchPatient(c)).body.total).toBe(3);
  });

  it('refuses non-admins (403), invalid numbers and bodies (400), and an unconfigured inbound route (404)', async () => {
    const [a, b] = [freshNhsNumber(), freshNhsNumber()];
    const id = await h.create(immunization({ nhsNumber: a }));
    const denied = await h.merge(a, b, 'ALL');
    expect(denied.status).toBe(403);
    expect(denied.body.issue[0].details.coding[0].code).toBe('FORBIDDEN');
    expect((await h.read(id)).headers['e-tag']).toBe('1');

    const same = await h.merge(a, a);
    expect(same.status).toBe(400);
    expect(same.body.issue[0].details.coding[0].code).toBe('INVARIANT');
    const badCheck = await h.merge('9449310476', b);
    expect(badCheck.status).toBe(400);
    expect(badCheck.body.issue[0].diagnostics).toMatch(/source-patient-identifier.*check digit/);
    const notParameters = await t.http
      .post(`${BASE}/Patient/$merge`)
      .set(await h.auth('ADMIN'))
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Patient' }));
    expect(notParameters.status).toBe(400);
    expect(notParameters.body.issue[0].details.coding[0].code).toBe('INVARIANT');
    // Invalid input is a 400 even for a supplier who could not merge anyway (contract §4 order).
    expect((await h.merge(a, a, 'ALL')).status).toBe(400);

    const mns = await t.http
      .post('/mns/events')
      .set('x-api-key', 'anything')
      .set('Content-Type', 'application/cloudevents+json')
      .send(JSON.stringify(nhsNumberChange('e1', a)));
    expect(mns.status).toBe(404);
    expect(mns.body.resourceType).toBe('OperationOutcome');
  });
});

describe('a merge that fails half-way', () => {
  let t: TestApp;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    t = await startTestApp({ suppliers: suppliers() });
    h = helpers(t);
  });
  afterAll(() => t?.close());

  it('leaves no record moved and nothing recorded', async () => {
    const [oldNhs, newNhs] = [freshNhsNumber(), freshNhsNumber()];
    const ids: string[] = [];
    for (const type of ['FLU', 'COVID', 'MMR', 'FLU']) ids.push(await h.create(immunization({ nhsNumber: oldNhs, vaccineType: type })));
    // A projector that throws for the third record moved (after two have been written in the transaction).
    let seen = 0;
    t.app.get(ChangeProjectors).register({
      name: 'fails-mid-merge',
      project: async (_tx, change) => {
        if (change.nhsNumber === newNhs && ++seen === 3) throw new Error('projector failed');
      },
    });
    const res = await h.merge(oldNhs, newNhs);
    expect(res.status).toBe(500);
    expect(seen).toBe(3);
    expect(res.body.issue[0].details.coding[0].code).toBe('EXCEPTION');

    for (const id of ids) {
      const r = await h.read(id);
      expect(r.headers['e-tag']).toBe('1');
      expect(containedNhs(r.body)).toBe(oldNhs);
      expect((await h.history(id)).body.entry).toHaveLength(1);
    }
    expect((await h.searchPatient(oldNhs)).body.total).toBe(4);
    expect((await h.searchPatient(newNhs)).body.total).toBe(0);
    // The register entry rolled back with the moves: the old number is still current.
    expect(await h.create(immunization({ nhsNumber: oldNhs }))).toBeTruthy();
  });
});

describe('inbound MNS nhs-number-change-1 events', () => {
  const KEY = 'test-mns-key';
  let t: TestApp;
  let h: ReturnType<typeof helpers>;
  let pds: PdsStandIn;
  const post = (event: unknown, key: string | null = KEY) => {
    const r = t.http.post('/mns/events').set('Content-Type', 'application/cloudevents+json');
    return (key === null ? r : r.set('x-api-key', key)).send(JSON.stringify(event));
  };

  beforeAll(async () => {
    pds = await new PdsStandIn().start();
    t = await startTestApp({ suppliers: suppliers(), env: { MNS_INBOUND_API_KEY: KEY, PDS_BASE_URL: pds.url, MNS_INBOX_POLL_MS: '50' } });
    h = helpers(t);
  });
  afterAll(async () => {
    await t?.close();
    await pds?.stop();
  });

  it('a merge reported by PDS moves the records; a replay of the event changes nothing', async () => {
    const [oldNhs, newNhs] = [freshNhsNumber(), freshNhsNumber()];
    const ids = [
      await h.create(immunization({ nhsNumber: oldNhs })),
      await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'COVID' })),
    ];
    pds.supersede(oldNhs, newNhs);
    const event = nhsNumberChange(`evt-${oldNhs}`, oldNhs);
    expect((await post(event)).status).toBe(202);
    await eventually(async () => (await h.searchPatient(newNhs)).body.total === 2, 20_000, 'records moved');
    expect(pds.requests).toContain(`/Patient/${oldNhs}`);
    for (const id of ids) expect((await h.read(id)).headers['e-tag']).toBe('2');
    expect((await h.searchPatient(oldNhs)).body.total).toBe(0);

    const asked = pds.requests.length;
    expect((await post(event)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(pds.requests.length).toBe(asked);
    for (const id of ids) expect((await h.history(id)).body.entry).toHaveLength(2);
  });

  it('a 404 from PDS invalidates the number: records stay, later creates are refused', async () => {
    const gone = freshNhsNumber();
    const id = await h.create(immunization({ nhsNumber: gone }));
    pds.forget(gone);
    expect((await post(nhsNumberChange(`evt-${gone}`, gone))).status).toBe(202);
    const processed = async () =>
      (
        await t.app
          .get(Database)
          .query<any>(`SELECT outcome FROM patient_mns_inbox WHERE event_id = $1 AND processed_at IS NOT NULL`, [`evt-${gone}`])
      ).rows[0]?.outcome;
    await eventually(async () => (await processed()) !== undefined, 20_000, 'event processed');
    expect(await processed()).toBe('invalidated');
    const refused = await t.http
      .post(`${BASE}/Immunization`)
      .set(await h.auth('ALL'))
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(immunization({ nhsNumber: gone })));
    expect(refused.status).toBe(400);
    expect(refused.body.issue[0].diagnostics).toMatch(/no longer a valid NHS number/);
    expect((await h.read(id)).headers['e-tag']).toBe('1');
    expect((await h.searchPatient(gone)).body.total).toBe(1);
  });

  it('wrong or missing x-api-key → 401; other event types → 202 and ignored; a bad subject → 400', async () => {
    const nhs = freshNhsNumber();
    for (const key of ['wrong', null]) {
      const res = await post(nhsNumberChange('evt-401', nhs), key);
      expect(res.status).toBe(401);
      expect(res.body.issue[0].details.coding[0].code).toBe('UNAUTHORIZED');
    }
    const asked = pds.requests.length;
    expect((await post(nhsNumberChange('evt-other', nhs, 'pds-change-of-gp-1'))).status).toBe(202);
    const bad = await post(nhsNumberChange('evt-bad', '123'));
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].details.coding[0].code).toBe('INVALID');
    await new Promise((r) => setTimeout(r, 300));
    expect(pds.requests.length).toBe(asked);
  });
});

describe('batch rows and superseded NHS numbers', () => {
  let t: TestApp;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    t = await startTestApp({
      suppliers: [testSupplier('ALL', ['*.CRUDS'], { odsCodes: ['YGM41'] }), testSupplier('ADMIN', ['*.RS'], { roles: ['patient-admin'] })],
      env: { PATIENT_REGISTER_REFRESH_MS: '100' },
    });
    h = helpers(t);
  });
  afterAll(() => t?.close());

  it('a batch row under a superseded number fails alone, as a create through the API would, without naming the new number', async () => {
    const [oldNhs, newNhs] = [freshNhsNumber(), freshNhsNumber()];
    await h.create(immunization({ nhsNumber: oldNhs, vaccineType: 'FLU' }));
    expect((await h.merge(oldNhs, newNhs)).status).toBe(200);
    const batch = batchClient(t, await t.tokenFor('ALL'));
    const [underOld, underNew] = [`old-${randomUUID()}`, `new-${randomUUID()}`];
    const name = fileName('FLU', 'YGM41');
    const upload = await batch.upload(name, fileOf([fluRow(underOld, { NHS_NUMBER: oldNhs }), fluRow(underNew, { NHS_NUMBER: newNhs })]));
    expect(upload.status).toBe(202);
    expect(await batch.settled(name)).toMatchObject({ status: 'processed', rows: { total: 2, succeeded: 1, failed: 1 } });
    const lines = csvRows((await batch.busAck(name)).text).slice(1);
    expect(lines.map((l) => l[0].split('^')[1])).toEqual(['1']);
    expect(lines[0][13]).toMatch(/superseded/);
    expect(lines[0].join('|')).not.toContain(newNhs);
  });
});
