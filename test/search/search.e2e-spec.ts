import { randomUUID } from 'node:crypto';
import { BASE, immunization } from '../support/immunization-fixture';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { freshNhsNumber, Method, NHS_SYSTEM, Params, query, searchClient, SNOMED } from './support/search-client';
import { assertSeedSearchset, SchemaOptions } from './support/searchset-schema';

/** SEARCH_MAX_COUNT for this app: small, so the default page size and its cap are testable with few records. */
const MAX_COUNT = 10;
const MEASLES = '14189004';
const INFLUENZA = '6142004';

interface Made {
  id: string;
  type: string;
  occurrence: string;
  identifier: { system: string; value: string };
}

/** Result order of docs/api.md §5: occurrence instant newest first, then id. */
const byResultOrder = (a: Made, b: Made) => Date.parse(b.occurrence) - Date.parse(a.occurrence) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const ids = (made: Made[]) => [...made].sort(byResultOrder).map((m) => m.id);

const matchIds = (body: any): string[] => body.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id);
const outcomeOf = (body: any) => body.entry.find((e: any) => e.search.mode === 'outcome')?.resource;
const selfUrl = (body: any) => body.link.find((l: any) => l.relation === 'self')?.url;
const nextUrl = (body: any) => body.link.find((l: any) => l.relation === 'next')?.url;

