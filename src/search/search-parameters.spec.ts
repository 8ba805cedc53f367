import { FhirError } from '../fhir/operation-outcome';
import { encodeCursor } from './search-cursor';
import { searchQueryString } from './search-links';
import { IdentifierSearch, parseSearchParameters, PatientSearch, requestedTypes } from './search-parameters';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const SNOMED = 'http://snomed.info/sct';
const VALID_NHS = '9000000009';
const MAX = 1000;

const parse = (pairs: [string, string][]) => parseSearchParameters(pairs, MAX);
const patient = (...more: [string, string][]) => parse([['patient.identifier', `${NHS}|${VALID_NHS}`], ...more]) as PatientSearch;

function errorsOf(pairs: [string, string][]): string[] {
  try {
    parse(pairs);
  } catch (e) {
    expect(e).toBeInstanceOf(FhirError);
    const err = e as FhirError;
    expect(err.status).toBe(400);
    for (const i of err.issues) expect(i).toMatchObject({ severity: 'error', code: 'invalid', details: { coding: [{ code: 'INVALID' }] } });
    return err.issues.map((i) => i.diagnostics!);
  }
  throw new Error('expected a 400');
}

describe('parseSearchParameters', () => {
  describe('patient search', () => {
    it('reads the NHS number, the types (sorted, repeats removed) and the defaults', () => {
      const s = patient(['-immunization.target', 'MMR, FLU,MMR']);
      expect(s).toMatchObject({
        kind: 'patient',
        nhsNumber: VALID_NHS,
        selection: { by: 'target', types: ['FLU', 'MMR'] },
        dateFrom: null,
        dateTo: null,
        include: false,
        count: MAX,
        countGiven: false,
        cursor: null,
        warnings: [],
      });
    });

    it('keeps known types, warns once about unknown ones (case-sensitive)', () => {
      const s = patient(['-immunization.target', 'FLU,flu,NOPE']);
      expect(s.selection).toEqual({ by: 'target', types: ['FLU'] });
      expect(s.warnings).toHaveLength(1);
      expect(s.warnings[0]).toMatchObject({ severity: 'warning', code: 'invalid' });
      expect(s.warnings[0].diagnostics).toMatch(/"flu", "NOPE"/);
    });

    it('echoes at most ten ignored values', () => {
      const many = Array.from({ length: 25 }, (_, i) => `X${i}`);
      const [warning] = patient(['-immunization.target', ['FLU', ...many].join(',')]).warnings;
      expect(warning.diagnostics).toContain('"X9" and 15 more');
      expect(warning.diagnostics).not.toContain('X10');
    });

    it('rejects a search with no known type', () => {
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'flu'],
        ])[0],
      ).toMatch(/-immunization\.target.*FLU/);
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', ' , '],
        ])[0],
      ).toMatch(/-immunization\.target must have one or more values/);
    });

    it('expands target diseases to the types covering them, ignoring unknown ones with a warning', () => {
      const s = patient(['target-disease', `${SNOMED}|14189004, ${SNOMED}|6142004,${SNOMED}|1,http://loinc.org|6142004,14189004`]);
      expect(s.selection).toEqual({
        by: 'disease',
        diseases: [
          { code: '14189004', types: ['MMR', 'MMRV'] },
          { code: '6142004', types: ['FLU'] },
        ],
      });
      expect(requestedTypes(s)).toEqual(['FLU', 'MMR', 'MMRV']);
      expect(s.warnings).toHaveLength(1);
      expect(s.warnings[0].diagnostics).toContain(`"${SNOMED}|1", "http://loinc.org|6142004", "14189004"`);
    });

    it('rejects target-disease with no supported code, or together with -immunization.target', () => {
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['target-disease', `${SNOMED}|1`],
        ])[0],
      ).toMatch(/target-disease/);
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['target-disease', `${SNOMED}|14189004`],
          ['-immunization.target', 'MMR'],
        ])[0],
      ).toMatch(/target-disease cannot be combined with -immunization\.target/);
    });

    it('needs a type or a disease', () => {
      expect(errorsOf([['patient.identifier', `${NHS}|${VALID_NHS}`]])).toEqual([
        expect.stringMatching(/-immunization\.target or target-disease is required/),
      ]);
    });

    it.each([
      ['missing', [] as [string, string][], /patient\.identifier is required/],
      ['wrong system', [['patient.identifier', `https://x|${VALID_NHS}`]], /format/],
      ['no bar', [['patient.identifier', VALID_NHS]], /format/],
      ['bad check digit', [['patient.identifier', `${NHS}|9000000001`]], /check digit/],
      ['not ten digits', [['patient.identifier', `${NHS}|900000000`]], /10 digits/],
      ['two values', [['patient.identifier', `${NHS}|${VALID_NHS},${NHS}|${VALID_NHS}`]], /one value/],
    ] as [string, [string, string][], RegExp][])('patient.identifier: %s → first error', (_what, pairs, message) => {
      const errors = errorsOf([...pairs, ['-immunization.target', 'FLU']]);
      expect(errors[0]).toMatch(/patient\.identifier/);
      expect(errors[0]).toMatch(message);
    });

    it('reads inclusive real dates and refuses impossible ones or from after to', () => {
      expect(patient(['-immunization.target', 'FLU'], ['-date.from', '2024-02-29'], ['-date.to', '2024-02-29'])).toMatchObject({
        dateFrom: '2024-02-29',
        dateTo: '2024-02-29',
      });
      for (const bad of ['2023-02-29', '2024-04-31', '2024-00-10', '2024-1-10', '24-01-10', '0000-12-31', '2024-01-10Z']) {
        expect(
          errorsOf([
            ['patient.identifier', `${NHS}|${VALID_NHS}`],
            ['-immunization.target', 'FLU'],
            ['-date.from', bad],
          ]),
        ).toEqual([expect.stringMatching(/-date\.from must be a real calendar date/)]);
      }
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'FLU'],
          ['-date.from', '2024-01-02'],
          ['-date.to', '2024-01-01'],
        ]),
      ).toEqual([expect.stringMatching(/-date\.from must not be after -date\.to/)]);
    });

    it('accepts _include=Immunization:patient in any case only', () => {
      expect(patient(['-immunization.target', 'FLU'], ['_include', 'IMMUNIZATION:Patient']).include).toBe(true);
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'FLU'],
          ['_include', 'Immunization:patient,Immunization:performer'],
        ])[0],
      ).toMatch(/_include/);
    });

    it('caps _count at the maximum and accepts 0', () => {
      expect(patient(['-immunization.target', 'FLU'], ['_count', '5'])).toMatchObject({ count: 5, countGiven: true });
      expect(patient(['-immunization.target', 'FLU'], ['_count', '0'])).toMatchObject({ count: 0 });
      expect(patient(['-immunization.target', 'FLU'], ['_count', '999999999'])).toMatchObject({ count: MAX });
      for (const bad of ['-1', '1.0', 'ten', ''])
        expect(
          errorsOf([
            ['patient.identifier', `${NHS}|${VALID_NHS}`],
            ['-immunization.target', 'FLU'],
            ['_count', bad],
          ])[0],
        ).toMatch(/_count/);
    });

    it('reads a cursor it handed out and refuses anything else', () => {
      const cursor = { at: '2024-01-01T00:00:00.000000Z', id: '0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00' };
      expect(patient(['-immunization.target', 'FLU'], ['_cursor', encodeCursor(cursor)]).cursor).toEqual(cursor);
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'FLU'],
          ['_cursor', 'abc'],
        ])[0],
      ).toMatch(/_cursor/);
    });

    it('refuses _elements outside identifier search', () => {
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'FLU'],
          ['_elements', 'id'],
        ]),
      ).toEqual([expect.stringMatching(/_elements is supported only with identifier/)]);
    });
  });

  describe('every search', () => {
    it('refuses a known parameter given twice, ignores unknown ones however often', () => {
      expect(
        errorsOf([
          ['patient.identifier', `${NHS}|${VALID_NHS}`],
          ['-immunization.target', 'FLU'],
          ['-immunization.target', 'FLU'],
        ]),
      ).toEqual([expect.stringMatching(/-immunization\.target may be given only once/)]);
      expect(patient(['-immunization.target', 'FLU'], ['x', '1'], ['x', '2'], ['_sort', 'date'])).toMatchObject({ kind: 'patient' });
    });

    it('reports every problem at once, patient.identifier first', () => {
      const errors = errorsOf([
        ['_count', 'x'],
        ['patient.identifier', 'nope'],
        ['-immunization.target', 'FLU'],
        ['-date.to', 'y'],
        ['_include', 'z'],
      ]);
      expect(errors[0]).toMatch(/patient\.identifier/);
      expect(errors).toHaveLength(4);
    });
  });

  describe('identifier search', () => {
    it('splits system and value at the first unescaped bar and honours FHIR escapes', () => {
      expect(parse([['identifier', 'https://s/ids|a\\,b\\|c\\\\d']])).toMatchObject({
        kind: 'identifier',
        system: 'https://s/ids',
        value: 'a,b|c\\d',
        elements: null,
      });
      expect(parse([['identifier', 'https://s/ids|x|y']])).toMatchObject({ system: 'https://s/ids', value: 'x|y' });
    });

    it('reads _elements as a sorted subset of id and meta', () => {
      expect(
        (
          parse([
            ['identifier', 's|v'],
            ['_elements', 'meta, id,meta'],
          ]) as IdentifierSearch
        ).elements,
      ).toEqual(['id', 'meta']);
      expect(
        errorsOf([
          ['identifier', 's|v'],
          ['_elements', 'id,status'],
        ])[0],
      ).toMatch(/_elements may only list id, meta \(not "status"\)/);
    });

    it('refuses patient-search parameters beside it', () => {
      const errors = errorsOf([
        ['identifier', 's|v'],
        ['patient.identifier', `${NHS}|${VALID_NHS}`],
        ['-immunization.target', 'FLU'],
        ['target-disease', `${SNOMED}|14189004`],
        ['-date.from', '2024-01-01'],
        ['-date.to', '2024-01-01'],
      ]);
      expect(errors).toHaveLength(5);
      expect(errors[0]).toMatch(/identifier and patient\.identifier cannot be used together/);
    });

    it.each(['', 'no-bar', '|v', 's|', 's|v,t|w'])('refuses identifier=%p', (value) => {
      expect(errorsOf([['identifier', value]])[0]).toMatch(/identifier must have one value/);
    });
  });
});

