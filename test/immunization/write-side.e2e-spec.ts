import { BASE, FHIR_JSON, immunization } from '../support/immunization-fixture';
import { detailsCode, fhirClient, idFromLocation } from '../support/fhir-client';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';

type Client = ReturnType<typeof fhirClient>;

describe('Immunization write side (docs/api.md §2)', () => {
  let t: TestApp;
  let all: Client;
  beforeAll(async () => {
    t = await startTestApp({
      suppliers: [
        testSupplier('ALL', ['*.CRUDS']),
        testSupplier('FLU_ONLY', ['FLU.CRUDS']),
        testSupplier('FLU_READ', ['FLU.R']),
        testSupplier('FLU_CRD', ['FLU.CRD', 'MMR.CRUD']),
        testSupplier('NO_GRANTS', []),
      ],
    });
    all = fhirClient(t, await t.tokenFor('ALL'));
  });
  afterAll(() => t?.close());

  async function created(body = immunization(), client = all) {
    const res = await client.create(body);
    expect(res.status).toBe(201);
    return { id: idFromLocation(res.headers.location), body, res };
  }

  describe('create', () => {
    it('answers 201 with Location, ETag, E-Tag, Last-Modified and no body', async () => {
      const { id, res } = await created();
      expect(res.headers.location).toBe(`${t.config.publicBaseUrl}${BASE}/Immunization/${id}`);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.headers.etag).toBe('W/"1"');
      expect(res.headers['e-tag']).toBe('1');
      expect(Number.isNaN(Date.parse(res.headers['last-modified']))).toBe(false);
      expect(res.text).toBe('');
    });

    it('returns the stored resource with Prefer: return=representation', async () => {
      const body = immunization();
      const res = await all.create(body, { Prefer: 'return=representation' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
      expect(res.body.id).toBe(idFromLocation(res.headers.location));
      expect(res.body.meta.versionId).toBe('1');
      expect(res.body.identifier).toEqual(body.identifier);
    });

    it('returns an OperationOutcome with Prefer: return=OperationOutcome', async () => {
      const res = await all.create(immunization(), { Prefer: 'return=OperationOutcome' });
      expect(res.status).toBe(201);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].severity).toBe('information');
    });

    it('refuses an id in the body (400 INVARIANT)', async () => {
      const res = await all.create({ ...immunization(), id: 'abc' });
      expect(res.status).toBe(400);
      expect(detailsCode(res.body)).toBe('INVARIANT');
    });

    it('refuses a second live record with the same identifier (422 DUPLICATE)', async () => {
      const body = immunization();
      await created(body);
      const res = await all.create(immunization({ identifierValue: body.identifier[0].value }));
      expect(res.status).toBe(422);
      expect(res.body.issue[0].code).toBe('duplicate');
      expect(detailsCode(res.body)).toBe('DUPLICATE');
    });

    it('ignores client-sent meta.versionId and meta.lastUpdated', async () => {
      const res = await all.create(
        { ...immunization(), meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z' } },
        { Prefer: 'return=representation' },
      );
      expect(res.status).toBe(201);
      expect(res.body.meta.versionId).toBe('1');
      expect(res.body.meta.lastUpdated).not.toBe('2001-01-01T00:00:00Z');
    });
  });

  describe('read and vread', () => {
    it('returns the resource as stored plus id, meta.versionId and meta.lastUpdated', async () => {
      const { id, body } = await created();
      const res = await all.read(id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
      expect(res.headers.etag).toBe('W/"1"');
      expect(res.headers['e-tag']).toBe('1');
      const { id: gotId, meta, ...rest } = res.body;
      expect(gotId).toBe(id);
      expect(meta.versionId).toBe('1');
      expect(new Date(meta.lastUpdated).toUTCString()).toBe(res.headers['last-modified']);
      expect(rest).toEqual(body);
    });

    it('answers 404 NOT-FOUND for an unknown id and 400 INVALID for a malformed one', async () => {
      const unknown = await all.read('0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00');
      expect(unknown.status).toBe(404);
      expect(detailsCode(unknown.body)).toBe('NOT-FOUND');
      const notUuid = await all.read('not-a-uuid');
      expect(notUuid.status).toBe(404);
      const bad = await all.read('bad$id');
      expect(bad.status).toBe(400);
      expect(detailsCode(bad.body)).toBe('INVALID');
      const long = await all.read('a'.repeat(65));
      expect(long.status).toBe(400);
    });

    it('reads every version with vread', async () => {
      const { id, body } = await created();
      const u = await all.update(id, { ...body, id, lotNumber: 'LOT-2' }, { 'E-Tag': '1' });
      expect(u.status).toBe(200);
      const v1 = await all.vread(id, 1);
      const v2 = await all.vread(id, 2);
      expect([v1.status, v2.status]).toEqual([200, 200]);
      expect(v1.body.lotNumber).toBe(body.lotNumber);
      expect(v1.body.meta.versionId).toBe('1');
      expect(v1.headers.etag).toBe('W/"1"');
      expect(v2.body.lotNumber).toBe('LOT-2');
      expect(v2.headers['e-tag']).toBe('2');
      expect((await all.vread(id, 3)).status).toBe(404);
      expect((await all.vread(id, 'x')).status).toBe(404);
    });
  });

  describe('update', () => {
    it('accepts E-Tag and If-Match (all three forms) and bumps the version by one each time', async () => {
      const { id, body } = await created();
      const steps: [Record<string, string>, number][] = [
        [{ 'E-Tag': '1' }, 2],
        [{ 'If-Match': 'W/"2"' }, 3],
        [{ 'If-Match': '"3"' }, 4],
        [{ 'If-Match': '4' }, 5],
      ];
      for (const [headers, expected] of steps) {
        const res = await all.update(id, { ...body, id }, headers);
        expect(res.status).toBe(200);
        expect(res.text).toBe('');
        expect(res.headers.etag).toBe(`W/"${expected}"`);
        expect(res.headers['e-tag']).toBe(String(expected));
      }
      const repr = await all.update(id, { ...body, id }, { 'E-Tag': '5', Prefer: 'return=representation' });
      expect(repr.body.meta.versionId).toBe('6');
    });

    it('answers a stale E-Tag with 400 INVARIANT and a stale If-Match with 412 PRECONDITION-FAILED', async () => {
      const { id, body } = await created();
      expect((await all.update(id, { ...body, id }, { 'E-Tag': '1' })).status).toBe(200);
      const eTag = await all.update(id, { ...body, id }, { 'E-Tag': '1' });
      expect(eTag.status).toBe(400);
      expect(detailsCode(eTag.body)).toBe('INVARIANT');
      const ifMatch = await all.update(id, { ...body, id }, { 'If-Match': 'W/"1"' });
      expect(ifMatch.status).toBe(412);
      expect(ifMatch.body.issue[0].code).toBe('conflict');
      expect(detailsCode(ifMatch.body)).toBe('PRECONDITION-FAILED');
      expect((await all.read(id)).headers['e-tag']).toBe('2');
    });

    it.each([
      ['no version header', {}],
      ['a malformed E-Tag', { 'E-Tag': 'W/"1"' }],
      ['a zero E-Tag', { 'E-Tag': '0' }],
      ['a malformed If-Match', { 'If-Match': 'abc' }],
    ])('answers %s with 400 INVARIANT', async (_name, headers) => {
      const { id, body } = await created();
      const res = await all.update(id, { ...body, id }, headers as Record<string, string>);
      expect(res.status).toBe(400);
      expect(detailsCode(res.body)).toBe('INVARIANT');
    });

    it('refuses a body id that differs from the path id, and a changed identifier (400 INVARIANT)', async () => {
      const { id, body } = await created();
      const other = await all.update(id, { ...body, id: '0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00' }, { 'E-Tag': '1' });
      expect(other.status).toBe(400);
      expect(detailsCode(other.body)).toBe('INVARIANT');
      const ident = await all.update(
        id,
        { ...body, id, identifier: [{ system: 'https://x.example/ids', value: 'changed' }] },
        { 'E-Tag': '1' },
      );
      expect(ident.status).toBe(400);
      expect(ident.body.issue[0].expression).toEqual(['Immunization.identifier[0]']);
    });

    it('answers 404 for an unknown record and 400 INVALID for a malformed path id', async () => {
      const body = immunization();
      const missing = '0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f01';
      expect((await all.update(missing, { ...body, id: missing }, { 'E-Tag': '1' })).status).toBe(404);
      const bad = await all.update('bad$id', { ...body, id: 'bad$id' }, { 'E-Tag': '1' });
      expect(bad.status).toBe(400);
      expect(detailsCode(bad.body)).toBe('INVALID');
    });

    it('checks the path id before the version header, and the header before the body (docs/validation-rules.md §7)', async () => {
      const bad = await all.update('bad$id', { not: 'valid' }, {});
      expect(detailsCode(bad.body)).toBe('INVALID');
      const noHeader = await all.update('0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f01', { not: 'valid' }, {});
      expect(noHeader.status).toBe(400);
      expect(noHeader.body.issue).toHaveLength(1);
      expect(noHeader.body.issue[0].diagnostics).toMatch(/E-Tag|If-Match/);
    });
  });

  describe('delete and reinstate', () => {
    it('deletes with 204; then read, delete and search-by-read are 404, and history still lists it', async () => {
      const { id } = await created();
      const del = await all.delete(id);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expect((await all.read(id)).status).toBe(404);
      const again = await all.delete(id);
      expect(again.status).toBe(404);
      expect(detailsCode(again.body)).toBe('NOT-FOUND');
      const history = await all.history(id);
      expect(history.status).toBe(200);
      expect(history.body.entry.map((e: any) => e.request.method)).toEqual(['DELETE', 'POST']);
    });

    it('create → delete → reinstate by update gives versions 1, 1, 2 (NHS parity), with no version check', async () => {
      const { id, body } = await created();
      expect((await all.delete(id)).status).toBe(204);
      const reinstated = await all.update(id, { ...body, id, lotNumber: 'BACK' }, { 'E-Tag': '7' });
      expect(reinstated.status).toBe(200);
      expect(reinstated.headers['e-tag']).toBe('2');
      const read = await all.read(id);
      expect(read.status).toBe(200);
      expect(read.body.lotNumber).toBe('BACK');
      const history = await all.history(id);
      expect(history.body.type).toBe('history');
      expect(history.body.total).toBe(3);
      const entries = history.body.entry.map((e: any) => [e.request.method, e.response.etag, e.resource?.meta?.versionId]);
      expect(entries).toEqual([
        ['PUT', 'W/"2"', '2'],
        ['DELETE', 'W/"1"', undefined],
        ['POST', 'W/"1"', '1'],
      ]);
    });

    it('create → delete → create with the same identifier reinstates the same record as version 2', async () => {
      const { id, body } = await created();
      expect((await all.delete(id)).status).toBe(204);
      const again = await all.create(immunization({ identifierValue: body.identifier[0].value, city: 'Leeds' }));
      expect(again.status).toBe(201);
      expect(idFromLocation(again.headers.location)).toBe(id);
      expect(again.headers['e-tag']).toBe('2');
      const read = await all.read(id);
      expect(read.body.meta.versionId).toBe('2');
      expect(read.body.contained[1].address[0].city).toBe('Leeds');
      expect((await all.vread(id, 1)).body.contained[1].address[0].city).toBe('City');
    });
  });

  describe('permissions (docs/api.md §4)', () => {
    it('create needs c on the payload type', async () => {
      const flu = fhirClient(t, await t.tokenFor('FLU_ONLY'));
      const res = await flu.create(immunization({ vaccineType: 'MMR' }));
      expect(res.status).toBe(403);
      expect(detailsCode(res.body)).toBe('FORBIDDEN');
      expect((await flu.create(immunization({ vaccineType: 'FLU' }))).status).toBe(201);
    });

    it('invalid input from an authenticated supplier with no grants is 400, not 403', async () => {
      const none = fhirClient(t, await t.tokenFor('NO_GRANTS'));
      const res = await none.create({ resourceType: 'Immunization' });
      expect(res.status).toBe(400);
      expect((await none.create(immunization())).status).toBe(403);
    });

    it('read needs r on the stored type', async () => {
      const { id } = await created(immunization({ vaccineType: 'MMR' }));
      const fluReader = fhirClient(t, await t.tokenFor('FLU_READ'));
      expect((await fluReader.read(id)).status).toBe(403);
      expect((await fluReader.history(id)).status).toBe(403);
      expect((await fluReader.vread(id, 1)).status).toBe(403);
      const { id: fluId } = await created(immunization({ vaccineType: 'FLU' }));
      expect((await fluReader.read(fluId)).status).toBe(200);
    });

    it('update needs u on both the stored and the new type; delete needs d on the stored type', async () => {
      const crd = fhirClient(t, await t.tokenFor('FLU_CRD')); // FLU without u; MMR with u
      const { id, body } = await created(immunization({ vaccineType: 'FLU' }));
      const toMmr = immunization({ vaccineType: 'MMR', identifierValue: body.identifier[0].value });
      expect((await crd.update(id, { ...toMmr, id }, { 'E-Tag': '1' })).status).toBe(403);
      const { id: mmrId, body: mmrBody } = await created(immunization({ vaccineType: 'MMR' }));
      expect((await crd.update(mmrId, { ...mmrBody, id: mmrId }, { 'E-Tag': '1' })).status).toBe(200);
      const mmrToFlu = immunization({ vaccineType: 'FLU', identifierValue: mmrBody.identifier[0].value });
      expect((await crd.update(mmrId, { ...mmrToFlu, id: mmrId }, { 'E-Tag': '2' })).status).toBe(403);
      const fluReader = fhirClient(t, await t.tokenFor('FLU_READ'));
      expect((await fluReader.delete(id)).status).toBe(403);
      expect((await crd.delete(id)).status).toBe(204);
    });
  });

  describe('idempotent create retries (X-Request-ID)', () => {
    it('replays the first outcome for the same supplier and writes nothing', async () => {
      const body = immunization();
      const first = await all.create(body, { 'X-Request-ID': 'retry-1' });
      const second = await all.create(body, { 'X-Request-ID': 'retry-1' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers.location).toBe(first.headers.location);
      expect(second.headers['x-request-id']).toBe('retry-1');
      const history = await all.history(idFromLocation(first.headers.location));
      expect(history.body.entry).toHaveLength(1);
    });

    it('does not replay for a different supplier or a different request id', async () => {
      const body = immunization({ vaccineType: 'FLU' });
      await all.create(body, { 'X-Request-ID': 'retry-2' });
      const flu = fhirClient(t, await t.tokenFor('FLU_ONLY'));
      expect((await flu.create(body, { 'X-Request-ID': 'retry-2' })).status).toBe(422);
      expect((await all.create(body, { 'X-Request-ID': 'retry-3' })).status).toBe(422);
    });
  });

  describe('change feed (GET /Immunization/_history)', () => {
    it('pages oldest first across 3 pages with next links, only types the caller may read', async () => {
      // _since fences off the records earlier tests wrote; FLU_READ may read FLU only.
      const since = new Date().toISOString();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await created(immunization({ vaccineType: 'FLU' }))).id);
        await created(immunization({ vaccineType: 'MMR' }));
      }
      expect((await all.delete(ids[0])).status).toBe(204);
      const reader = fhirClient(t, await t.tokenFor('FLU_READ'));
      const expected = [...ids.map((id) => ['POST', id]), ['DELETE', ids[0]]];

      const walk = async () => {
        const seen: [string, string][] = [];
        let pages = 0;
        let url: string | undefined = `${BASE}/Immunization/_history?_since=${encodeURIComponent(since)}&_count=2`;
        while (url) {
          const res = await reader.get(url);
          expect(res.status).toBe(200);
          expect(res.body.type).toBe('history');
          pages++;
          for (const e of res.body.entry) seen.push([e.request.method, e.fullUrl.split('/').pop()]);
          const next = res.body.link.find((l: any) => l.relation === 'next')?.url;
          url = next ? next.replace(t.config.publicBaseUrl, '') : undefined;
        }
        return { seen, pages };
      };
      // The feed shows a change once every older transaction on the server has finished (see
      // EventLogReader.changeFeed); on a shared PostgreSQL other databases' transactions
      // count too, so allow it a moment to catch up — never to reorder or skip.
      let result = await walk();
      for (let i = 0; i < 50 && result.seen.length < expected.length; i++) {
        expect(expected.slice(0, result.seen.length)).toEqual(result.seen);
        await new Promise((r) => setTimeout(r, 100));
        result = await walk();
      }
      expect(result.seen).toEqual(expected);
      expect(result.pages).toBe(3);

      const future = await reader.get(`${BASE}/Immunization/_history?_since=2999-01-01T00:00:00Z`);
      expect(future.body.entry).toEqual([]);
      expect((await reader.get(`${BASE}/Immunization/_history?_since=yesterday`)).status).toBe(400);
      expect((await reader.get(`${BASE}/Immunization/_history?_count=0`)).status).toBe(400);
      expect((await reader.get(`${BASE}/Immunization/_history?_count=1&_count=2`)).status).toBe(400);
      expect((await reader.get(`${BASE}/Immunization/_history?_cursor=forged`)).status).toBe(400);
    });

    it('is 403 for a supplier that may read nothing', async () => {
      const none = fhirClient(t, await t.tokenFor('NO_GRANTS'));
      expect((await none.feed()).status).toBe(403);
    });
  });

  it('orders history and the change feed numerically, across a digit boundary of the event sequence', async () => {
    // A fresh database, so this record's events are seq 1..12: a text sort would put 10-12 before 2.
    const fresh = await startTestApp({ suppliers: [testSupplier('ALL', ['*.CRUDS'])] });
    try {
      const c = fhirClient(fresh, await fresh.tokenFor('ALL'));
      const body = immunization();
      const id = idFromLocation((await c.create(body)).headers.location);
      for (let v = 1; v <= 11; v++) expect((await c.update(id, { ...body, id }, { 'E-Tag': String(v) })).status).toBe(200);
      const history = await c.history(id);
      expect(history.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual([
        '12',
        '11',
        '10',
        '9',
        '8',
        '7',
        '6',
        '5',
        '4',
        '3',
        '2',
        '1',
      ]);
      const feed = await c.feed('?_count=5');
      expect(feed.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['1', '2', '3', '4', '5']);
      const next = feed.body.link.find((l: any) => l.relation === 'next').url.replace(fresh.config.publicBaseUrl, '');
      const rest = await c.get(next.replace('_count=5', '_count=100'));
      expect(rest.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['6', '7', '8', '9', '10', '11', '12']);
    } finally {
      await fresh.close();
    }
  });

  it('requires authentication on every Immunization route (401 before anything else)', async () => {
    for (const req of [
      t.http.get(`${BASE}/Immunization/x`),
      t.http.post(`${BASE}/Immunization`).set('Content-Type', FHIR_JSON).send('{bad json'),
      t.http.put(`${BASE}/Immunization/bad$id`),
      t.http.delete(`${BASE}/Immunization/x`),
      t.http.get(`${BASE}/Immunization/_history`),
    ]) {
      const res = await req;
      expect(res.status).toBe(401);
      expect(detailsCode(res.body)).toBe('UNAUTHORIZED');
    }
  });

  it('describes exactly these interactions in the CapabilityStatement', async () => {
    const res = await t.http.get(`${BASE}/metadata`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const imms = res.body.rest[0].resource.find((r: any) => r.type === 'Immunization');
    const codes = imms.interaction.map((i: any) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['create', 'read', 'vread', 'update', 'delete', 'history-instance', 'history-type']));
  });
});