describe.each<Method>(['GET', 'POST'])('search (%s)', (method) => {
  let t: TestApp;
  let c: ReturnType<typeof searchClient>;
  let base: string;
  const p1 = freshNhsNumber();
  const p2 = freshNhsNumber();
  const paged = freshNhsNumber();
  const p1Records: Made[] = [];
  let other: Made;
  let deleted: Made;
  let withoutNhs: Made;
  const pagedRecords: Made[] = [];

  async function make(nhs: string | null, type: string, occurrence: string, identifierValue = randomUUID()): Promise<Made> {
    const body = immunization({ nhsNumber: nhs, vaccineType: type, occurrenceDateTime: occurrence, identifierValue });
    const id = await c.create(body);
    return { id, type, occurrence, identifier: body.identifier[0] };
  }

  const patient = (nhs: string): [string, string] => ['patient.identifier', `${NHS_SYSTEM}|${nhs}`];
  const search = (params: Params, supplier = 'ALL') => c.search(method, supplier, params);

  /** A 200 searchset that the seed schema accepts. */
  async function ok(params: Params, supplier = 'ALL', schema: SchemaOptions = {}) {
    const res = await search(params, supplier);
    expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    assertSeedSearchset(res.body, schema);
    return res.body;
  }

  /** A 400 INVALID whose diagnostics name the parameter. */
  async function invalid(params: Params, parameter: string, supplier = 'ALL') {
    const res = await search(params, supplier);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'invalid', details: { coding: [{ code: 'INVALID' }] } });
    expect(res.body.issue.map((i: any) => i.diagnostics).join('\n')).toContain(parameter);
    return res.body;
  }

  beforeAll(async () => {
    t = await startTestApp({
      env: { SEARCH_MAX_COUNT: String(MAX_COUNT) },
      suppliers: [
        testSupplier('ALL', ['*.CRUDS']),
        testSupplier('FLU_SEARCH', ['FLU.S']),
        testSupplier('MMR_SEARCH', ['MMR.S']),
        testSupplier('NO_SEARCH', ['*.CRUD']),
        testSupplier('NO_GRANTS', []),
      ],
    });
    c = searchClient(t);
    base = `${t.config.publicBaseUrl}${BASE}`;
    const plan: [string, string][] = [
      ['FLU', '2024-01-15T10:00:00+00:00'],
      ['FLU', '2023-10-01T09:00:00+01:00'],
      // 23:30 UTC on the 10th, but written as the 11th: date filters go by the date as written.
      ['FLU', '2024-03-11T00:30:00+01:00'],
      ['FLU', '2024-03-10T23:45:00+0000'],
      // Same instant twice: id decides.
      ['FLU', '2020-01-01T00:00:00+00:00'],
      ['FLU', '2020-01-01T00:00:00+00:00'],
      ['COVID', '2024-03-10'],
      ['MMR', '2022-05-05T12:00:00+00:00'],
      ['MMRV', '2021-06-06T12:00:00+00:00'],
    ];
    for (const [type, occurrence] of plan) p1Records.push(await make(p1, type, occurrence));
    deleted = await make(p1, 'FLU', '2024-02-02T02:02:02+00:00');
    await c.remove(deleted.id);
    other = await make(p2, 'FLU', '2024-01-16T10:00:00+00:00');
    withoutNhs = await make(null, 'FLU', '2024-01-17T10:00:00+00:00');
    for (let i = 0; i < 23; i++) pagedRecords.push(await make(paged, 'FLU', `2023-0${1 + (i % 9)}-1${i % 3}T08:00:00+00:00`));
  });
  afterAll(() => t?.close());

  const p1Of = (...types: string[]) => p1Records.filter((r) => types.includes(r.type));

  describe('patient search', () => {
    it("returns the patient's live records of the type, newest first then id, as docs/api.md §5 shapes them", async () => {
      const body = await ok([patient(p1), ['-immunization.target', 'FLU']]);
      expect(body.resourceType).toBe('Bundle');
      expect(body.type).toBe('searchset');
      expect(matchIds(body)).toEqual(ids(p1Of('FLU')));
      expect(body.total).toBe(p1Of('FLU').length);
      expect(body.link).toEqual([
        { relation: 'self', url: `${base}/Immunization?${query([patient(p1), ['-immunization.target', 'FLU']])}` },
      ]);

      const includes = body.entry.filter((e: any) => e.search.mode === 'include');
      expect(includes).toHaveLength(1);
      const [include] = includes;
      expect(include.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(include.resource).toEqual({ resourceType: 'Patient', id: p1, identifier: [{ system: NHS_SYSTEM, value: p1 }] });
      for (const e of body.entry.filter((x: any) => x.search.mode === 'match')) {
        expect(e.fullUrl).toBe(`${base}/Immunization/${e.resource.id}`);
        expect(e.resource.meta.versionId).toBe('1');
        expect(e.resource.contained).toBeUndefined();
        expect(e.resource.patient).toEqual({ reference: include.fullUrl, type: 'Patient', identifier: { system: NHS_SYSTEM, value: p1 } });
        // The contained Practitioner is gone, so nothing may point at it any more.
        expect(JSON.stringify(e.resource)).not.toContain('"#');
        expect(e.resource.performer).toEqual([expect.objectContaining({ actor: expect.objectContaining({ type: 'Organization' }) })]);
      }
      expect(matchIds(body)).not.toContain(deleted.id);
      expect(matchIds(body)).not.toContain(other.id);
      expect(matchIds(body)).not.toContain(withoutNhs.id);
    });

    it('keeps the stored representation otherwise, key order included', async () => {
      const body = await ok([patient(p2), ['-immunization.target', 'FLU']]);
      const read = await t.http.get(`${BASE}/Immunization/${other.id}`).set(await c.auth('ALL'));
      const stored = read.body;
      const shown = body.entry[0].resource;
      const expectedKeys = Object.keys(stored).filter((k) => k !== 'contained');
      expect(Object.keys(shown)).toEqual(expectedKeys);
      for (const k of expectedKeys.filter((x) => !['patient', 'performer'].includes(x))) expect(shown[k]).toEqual(stored[k]);
    });

    it('ORs comma-separated types and lists them sorted in the self link', async () => {
      const body = await ok([patient(p1), ['-immunization.target', 'MMR,FLU,COVID']]);
      expect(matchIds(body)).toEqual(ids(p1Of('FLU', 'COVID', 'MMR')));
      expect(body.total).toBe(p1Of('FLU', 'COVID', 'MMR').length);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['-immunization.target', 'COVID,FLU,MMR']])}`);
    });

    it('ignores unknown (and wrongly cased) types with a warning, and leaves them out of the self link', async () => {
      const body = await ok([patient(p1), ['-immunization.target', 'FLU,flu,NOPE']]);
      expect(matchIds(body)).toEqual(ids(p1Of('FLU')));
      const outcome = outcomeOf(body);
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue).toHaveLength(1);
      expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'invalid' });
      expect(outcome.issue[0].diagnostics).toContain('"flu"');
      expect(outcome.issue[0].diagnostics).toContain('"NOPE"');
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['-immunization.target', 'FLU']])}`);
    });

    it('answers 400 when no type is known', async () => {
      await invalid([patient(p1), ['-immunization.target', 'flu,NOPE']], '-immunization.target');
      await invalid([patient(p1), ['-immunization.target', '']], '-immunization.target');
    });

    it('needs -immunization.target or target-disease with patient.identifier', async () => {
      await invalid([patient(p1)], '-immunization.target or target-disease');
    });

    describe('patient.identifier', () => {
      it.each([
        ['missing', [['-immunization.target', 'FLU']]],
        [
          'another system',
          [
            ['patient.identifier', `https://example.org/ids|${'9000000009'}`],
            ['-immunization.target', 'FLU'],
          ],
        ],
        [
          'no system',
          [
            ['patient.identifier', '9000000009'],
            ['-immunization.target', 'FLU'],
          ],
        ],
        [
          'a wrong check digit',
          [
            ['patient.identifier', `${NHS_SYSTEM}|9000000001`],
            ['-immunization.target', 'FLU'],
          ],
        ],
        [
          'nine digits',
          [
            ['patient.identifier', `${NHS_SYSTEM}|900000000`],
            ['-immunization.target', 'FLU'],
          ],
        ],
        [
          'two NHS numbers',
          [
            ['patient.identifier', `${NHS_SYSTEM}|${freshNhsNumber()},${NHS_SYSTEM}|${freshNhsNumber()}`],
            ['-immunization.target', 'FLU'],
          ],
        ],
      ] as [string, Params][])('400 when %s', async (_what, params) => {
        await invalid(params, 'patient.identifier');
      });
    });

    describe('target-disease', () => {
      it('expands a disease to every vaccine type covering it (measles → MMR and MMRV)', async () => {
        const body = await ok([patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`]]);
        expect(matchIds(body)).toEqual(ids(p1Of('MMR', 'MMRV')));
        expect(body.total).toBe(2);
        expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`]])}`);
      });

      it('ORs diseases, sorted in the self link', async () => {
        const body = await ok([patient(p1), ['target-disease', `${SNOMED}|${MEASLES},${SNOMED}|${INFLUENZA}`]]);
        expect(matchIds(body)).toEqual(ids(p1Of('MMR', 'MMRV', 'FLU')));
        expect(selfUrl(body)).toBe(
          `${base}/Immunization?${query([
            patient(p1),
            [
              'target-disease',
              [INFLUENZA, MEASLES]
                .sort()
                .map((x) => `${SNOMED}|${x}`)
                .join(','),
            ],
          ])}`,
        );
      });

      it('ignores unknown codes and other systems with a warning', async () => {
        const body = await ok([patient(p1), ['target-disease', `${SNOMED}|${MEASLES},${SNOMED}|123456,http://loinc.org|${INFLUENZA}`]]);
        expect(matchIds(body)).toEqual(ids(p1Of('MMR', 'MMRV')));
        const [warning] = outcomeOf(body).issue;
        expect(warning).toMatchObject({ severity: 'warning', code: 'invalid' });
        expect(warning.diagnostics).toContain(`${SNOMED}|123456`);
        expect(warning.diagnostics).toContain(`http://loinc.org|${INFLUENZA}`);
        expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`]])}`);
      });

      it('answers 400 when no code is known', async () => {
        await invalid([patient(p1), ['target-disease', `${SNOMED}|123456,${MEASLES}`]], 'target-disease');
      });

      it('cannot be combined with -immunization.target or identifier', async () => {
        await invalid([patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`], ['-immunization.target', 'MMR']], 'target-disease');
        await invalid(
          [
            ['identifier', `${withoutNhs.identifier.system}|${withoutNhs.identifier.value}`],
            ['target-disease', `${SNOMED}|${MEASLES}`],
          ],
          'target-disease',
        );
      });
    });

    describe('-date.from / -date.to', () => {
      it('bound the calendar date as written, both ends inclusive', async () => {
        const written = (r: Made) => r.occurrence.slice(0, 10);
        const within = (from: string, to: string, types: string[]) => p1Of(...types).filter((r) => written(r) >= from && written(r) <= to);
        for (const [from, to] of [
          ['2024-03-11', '2024-03-11'],
          ['2024-03-10', '2024-03-10'],
          ['2024-01-15', '2024-03-10'],
          ['2020-01-01', '2023-10-01'],
        ]) {
          const body = await ok([patient(p1), ['-immunization.target', 'COVID,FLU'], ['-date.from', from], ['-date.to', to]]);
          const expected = within(from, to, ['COVID', 'FLU']);
          expect(expected.length).toBeGreaterThan(0);
          expect(matchIds(body)).toEqual(ids(expected));
          expect(selfUrl(body)).toBe(
            `${base}/Immunization?${query([patient(p1), ['-immunization.target', 'COVID,FLU'], ['-date.from', from], ['-date.to', to]])}`,
          );
        }
        // The record at 00:30+01:00 on the 11th is 23:30 UTC on the 10th, yet only the 11th finds it.
        const eleventh = p1Records.find((r) => r.occurrence.startsWith('2024-03-11'))!;
        expect(matchIds(await ok([patient(p1), ['-immunization.target', 'FLU'], ['-date.from', '2024-03-11']]))).toContain(eleventh.id);
        expect(matchIds(await ok([patient(p1), ['-immunization.target', 'FLU'], ['-date.to', '2024-03-10']]))).not.toContain(eleventh.id);
      });

      it.each(['2024-02-30', '2023-02-29', '2024-13-01', '2024-3-1', '20240301', '2024-03-01T00:00:00', '', '0000-01-01'])(
        '400 for %p',
        async (value) => {
          await invalid([patient(p1), ['-immunization.target', 'FLU'], ['-date.from', value]], '-date.from');
          await invalid([patient(p1), ['-immunization.target', 'FLU'], ['-date.to', value]], '-date.to');
        },
      );

      it('accepts 29 February of a leap year', async () => {
        await ok([patient(p1), ['-immunization.target', 'FLU'], ['-date.from', '2024-02-29']]);
      });

      it('400 when -date.from is after -date.to', async () => {
        await invalid(
          [patient(p1), ['-immunization.target', 'FLU'], ['-date.from', '2024-03-12'], ['-date.to', '2024-03-11']],
          '-date.from',
        );
      });
    });

    describe('_include', () => {
      it.each(['Immunization:patient', 'immunization:PATIENT'])('accepts %p and shows it canonically in the self link', async (value) => {
        const body = await ok([patient(p1), ['-immunization.target', 'FLU'], ['_include', value]]);
        expect(matchIds(body)).toEqual(ids(p1Of('FLU')));
        expect(selfUrl(body)).toBe(
          `${base}/Immunization?${query([patient(p1), ['-immunization.target', 'FLU'], ['_include', 'Immunization:patient']])}`,
        );
      });

      it.each(['Immunization:practitioner', 'Patient', '*', ''])('400 for %p', async (value) => {
        await invalid([patient(p1), ['-immunization.target', 'FLU'], ['_include', value]], '_include');
      });
    });

    it('returns an empty searchset (no Patient entry) when nothing matches', async () => {
      const body = await ok([patient(freshNhsNumber()), ['-immunization.target', 'FLU']]);
      expect(body.total).toBe(0);
      expect(body.entry).toEqual([]);
    });
  });

  describe('parameters in general', () => {
    it('400 for a repeated parameter', async () => {
      await invalid([patient(p1), ['-immunization.target', 'FLU'], ['-immunization.target', 'COVID']], '-immunization.target');
      await invalid([patient(p1), patient(p1), ['-immunization.target', 'FLU']], 'patient.identifier');
    });

    it('ignores unknown parameters and leaves them out of the self link', async () => {
      const body = await ok([
        ['foo', 'bar'],
        patient(p1),
        ['_sort', '-date'],
        ['immunization.target', 'COVID'],
        ['-immunization.target', 'FLU'],
        ['foo', 'again'],
      ]);
      expect(matchIds(body)).toEqual(ids(p1Of('FLU')));
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['-immunization.target', 'FLU']])}`);
    });

    it('reports every wrong parameter at once, patient.identifier first', async () => {
      const body = await invalid(
        [
          ['patient.identifier', 'nope'],
          ['-immunization.target', 'FLU'],
          ['-date.from', 'x'],
          ['_include', 'y'],
          ['_count', 'z'],
        ],
        'patient.identifier',
      );
      const text = body.issue.map((i: any) => i.diagnostics);
      expect(text[0]).toContain('patient.identifier');
      for (const name of ['-date.from', '_include', '_count']) expect(text.some((d: string) => d.includes(name))).toBe(true);
      expect(body.issue.every((i: any) => i.code === 'invalid')).toBe(true);
    });
  });

  describe('_count and paging', () => {
    it(`defaults to SEARCH_MAX_COUNT (${MAX_COUNT}) and pages with next links until exhausted`, async () => {
      const expected = ids(pagedRecords);
      let body = await ok([patient(paged), ['-immunization.target', 'FLU']]);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(paged), ['-immunization.target', 'FLU']])}`);
      const seen: string[] = [];
      let pages = 0;
      for (;;) {
        pages++;
        expect(body.total).toBe(expected.length);
        expect(matchIds(body).length).toBeLessThanOrEqual(MAX_COUNT);
        seen.push(...matchIds(body));
        const next = nextUrl(body);
        if (!next) break;
        expect(
          next.startsWith(
            `${base}/Immunization?${query([patient(paged), ['-immunization.target', 'FLU'], ['_count', String(MAX_COUNT)]])}&_cursor=`,
          ),
        ).toBe(true);
        const res = await c.follow('ALL', next);
        expect(res.status).toBe(200);
        assertSeedSearchset(res.body);
        expect(selfUrl(res.body)).toBe(next);
        body = res.body;
      }
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / MAX_COUNT));
    });

    it('pages by _count, and caps it at SEARCH_MAX_COUNT', async () => {
      const expected = ids(pagedRecords);
      let body = await ok([patient(paged), ['-immunization.target', 'FLU'], ['_count', '3']]);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(paged), ['-immunization.target', 'FLU'], ['_count', '3']])}`);
      const seen = [...matchIds(body)];
      while (nextUrl(body)) {
        body = (await c.follow('ALL', nextUrl(body))).body;
        expect(matchIds(body).length).toBeLessThanOrEqual(3);
        seen.push(...matchIds(body));
      }
      expect(seen).toEqual(expected);

      const capped = await ok([patient(paged), ['-immunization.target', 'FLU'], ['_count', '1000']]);
      expect(matchIds(capped)).toEqual(expected.slice(0, MAX_COUNT));
      expect(selfUrl(capped)).toBe(
        `${base}/Immunization?${query([patient(paged), ['-immunization.target', 'FLU'], ['_count', String(MAX_COUNT)]])}`,
      );
    });

    it('_count=0 gives the total only', async () => {
      const body = await ok([patient(paged), ['-immunization.target', 'FLU'], ['_count', '0']]);
      expect(body.total).toBe(pagedRecords.length);
      expect(body.entry).toEqual([]);
      expect(nextUrl(body)).toBeUndefined();
    });

    it.each(['abc', '-1', '1.5', '', '1e3'])('400 for _count=%p', async (value) => {
      await invalid([patient(paged), ['-immunization.target', 'FLU'], ['_count', value]], '_count');
    });

    it('400 for a _cursor this server did not hand out', async () => {
      await invalid([patient(paged), ['-immunization.target', 'FLU'], ['_cursor', 'bm90LWEtY3Vyc29y']], '_cursor');
    });

    it('keeps the total on a page that a delete emptied', async () => {
      const nhs = freshNhsNumber();
      const older = await make(nhs, 'FLU', '2021-01-01T00:00:00+00:00');
      await make(nhs, 'FLU', '2022-01-01T00:00:00+00:00');
      const first = await ok([patient(nhs), ['-immunization.target', 'FLU'], ['_count', '1']]);
      expect(first.total).toBe(2);
      await c.remove(older.id);
      const rest = await c.follow('ALL', nextUrl(first));
      expect(rest.status).toBe(200);
      assertSeedSearchset(rest.body);
      expect(rest.body).toMatchObject({ total: 1, entry: [] });
      expect(nextUrl(rest.body)).toBeUndefined();
    });
  });

  describe('permissions (docs/api.md §4)', () => {
    it('searches only the permitted types and warns (unauthorized) about the rest', async () => {
      const body = await ok([patient(p1), ['-immunization.target', 'FLU,COVID']], 'FLU_SEARCH');
      expect(matchIds(body)).toEqual(ids(p1Of('FLU')));
      expect(body.total).toBe(p1Of('FLU').length);
      const outcome = outcomeOf(body);
      expect(outcome.issue).toEqual([expect.objectContaining({ severity: 'warning', code: 'unauthorized' })]);
      expect(outcome.issue[0].diagnostics).toContain('COVID');
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([patient(p1), ['-immunization.target', 'FLU']])}`);
    });

    it('does the same for the vaccine types a target disease expands to', async () => {
      const body = await ok([patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`]], 'MMR_SEARCH');
      expect(matchIds(body)).toEqual(ids(p1Of('MMR')));
      expect(outcomeOf(body).issue).toEqual([expect.objectContaining({ severity: 'warning', code: 'unauthorized' })]);
    });

    it('carries both warnings when values were unknown and types were not permitted', async () => {
      const body = await ok([patient(p1), ['-immunization.target', 'FLU,COVID,NOPE']], 'FLU_SEARCH');
      expect(outcomeOf(body).issue.map((i: any) => i.code)).toEqual(['invalid', 'unauthorized']);
    });

    it('403 when no requested type may be searched', async () => {
      for (const [supplier, params] of [
        ['FLU_SEARCH', [patient(p1), ['-immunization.target', 'COVID']]],
        ['FLU_SEARCH', [patient(p1), ['target-disease', `${SNOMED}|${MEASLES}`]]],
        ['NO_SEARCH', [patient(p1), ['-immunization.target', 'FLU']]],
        ['NO_GRANTS', [patient(p1), ['-immunization.target', 'FLU']]],
      ] as [string, Params][]) {
        const res = await search(params, supplier);
        expect({ supplier, status: res.status }).toEqual({ supplier, status: 403 });
        expect(res.body.issue[0]).toMatchObject({ code: 'forbidden', details: { coding: [{ code: 'FORBIDDEN' }] } });
      }
    });

    it('400 before any permission check for invalid input', async () => {
      await invalid([patient(p1), ['-immunization.target', 'NOPE']], '-immunization.target', 'NO_GRANTS');
      await invalid([['identifier', 'no-bar']], 'identifier', 'NO_GRANTS');
      await invalid([patient(p1), ['-immunization.target', 'COVID'], ['-date.from', 'x']], '-date.from', 'FLU_SEARCH');
    });

    it('401 without a token, before anything else', async () => {
      const res =
        method === 'GET'
          ? await t.http.get(`${BASE}/Immunization?foo=bar`)
          : await t.http.post(`${BASE}/Immunization/_search`).type('form').send('foo=bar');
      expect(res.status).toBe(401);
    });
  });

  describe('identifier search', () => {
    const identifier = (m: Made): [string, string] => ['identifier', `${m.identifier.system}|${m.identifier.value}`];

    it('finds a record by the supplier identifier, also without an NHS number (never by patient search)', async () => {
      const body = await ok([identifier(withoutNhs)], 'ALL', { withoutNhsNumber: true });
      expect(body.total).toBe(1);
      expect(matchIds(body)).toEqual([withoutNhs.id]);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([identifier(withoutNhs)])}`);
      // Immunization entries only: the NHS search response schema has no Patient entry for identifier search.
      expect(body.entry).toHaveLength(1);
      const [match] = body.entry;
      expect(match.fullUrl).toBe(`${base}/Immunization/${withoutNhs.id}`);
      expect(match.resource.contained).toBeUndefined();
      expect(match.resource.patient).toEqual({ reference: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/), type: 'Patient' });
    });

    it('shows a record with an NHS number like patient search does, without a Patient entry even with _include', async () => {
      const target = p1Of('COVID')[0];
      const body = await ok([identifier(target), ['_include', 'Immunization:patient']]);
      expect(matchIds(body)).toEqual([target.id]);
      expect(body.entry).toHaveLength(1);
      expect(body.entry[0].resource.patient).toEqual({
        reference: expect.stringMatching(/^urn:uuid:/),
        type: 'Patient',
        identifier: { system: NHS_SYSTEM, value: p1 },
      });
      expect(body.entry.some((e: any) => e.resource.resourceType === 'Patient')).toBe(false);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([identifier(target), ['_include', 'Immunization:patient']])}`);
    });

    it.each([['id,meta'], ['meta,id'], ['id'], ['meta'], [' id , meta ']])('trims each entry to _elements=%p', async (elements) => {
      const target = p1Of('FLU')[0];
      const body = await ok([identifier(target), ['_elements', elements]], 'ALL', { subsetted: true });
      const asked = elements.split(',').map((e) => e.trim());
      expect(body.entry).toHaveLength(1);
      const [match] = body.entry;
      expect(Object.keys(match.resource).sort()).toEqual(['resourceType', ...asked].sort());
      expect(match.resource.resourceType).toBe('Immunization');
      if (asked.includes('id')) expect(match.resource.id).toBe(target.id);
      if (asked.includes('meta')) {
        expect(match.resource.meta.versionId).toBe('1');
        expect(match.resource.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
      }
      expect(selfUrl(body)).toBe(
        `${base}/Immunization?${query([identifier(target), ['_elements', ['id', 'meta'].filter((e) => asked.includes(e)).join(',')]])}`,
      );
    });

    it('400 for _elements other than id and meta, or without identifier', async () => {
      await invalid([identifier(withoutNhs), ['_elements', 'id,status']], '_elements');
      await invalid([identifier(withoutNhs), ['_elements', '']], '_elements');
      await invalid([patient(p1), ['-immunization.target', 'FLU'], ['_elements', 'id']], '_elements');
    });

    it('400 with patient-search parameters', async () => {
      await invalid([identifier(withoutNhs), patient(p1)], 'patient.identifier');
      await invalid([identifier(withoutNhs), ['-immunization.target', 'FLU']], '-immunization.target');
      await invalid([identifier(withoutNhs), ['-date.from', '2020-01-01']], '-date.from');
      await invalid([identifier(withoutNhs), ['-date.to', '2020-01-01']], '-date.to');
    });

    it.each(['no-bar', '|value', 'system|', 'a|b,c|d', ''])('400 for identifier=%p', async (value) => {
      await invalid([['identifier', value]], 'identifier');
    });

    it('answers an empty searchset when nothing has the identifier', async () => {
      const body = await ok([['identifier', `https://supplierABC/identifiers/vacc|${randomUUID()}`]]);
      expect(body).toMatchObject({ total: 0, entry: [] });
    });

    it('matches values with FHIR-escaped commas and bars exactly', async () => {
      const odd = await make(p2, 'FLU', '2022-02-02T02:02:02+00:00', `odd,value|${randomUUID()}`);
      const escaped = `${odd.identifier.system}|${odd.identifier.value.replace(/([,|\\])/g, '\\$1')}`;
      const body = await ok([['identifier', escaped]]);
      expect(matchIds(body)).toEqual([odd.id]);
      expect(selfUrl(body)).toBe(`${base}/Immunization?${query([['identifier', escaped]])}`);
    });

    it('403 when the found record is of a type the supplier may not search', async () => {
      const covid = p1Of('COVID')[0];
      const res = await search([identifier(covid)], 'FLU_SEARCH');
      expect(res.status).toBe(403);
      expect((await search([identifier(p1Of('FLU')[0])], 'FLU_SEARCH')).status).toBe(200);
      expect((await search([identifier(p1Of('FLU')[0])], 'NO_SEARCH')).status).toBe(403);
    });

    it('never finds a deleted record', async () => {
      const body = await ok([identifier(deleted)]);
      expect(body).toMatchObject({ total: 0, entry: [] });
    });
  });

  describe('kept in step with writes', () => {
    it('finds a record right after its 201 (read-your-writes), by patient and by identifier', async () => {
      const nhs = freshNhsNumber();
      const made = await make(nhs, 'RSV', '2024-05-05T05:05:05+00:00');
      expect(matchIds(await ok([patient(nhs), ['-immunization.target', 'RSV']]))).toEqual([made.id]);
      expect(matchIds(await ok([['identifier', `${made.identifier.system}|${made.identifier.value}`]]))).toEqual([made.id]);
    });

    it('follows updates: new content and version, a changed type, a removed NHS number', async () => {
      const nhs = freshNhsNumber();
      const body = immunization({ nhsNumber: nhs, vaccineType: 'FLU', occurrenceDateTime: '2024-06-06T06:06:06+00:00' });
      const id = await c.create(body);
      const byIdentifier: [string, string] = ['identifier', `${body.identifier[0].system}|${body.identifier[0].value}`];

      let version = await c.update(id, { ...body, lotNumber: 'LOT-2' }, 1);
      let found = await ok([patient(nhs), ['-immunization.target', 'FLU']]);
      expect(found.entry[0].resource).toMatchObject({ id, lotNumber: 'LOT-2', meta: { versionId: String(version) } });

      const asCovid = immunization({
        nhsNumber: nhs,
        vaccineType: 'COVID',
        occurrenceDateTime: '2024-06-06T06:06:06+00:00',
        identifierValue: body.identifier[0].value,
      });
      version = await c.update(id, asCovid, version);
      expect((await ok([patient(nhs), ['-immunization.target', 'FLU']])).total).toBe(0);
      expect(matchIds(await ok([patient(nhs), ['-immunization.target', 'COVID']]))).toEqual([id]);

      const anonymous = immunization({
        nhsNumber: null,
        vaccineType: 'COVID',
        occurrenceDateTime: '2024-06-06T06:06:06+00:00',
        identifierValue: body.identifier[0].value,
      });
      version = await c.update(id, anonymous, version);
      expect((await ok([patient(nhs), ['-immunization.target', 'COVID']])).total).toBe(0);
      found = await ok([byIdentifier], 'ALL', { withoutNhsNumber: true });
      expect(matchIds(found)).toEqual([id]);
      expect(found.entry[0].resource.meta.versionId).toBe(String(version));
    });

    it('drops a deleted record from every search and brings it back when reinstated', async () => {
      const nhs = freshNhsNumber();
      const body = immunization({ nhsNumber: nhs, vaccineType: 'HPV', occurrenceDateTime: '2024-07-07T07:07:07+00:00' });
      const id = await c.create(body);
      const byPatient: Params = [patient(nhs), ['-immunization.target', 'HPV']];
      const byIdentifier: Params = [['identifier', `${body.identifier[0].system}|${body.identifier[0].value}`]];
      expect(matchIds(await ok(byPatient))).toEqual([id]);

      await c.remove(id);
      expect(await ok(byPatient)).toMatchObject({ total: 0, entry: [] });
      expect(await ok(byIdentifier)).toMatchObject({ total: 0, entry: [] });

      const version = await c.update(id, body, 1);
      expect(version).toBe(2);
      for (const params of [byPatient, byIdentifier]) {
        const back = await ok(params);
        expect(matchIds(back)).toEqual([id]);
        expect(back.entry[0].resource.meta.versionId).toBe('2');
      }

      // Reinstating by creating again with the same identifier works the same way.
      await c.remove(id);
      expect(await ok(byPatient)).toMatchObject({ total: 0 });
      expect(await c.create(body)).toBe(id);
      expect(matchIds(await ok(byPatient))).toEqual([id]);
    });
  });
});

