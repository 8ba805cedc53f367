import { issue } from '../fhir/operation-outcome';
import type { SearchRow } from './projection/search-projection.repository';
import { searchsetBundle } from './search-bundle';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const BASE = 'https://api.example/immunisation-fhir-api/FHIR/R4';

function stored(id: string, nhs: string | null, occurrence: string): Record<string, unknown> {
  const patient: Record<string, unknown> = {
    resourceType: 'Patient',
    id: 'Pat1',
    name: [{ family: 'X', given: ['Y'] }],
    gender: 'male',
    birthDate: '2000-01-01',
  };
  if (nhs) patient.identifier = [{ system: NHS, value: nhs, use: 'official' }];
  return {
    resourceType: 'Immunization',
    id,
    meta: { versionId: '3', lastUpdated: '2025-01-01T00:00:00.000Z' },
    contained: [{ resourceType: 'Practitioner', id: 'Pract1' }, patient],
    status: 'completed',
    patient: { reference: '#Pat1', type: 'Patient' },
    occurrenceDateTime: occurrence,
    performer: [
      { actor: { reference: '#Pract1', type: 'Practitioner' } },
      { actor: { type: 'Organization', identifier: { system: 'ods', value: 'B0C4P' } } },
    ],
    lotNumber: 'L1',
  };
}

const row = (id: string, nhs: string | null, occurrence = '2024-01-01T00:00:00+00:00'): SearchRow => ({
  id,
  version: 3,
  nhsNumber: nhs,
  vaccineType: 'FLU',
  resource: stored(id, nhs, occurrence),
  cursor: { at: '2024-01-01T00:00:00.000000Z', id },
});

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

describe('searchsetBundle', () => {
  beforeEach(() => (n = 0));

  it('builds matches, one Patient include from the newest record, and keeps everything else in place', () => {
    const links = [{ relation: 'self' as const, url: `${BASE}/Immunization?x` }];
    const b = searchsetBundle({
      base: BASE,
      rows: [row('a', '9000000009'), row('b', '9000000009')],
      total: 7,
      links,
      warnings: [],
      elements: null,
      uuid,
    }) as any;
    expect(Object.keys(b)).toEqual(['resourceType', 'type', 'link', 'entry', 'total']);
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset', link: links, total: 7 });
    expect(b.entry.map((e: any) => [e.fullUrl, e.search.mode])).toEqual([
      [`${BASE}/Immunization/a`, 'match'],
      [`${BASE}/Immunization/b`, 'match'],
      ['urn:uuid:00000000-0000-4000-8000-000000000001', 'include'],
    ]);
    const imms = b.entry[0].resource;
    expect(Object.keys(imms)).toEqual(['resourceType', 'id', 'meta', 'status', 'patient', 'occurrenceDateTime', 'performer', 'lotNumber']);
    expect(imms.patient).toEqual({
      reference: 'urn:uuid:00000000-0000-4000-8000-000000000001',
      type: 'Patient',
      identifier: { system: NHS, value: '9000000009' },
    });
    expect(imms.performer).toEqual([{ actor: { type: 'Organization', identifier: { system: 'ods', value: 'B0C4P' } } }]);
    expect(imms.meta).toEqual({ versionId: '3', lastUpdated: '2025-01-01T00:00:00.000Z' });
    expect(b.entry[2].resource).toEqual({ resourceType: 'Patient', id: '9000000009', identifier: [{ system: NHS, value: '9000000009' }] });
  });

  it('does not touch the stored resource', () => {
    const r = row('a', '9000000009');
    const before = JSON.stringify(r.resource);
    searchsetBundle({ base: BASE, rows: [r], total: 1, links: [], warnings: [], elements: null, uuid });
    expect(JSON.stringify(r.resource)).toBe(before);
  });

  it('anchors a record without an NHS number to a Patient that holds no identifier', () => {
    const b = searchsetBundle({ base: BASE, rows: [row('a', null)], total: 1, links: [], warnings: [], elements: null, uuid }) as any;
    expect(b.entry[0].resource.patient).toEqual({ reference: 'urn:uuid:00000000-0000-4000-8000-000000000001', type: 'Patient' });
    expect(b.entry[1].resource).toEqual({ resourceType: 'Patient', id: '00000000-0000-4000-8000-000000000001' });
  });

  it('trims to _elements and marks the result SUBSETTED', () => {
    const b = searchsetBundle({
      base: BASE,
      rows: [row('a', '9000000009')],
      total: 1,
      links: [],
      warnings: [],
      elements: ['id', 'meta'],
      uuid,
    }) as any;
    expect(b.entry[0].resource).toEqual({
      resourceType: 'Immunization',
      id: 'a',
      meta: {
        versionId: '3',
        lastUpdated: '2025-01-01T00:00:00.000Z',
        tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' }],
      },
    });
    expect(b.entry[1].resource).toEqual({ resourceType: 'Patient', id: '9000000009' });
    const idOnly = searchsetBundle({
      base: BASE,
      rows: [row('a', '9000000009')],
      total: 1,
      links: [],
      warnings: [],
      elements: ['id'],
      uuid,
    }) as any;
    expect(idOnly.entry[0].resource).toEqual({ resourceType: 'Immunization', id: 'a' });
  });

  it('adds warnings as one OperationOutcome entry with search.mode outcome, also when nothing matched', () => {
    const warnings = [issue('warning', 'invalid', 'INVALID', 'x ignored'), issue('warning', 'unauthorized', 'UNAUTHORIZED', 'y left out')];
    const b = searchsetBundle({ base: BASE, rows: [], total: 0, links: [], warnings, elements: null, uuid }) as any;
    expect(b.entry).toHaveLength(1);
    const [outcome] = b.entry;
    expect(outcome.search).toEqual({ mode: 'outcome' });
    expect(outcome.fullUrl).toBe(`urn:uuid:${outcome.resource.id}`);
    expect(outcome.resource).toMatchObject({ resourceType: 'OperationOutcome', issue: warnings });
  });
});