describe('searchQueryString', () => {
  it('lists only what was applied, in a fixed order, types sorted', () => {
    const q = searchQueryString({
      kind: 'patient',
      nhsNumber: VALID_NHS,
      types: ['MMR', 'COVID'],
      diseaseCodes: null,
      dateFrom: '2024-01-01',
      dateTo: null,
      include: true,
      count: null,
    });
    expect(q).toBe(
      new URLSearchParams([
        ['patient.identifier', `${NHS}|${VALID_NHS}`],
        ['-immunization.target', 'COVID,MMR'],
        ['-date.from', '2024-01-01'],
        ['_include', 'Immunization:patient'],
      ]).toString(),
    );
  });

  it('adds the page size and cursor to next links', () => {
    const cursor = { at: '2024-01-01T00:00:00.000000Z', id: '0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00' };
    const q = new URLSearchParams(
      searchQueryString(
        {
          kind: 'patient',
          nhsNumber: VALID_NHS,
          types: null,
          diseaseCodes: ['6142004', '14189004'],
          dateFrom: null,
          dateTo: null,
          include: false,
          count: null,
        },
        { count: 50, cursor },
      ),
    );
    expect([...q.keys()]).toEqual(['patient.identifier', 'target-disease', '_count', '_cursor']);
    expect(q.get('target-disease')).toBe(`${SNOMED}|14189004,${SNOMED}|6142004`);
    expect(q.get('_count')).toBe('50');
  });

  it('escapes identifier values so the link searches the same thing', () => {
    const q = searchQueryString({
      kind: 'identifier',
      system: 'https://s/ids',
      value: 'a,b|c',
      elements: ['id', 'meta'],
      include: false,
      count: 3,
    });
    const back = parse([...new URLSearchParams(q)]) as IdentifierSearch;
    expect(back).toMatchObject({ system: 'https://s/ids', value: 'a,b|c', elements: ['id', 'meta'], count: 3 });
  });
});