describe('search routes', () => {
  let t: TestApp;
  let c: ReturnType<typeof searchClient>;
  beforeAll(async () => {
    t = await startTestApp();
    c = searchClient(t);
  });
  afterAll(() => t?.close());

  it('POST _search takes a form body only: JSON is 415', async () => {
    const res = await t.http
      .post(`${BASE}/Immunization/_search`)
      .set(await c.auth('ALL'))
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ 'patient.identifier': `${NHS_SYSTEM}|9000000009` }));
    expect(res.status).toBe(415);
    expect(res.body.issue[0].code).toBe('not-supported');
  });

  it('POST _search without a body asks for patient.identifier', async () => {
    const res = await t.http.post(`${BASE}/Immunization/_search`).set(await c.auth('ALL'));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('patient.identifier');
  });

  it('POST _search counts a parameter in both the URL and the body as repeated', async () => {
    const nhs = freshNhsNumber();
    const res = await t.http
      .post(`${BASE}/Immunization/_search?-immunization.target=FLU`)
      .set(await c.auth('ALL'))
      .type('form')
      .send(
        query([
          ['patient.identifier', `${NHS_SYSTEM}|${nhs}`],
          ['-immunization.target', 'COVID'],
        ]),
      );
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('-immunization.target');
    const merged = await t.http
      .post(`${BASE}/Immunization/_search?-immunization.target=FLU`)
      .set(await c.auth('ALL'))
      .type('form')
      .send(query([['patient.identifier', `${NHS_SYSTEM}|${nhs}`]]));
    expect(merged.status).toBe(200);
    assertSeedSearchset(merged.body);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    const get = res.body.paths[`${BASE}/Immunization`]?.get;
    expect(get.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining([
        'patient.identifier',
        '-immunization.target',
        'target-disease',
        '-date.from',
        '-date.to',
        'identifier',
        '_elements',
        '_include',
        '_count',
      ]),
    );
    expect(Object.keys(res.body.paths[`${BASE}/Immunization/_search`].post.requestBody.content)).toEqual([
      'application/x-www-form-urlencoded',
    ]);
  });

  it('declares search-type and every search parameter in the CapabilityStatement', async () => {
    const res = await t.http.get(`${BASE}/metadata`);
    const imms = res.body.rest[0].resource.find((r: any) => r.type === 'Immunization');
    expect(imms.interaction.map((i: any) => i.code)).toContain('search-type');
    const declared = Object.fromEntries(imms.searchParam.map((p: any) => [p.name, p.type]));
    expect(declared).toEqual({
      'patient.identifier': 'token',
      '-immunization.target': 'token',
      'target-disease': 'token',
      '-date.from': 'date',
      '-date.to': 'date',
      identifier: 'token',
      _elements: 'special',
      _include: 'special',
      _count: 'number',
      _cursor: 'special',
    });
    for (const p of imms.searchParam) expect(p.documentation.length).toBeGreaterThan(20);
  });
});
