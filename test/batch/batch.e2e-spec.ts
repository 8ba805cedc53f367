import { FLAT_FIELDS } from '../../src/batch/domain/flat-record';
import { BatchStore } from '../../src/batch/infrastructure/batch.store';
import { BatchProcessor } from '../../src/batch/ingest/batch-processor';
import { laneOf } from '../../src/batch/ingest/batch-row';
import { FLAT_FIELDS as FIELDS } from '../../src/batch/domain/flat-record';
import { Database } from '../../src/database/database';
import nationalFlu from '../fixtures/batch/national-e2e-flu-create.json';
import { fileName, fileOf, fluRow, HEADER_LINE, NATIONAL_FLU_FLAT, rowLine } from '../fixtures/batch/flat-rows';
import { fhirClient } from '../support/fhir-client';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { batchClient, csvRows, IDS, recordsByIdentifier } from './support/batch-client';

const rowValues = (r: Record<string, string>) => FIELDS.map((f) => r[f]);

describe('batch files', () => {
  let t: TestApp;
  let emis: ReturnType<typeof batchClient>;
  let tpp: ReturnType<typeof batchClient>;
  let fluOnly: ReturnType<typeof batchClient>;
  let api: ReturnType<typeof fhirClient>;
  let unique = 0;
  const id = (tag: string) => `${tag}-${process.pid}-${++unique}`;

  beforeAll(async () => {
    t = await startTestApp({
      suppliers: [
        testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] }),
        testSupplier('TPP', ['*.CRUDS'], { odsCodes: ['YGA'] }),
        testSupplier('FLUONLY', ['FLU.CRUDS'], { odsCodes: ['FLU01'] }),
        testSupplier('DELTA', ['*.R'], { roles: ['delta-reader'] }),
      ],
      env: { BATCH_POLL_MS: '50', BATCH_CHUNK_ROWS: '3' },
    });
    emis = batchClient(t, await t.tokenFor('EMIS'));
    tpp = batchClient(t, await t.tokenFor('TPP'));
    fluOnly = batchClient(t, await t.tokenFor('FLUONLY'));
    api = fhirClient(t, await t.tokenFor('EMIS'));
  });
  afterAll(() => t.close());

  const byIdentifier = (value: string) => recordsByIdentifier(api, value);

  it('applies a good file of NEW, UPDATE and DELETE rows: read, search, history and the change feed agree; empty BusAck', async () => {
    const [a, b, c] = [id('a'), id('b'), id('c')];
    const name = fileName('FLU', 'YGM41');
    const started = new Date(Date.now() - 1000).toISOString();
    const rows = [
      fluRow(a),
      fluRow(b),
      fluRow(c),
      fluRow(a, { ACTION_FLAG: 'update', BATCH_NUMBER: 'LOT-2' }),
      fluRow(b, { ACTION_FLAG: 'DELETE' }),
    ];
    const put = await emis.upload(name, fileOf(rows));
    expect(put.status).toBe(202);
    expect(put.headers.location).toBe(`${t.url}/immunisation-fhir-api/batch/files/${name}`);
    expect(put.body).toMatchObject({
      fileName: name,
      supplier: 'EMIS',
      vaccineType: 'FLU',
      status: 'queued',
      rows: { total: 5, succeeded: 0, failed: 0 },
      reason: null,
    });

    const done = await emis.settled(name);
    expect(done).toMatchObject({ status: 'processed', rows: { total: 5, succeeded: 5, failed: 0 }, reason: null });
    expect(Date.parse(done.completedAt)).toBeGreaterThanOrEqual(Date.parse(done.receivedAt));

    const inf = await emis.infAck(name);
    expect(inf.status).toBe(200);
    expect(inf.headers['content-type']).toMatch(/^text\/csv/);
    const [infHeader, infRow] = csvRows(inf.text);
    expect(infHeader[1]).toBe('HEADER_RESPONSE_CODE');
    expect(infRow.slice(1, 8)).toEqual(['Success', 'Information', 'OK', '20013', 'Technical', '20013', 'Success']);
    expect(infRow[11]).toBe('True');
    const bus = await emis.busAck(name);
    expect(bus.status).toBe(200);
    expect(csvRows(bus.text)).toHaveLength(1);
    expect(csvRows(bus.text)[0].slice(-2)).toEqual(['IMMS_ID', 'OPERATION_OUTCOME']);
    expect((await emis.summary(name)).body).toEqual({
      fileName: name,
      supplier: 'EMIS',
      vaccineType: 'FLU',
      rows: 5,
      successes: 5,
      failures: 0,
      completedAt: done.completedAt,
    });

    const [ra] = await byIdentifier(a);
    expect(ra.meta.versionId).toBe('2');
    expect(ra.lotNumber).toBe('LOT-2');
    expect(await byIdentifier(b)).toEqual([]);
    const [rc] = await byIdentifier(c);
    expect((await api.read(rc.id)).status).toBe(200);
    const hist = await api.history(ra.id);
    expect(hist.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1']);
    // The change feed (what notifications and the delta export are made from) has the five changes in file order.
    // The feed shows a change once no older transaction (of the whole cluster) is still open: wait for that.
    let mine: any[] = [];
    for (let i = 0; i < 300 && mine.length < 5; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      mine = (await api.feed(`?_since=${encodeURIComponent(started)}&_count=100`)).body.entry ?? []; // the first test on a fresh database: every change is this file's
    }
    // Lanes may interleave different records; each record's own changes keep the file order.
    const recordOf = (e: any) => e.resource?.id ?? String(e.request.url).split('/')[1];
    const perRecord = new Map<string, string[]>();
    for (const e of mine) perRecord.set(recordOf(e), [...(perRecord.get(recordOf(e)) ?? []), e.request.method]);
    expect(perRecord.get(ra.id)).toEqual(['POST', 'PUT']);
    expect(perRecord.get(rc.id)).toEqual(['POST']);
    expect([...perRecord.values()].map((m) => m.join(',')).sort()).toEqual(['POST', 'POST,DELETE', 'POST,PUT']);
  });

  it('a file with bad rows: only those rows are in the BusAck, with their diagnostics; the rest are applied', async () => {
    const [good1, dup, good2, missing] = [id('g1'), id('dup'), id('g2'), id('missing')];
    const name = fileName('FLU', 'YGM41');
    const rows = [
      fluRow(good1),
      fluRow(id('x'), { ACTION_FLAG: 'CREATE' }),
      fluRow('', {}),
      fluRow(id('bad'), { NHS_NUMBER: '1234567890', DATE_AND_TIME: '2025' }),
      fluRow(dup),
      fluRow(dup),
      fluRow(missing, { ACTION_FLAG: 'UPDATE' }),
      fluRow(good2),
    ];
    expect((await emis.upload(name, fileOf(rows))).status).toBe(202);
    expect(await emis.settled(name)).toMatchObject({ status: 'processed', rows: { total: 8, succeeded: 3, failed: 5 } });
    const lines = csvRows((await emis.busAck(name)).text).slice(1);
    expect(lines.map((l) => l[0].split('^')[1])).toEqual(['2', '3', '4', '6', '7']);
    for (const l of lines)
      expect(l.slice(1, 8)).toEqual([
        'Fatal Error',
        'Fatal',
        'Fatal Error',
        '30002',
        'Business',
        '30002',
        'Business Level Response Value - Processing Error',
      ]);
    const outcome = lines.map((l) => l[13]);
    expect(outcome[0]).toBe(`Invalid ACTION_FLAG - ACTION_FLAG must be 'NEW', 'UPDATE' or 'DELETE'`);
    expect(outcome[1]).toBe('UNIQUE_ID or UNIQUE_ID_URI is missing');
    expect(outcome[2]).toMatch(/NHS number/i);
    expect(outcome[2]).toMatch(/occurrenceDateTime/);
    expect(outcome[3]).toMatch(/already has identifier/);
    expect(outcome[4]).toMatch(/nothing to update/);
    expect(lines[3][10]).toBe(`${dup}^${IDS}`);
    for (const v of [good1, dup, good2]) expect(await byIdentifier(v)).toHaveLength(1);
  });

  it('a row that breaks its transaction (not a client error) fails alone: the chunk is re-run row by row with savepoints', async () => {
    // Validation now refuses every value the database would refuse, so the database is made to fail
    // for one identifier by a trigger of the test's own: the INSERT fails after validation.
    const poison = id('poison');
    const db = t.app.get(Database);
    await db.query(`CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.identifier_value = '${poison}' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER test_refuse_poison BEFORE INSERT ON immunization FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()`);
    try {
      // All three in one lane, hence one chunk (BATCH_CHUNK_ROWS 3).
      const lanes = t.config.batch.lanes;
      const laneOfId = (v: string) => laneOf({ n: 0, values: rowValues(fluRow(v)) }, lanes);
      const sameLane = (tag: string) => {
        for (;;) {
          const v = id(tag);
          if (laneOfId(v) === laneOfId(poison)) return v;
        }
      };
      const [before, after] = [sameLane('sp1'), sameLane('sp2')];
      const name = fileName('FLU', 'YGM41');
      expect((await emis.upload(name, fileOf([fluRow(before), fluRow(poison), fluRow(after)]))).status).toBe(202);
      expect(await emis.settled(name)).toMatchObject({ status: 'processed', rows: { total: 3, succeeded: 2, failed: 1 } });
      const lines = csvRows((await emis.busAck(name)).text).slice(1);
      expect(lines.map((l) => l[0].split('^')[1])).toEqual(['2']);
      expect(lines[0][13]).toMatch(/could not be applied/);
      for (const v of [before, after]) expect(await byIdentifier(v)).toHaveLength(1);
      expect(await byIdentifier(poison)).toHaveLength(0);
      expect(t.logger.entries.some((e) => e.msg === 'batch row failed unexpectedly' && e.row === 2)).toBe(true);
    } finally {
      await db.query(`DROP TRIGGER test_refuse_poison ON immunization`);
      await db.query(`DROP FUNCTION test_refuse_poison()`);
    }
  });

  it('a row needs the permission for its operation', async () => {
    // FLUONLY may create FLU but this file is COVID: refused as a whole (no c/u/d at all).
    const covid = fileName('COVID', 'FLU01');
    const res = await fluOnly.upload(covid, fileOf([fluRow(id('p'))]));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'Not processed - Unauthorised' });
    const inf = csvRows((await fluOnly.infAck(covid)).text)[1];
    expect(inf.slice(1, 7)).toEqual(['Failure', 'Fatal', 'Fatal Error', '10001', 'Technical', '10002']);
    expect(inf[7]).toContain('Not processed - Unauthorised');
    expect(inf[11]).toBe('False');
  });

  it.each([
    ['headers not exactly the 34', () => HEADER_LINE.replace('NHS_NUMBER', 'NHS_NO') + rowLine(fluRow('h1')), 'File headers are invalid.'],
    [
      'headers in another order',
      () => HEADER_LINE.replace('PERSON_FORENAME|PERSON_SURNAME', 'PERSON_SURNAME|PERSON_FORENAME') + rowLine(fluRow('h2')),
      'File headers are invalid.',
    ],
    ['no data rows', () => HEADER_LINE + '\n\n', 'Not processed - Empty file'],
    ['no bytes at all', () => '', 'File headers are invalid.'],
  ])('file-level refusal: %s', async (_what, body, reason) => {
    const name = fileName('FLU', 'YGM41');
    const res = await emis.upload(name, body());
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'rejected', reason, rows: { total: 0, succeeded: 0, failed: 0 } });
    expect(res.body.completedAt).not.toBeNull();
    expect(csvRows((await emis.infAck(name)).text)[1][7]).toContain(reason);
    expect((await emis.busAck(name)).status).toBe(404);
    expect((await emis.summary(name)).status).toBe(404);
  });

  it.each([
    ['not five parts', 'FLU_Vaccinations_YGM41_20260101T12000000.csv'],
    ['an unknown vaccine type', 'FLUX_Vaccinations_v5_YGM41_20260101T12000000.csv'],
    ['version v4', 'FLU_Vaccinations_v4_YGM41_20260101T12000000.csv'],
    ['zone 02', 'FLU_Vaccinations_v5_YGM41_20260101T12000002.csv'],
    ['an impossible date', 'FLU_Vaccinations_v5_YGM41_20260231T12000000.csv'],
    ['not .csv', 'FLU_Vaccinations_v5_YGM41_20260101T12000000.txt'],
  ])('a bad file name (%s) → 400 OperationOutcome', async (_what, name) => {
    const res = await emis.upload(name, fileOf([fluRow('n')]));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('invalid');
  });

  it('names are checked case-insensitively', async () => {
    const name = fileName('flu', 'ygm41').replace('Vaccinations', 'VACCINATIONS').replace('v5', 'V5');
    const res = await emis.upload(name, fileOf([fluRow(id('ci'))]));
    expect(res.status).toBe(202);
    expect(res.body.vaccineType).toBe('FLU');
  });

  it('a name already received → 409, even in other letter case; nothing is stored twice', async () => {
    const name = fileName('FLU', 'YGM41');
    expect((await emis.upload(name, fileOf([fluRow(id('d1'))]))).status).toBe(202);
    const again = await emis.upload(name.toLowerCase(), fileOf([fluRow(id('d2'))]));
    expect(again.status).toBe(409);
    expect(again.body.issue[0].code).toBe('duplicate');
  });

  it("another supplier's ODS code → 403; another supplier's file status and acks → 404", async () => {
    const name = fileName('FLU', 'YGA');
    const res = await emis.upload(name, fileOf([fluRow(id('o'))]));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].code).toBe('forbidden');
    const own = fileName('FLU', 'YGA');
    expect((await tpp.upload(own, fileOf([fluRow(id('t'))]))).status).toBe(202);
    expect((await emis.status(own)).status).toBe(404);
    expect((await emis.infAck(own)).status).toBe(404);
    expect((await emis.busAck(own)).status).toBe(404);
    expect((await tpp.status(own)).status).toBe(200);
  });

  it('a body that is not CSV → 415; no token → 401 before anything else', async () => {
    const res = await emis.upload(fileName('FLU', 'YGM41'), '{}', 'application/json');
    expect(res.status).toBe(415);
    const anon = await t.http
      .put(`/immunisation-fhir-api/batch/files/${fileName('FLU', 'YGM41')}`)
      .set('Content-Type', 'text/csv')
      .send('x');
    expect(anon.status).toBe(401);
  });

  it('quoted values and a Windows-1252 file are read', async () => {
    const v = id('q');
    const name = fileName('FLU', 'YGM41');
    const row = rowLine(fluRow(v, { PERSON_SURNAME: 'Ó Briain', VACCINE_MANUFACTURER: 'Acme | Co' }));
    expect(row).toContain('"Acme | Co"');
    const bytes = Buffer.from(HEADER_LINE + row, 'latin1'); // Ó is 0xD3: not valid UTF-8
    expect((await emis.upload(name, bytes)).status).toBe(202);
    expect(await emis.settled(name)).toMatchObject({ rows: { succeeded: 1 } });
    const [r] = await byIdentifier(v);
    expect(r.manufacturer.display).toBe('Acme | Co');
    const full = (await api.read(r.id)).body;
    expect(full.contained.find((c: any) => c.resourceType === 'Patient').name[0].family).toBe('Ó Briain');
  });

  it("one supplier's second file of a vaccine type waits for the first, in arrival order", async () => {
    const processor = t.app.get(BatchProcessor);
    await processor.stop();
    const v = id('order');
    const first = fileName('MMR', 'YGM41');
    const second = fileName('MMR', 'YGM41');
    const otherType = fileName('HPV', 'YGM41');
    try {
      const r1 = Array.from({ length: 7 }, (_, i) => fluRow(`${v}-${i}`));
      expect((await emis.upload(first, fileOf(r1))).status).toBe(202);
      // The second file updates what the first creates: in the wrong order every row would fail.
      expect((await emis.upload(second, fileOf(r1.map((r) => ({ ...r, ACTION_FLAG: 'UPDATE', BATCH_NUMBER: 'SECOND' }))))).status).toBe(
        202,
      );
      expect((await emis.upload(otherType, fileOf([fluRow(`${v}-hpv`)]))).status).toBe(202);

      const store = t.app.get(BatchStore);
      const db = t.app.get(Database);
      const a = await store.claim(db, '00000000-0000-4000-8000-000000000001', 60_000);
      const b = await store.claim(db, '00000000-0000-4000-8000-000000000002', 60_000);
      const c = await store.claim(db, '00000000-0000-4000-8000-000000000002', 60_000);
      expect(a?.file_name).toBe(first);
      expect(b?.file_name).toBe(otherType); // not `second`: its group is busy
      expect(c).toBeNull();
      expect((await emis.status(second)).body.status).toBe('queued');
      // Give the claims back (as an expired lease would) and let the worker run.
      await db.query(`UPDATE batch_file SET lease_expires_at = now() - interval '1 second' WHERE file_name IN ($1, $2)`, [
        first,
        otherType,
      ]);
    } finally {
      processor.start();
    }
    const s1 = await emis.settled(first);
    const s2 = await emis.settled(second);
    expect(s1.rows).toEqual({ total: 7, succeeded: 7, failed: 0 });
    expect(s2.rows).toEqual({ total: 7, succeeded: 7, failed: 0 });
    expect(Date.parse(s2.completedAt)).toBeGreaterThanOrEqual(Date.parse(s1.completedAt));
    const [r] = await byIdentifier(`${v}-3`);
    expect(r.lotNumber).toBe('SECOND');
    expect((await emis.settled(otherType)).rows.succeeded).toBe(1);
  });

  describe('delta export', () => {
    it('flat records of a create, update and delete, oldest first, matching the flat mapping field by field; paged with Link rel=next', async () => {
      const delta = batchClient(t, await t.tokenFor('DELTA'));
      const since = new Date(Date.now() - 1000).toISOString();
      const body = JSON.parse(JSON.stringify(nationalFlu));
      body.identifier[0].value = id('delta');
      const created = await api.create(body);
      expect(created.status).toBe(201);
      const immsId = created.headers.location.split('/').pop();
      expect((await api.update(immsId, { ...body, id: immsId, lotNumber: 'LOT-9' }, { 'E-Tag': '1' })).status).toBe(200);
      expect((await api.delete(immsId)).status).toBe(204);

      // Settled changes only (see the change feed): wait until the delete is visible, then page through.
      for (let i = 0; i < 300; i++) {
        const all = csvRows((await delta.delta(`?_since=${encodeURIComponent(since)}&_count=100`)).text);
        if (all.some((r) => r[35] === immsId && r[34] === 'DELETE')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rows: string[][] = [];
      let next: string | null = `?_since=${encodeURIComponent(since)}&_count=1`;
      let pages = 0;
      while (next) {
        const res = await delta.delta(next);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/csv/);
        const [header, ...data] = csvRows(res.text);
        expect(header).toEqual([...FLAT_FIELDS, 'OPERATION', 'IMMS_ID', 'SUPPLIER_SYSTEM', 'VACCINE_TYPE', 'DATE_TIME_STAMP']);
        rows.push(...data);
        pages++;
        const link = res.headers.link as string | undefined;
        next = link ? link.match(/<[^>]*\/batch\/delta(\?[^>]*)>; rel="next"/)![1] : null;
        if (pages > 50) throw new Error('paging does not end');
      }
      const mine = rows.filter((r) => r[35] === immsId);
      expect(mine.map((r) => [r[34], r[11], r[36], r[37]])).toEqual([
        ['CREATE', 'NEW', 'EMIS', 'FLU'],
        ['UPDATE', 'UPDATE', 'EMIS', 'FLU'],
        ['DELETE', 'DELETE', 'EMIS', 'FLU'],
      ]);
      for (const r of mine) {
        FLAT_FIELDS.forEach((f, i) => {
          const expected =
            f === 'UNIQUE_ID'
              ? body.identifier[0].value
              : f === 'ACTION_FLAG'
                ? r[11]
                : f === 'BATCH_NUMBER' && r[34] !== 'CREATE'
                  ? 'LOT-9'
                  : NATIONAL_FLU_FLAT[f];
          expect([f, r[i]]).toEqual([f, expected]);
        });
        expect(Date.parse(r[38])).toBeGreaterThanOrEqual(Date.parse(since));
      }
    });

    it('needs the delta-reader role (403) and a valid _since/_count/_cursor (400)', async () => {
      expect((await emis.delta()).status).toBe(403);
      const delta = batchClient(t, await t.tokenFor('DELTA'));
      for (const q of ['?_since=yesterday', '?_count=0', '?_count=abc', '?_cursor=1', '?_cursor=99999999999999999999.1']) {
        const res = await delta.delta(q);
        expect([q, res.status]).toEqual([q, 400]);
        expect(JSON.parse(res.text).resourceType).toBe('OperationOutcome');
      }
    });
  });
});
