import { PermissionSet } from '../../../auth/permissions';
import type { Principal } from '../../../auth/principal';
import { FhirError } from '../../../fhir/operation-outcome';
import { InMemorySearchReads } from '../../projection/in-memory-search-reads';
import { PatientSearch } from '../../search-parameters';
import { SearchByPatientHandler } from './search-by-patient.handler';
import { SearchImmunizationsByPatient } from './search-by-patient.query';

const NHS = '9000000009';

const principal = (...grants: string[]): Principal => ({
  clientId: 'c',
  supplier: { name: 'S', permissions: new PermissionSet(grants), grants, clients: [], rateLimitPerSecond: null },
});

const criteria = (o: Partial<PatientSearch> = {}): PatientSearch => ({
  kind: 'patient',
  nhsNumber: NHS,
  selection: { by: 'target', types: ['COVID', 'FLU'] },
  dateFrom: null,
  dateTo: null,
  include: false,
  count: 1000,
  countGiven: false,
  cursor: null,
  warnings: [],
  ...o,
});

function record(id: string, type: string, day: string, nhs = NHS) {
  return {
    id,
    version: 1,
    nhsNumber: nhs,
    vaccineType: type,
    resource: { resourceType: 'Immunization', id },
    cursor: { at: `${day}T00:00:00.000000Z`, id },
    occurrenceDate: day,
    identifier: { system: 's', value: id },
  };
}

describe('SearchByPatientHandler', () => {
  const reads = new InMemorySearchReads([
    record('f1', 'FLU', '2024-01-01'),
    record('f2', 'FLU', '2024-03-01'),
    record('c1', 'COVID', '2024-02-01'),
    record('m1', 'MMR', '2024-04-01'),
    record('x1', 'FLU', '2024-05-01', '9434765919'),
  ]);
  const handler = new SearchByPatientHandler(reads, { execute: async () => 'current' } as never);
  const run = (c: PatientSearch, p: Principal) => handler.execute(new SearchImmunizationsByPatient(c, p));

  it("returns the patient's rows of the requested types, newest first, and what it applied", async () => {
    const page = await run(criteria(), principal('*.S'));
    expect(page.rows.map((r) => r.id)).toEqual(['f2', 'c1', 'f1']);
    expect(page).toMatchObject({ total: 3, next: null, warnings: [], count: 1000 });
    expect(page.applied).toEqual({
      kind: 'patient',
      nhsNumber: NHS,
      types: ['COVID', 'FLU'],
      diseaseCodes: null,
      dateFrom: null,
      dateTo: null,
      include: false,
      count: null,
    });
  });

  it('searches only the permitted types and adds an unauthorized warning', async () => {
    const page = await run(
      criteria({ warnings: [{ severity: 'warning', code: 'invalid', diagnostics: 'earlier' }] }),
      principal('FLU.S', 'COVID.CRUD'),
    );
    expect(reads.queries.at(-1)!.types).toEqual(['FLU']);
    expect(page.rows.map((r) => r.id)).toEqual(['f2', 'f1']);
    expect(page.warnings.map((w) => [w.severity, w.code])).toEqual([
      ['warning', 'invalid'],
      ['warning', 'unauthorized'],
    ]);
    expect(page.warnings[1].diagnostics).toMatch(/COVID/);
    expect(page.applied).toMatchObject({ types: ['FLU'] });
  });

  it('refuses with 403, before reading, when no requested type may be searched', async () => {
    const before = reads.queries.length;
    await expect(run(criteria(), principal('FLU.CRUD', 'MMR.S'))).rejects.toMatchObject({ status: 403 });
    await expect(run(criteria(), principal())).rejects.toBeInstanceOf(FhirError);
    expect(reads.queries.length).toBe(before);
  });

  it('keeps in the self link only the diseases a permitted type covers', async () => {
    const c = criteria({
      selection: {
        by: 'disease',
        diseases: [
          { code: '14189004', types: ['MMR', 'MMRV'] },
          { code: '6142004', types: ['FLU'] },
        ],
      },
    });
    const page = await run(c, principal('MMR.S'));
    expect(reads.queries.at(-1)!.types).toEqual(['MMR']);
    expect(page.applied).toMatchObject({ types: null, diseaseCodes: ['14189004'] });
    expect(page.warnings[0].diagnostics).toMatch(/FLU, MMRV/);
  });

  it('pages: asks for one row more than the page, hands out the last row as the next cursor', async () => {
    const first = await run(criteria({ count: 2, countGiven: true }), principal('*.S'));
    expect(reads.queries.at(-1)!.limit).toBe(3);
    expect(first.rows.map((r) => r.id)).toEqual(['f2', 'c1']);
    expect(first.next).toEqual(first.rows[1].cursor);
    expect(first.applied).toMatchObject({ count: 2 });
    const second = await run(criteria({ count: 2, cursor: first.next }), principal('*.S'));
    expect(second.rows.map((r) => r.id)).toEqual(['f1']);
    expect(second).toMatchObject({ total: 3, next: null });
  });

  it('_count=0 reads the total without a next link', async () => {
    const page = await run(criteria({ count: 0 }), principal('*.S'));
    expect(page).toMatchObject({ rows: [], total: 3, next: null });
  });

  it('passes the date bounds through', async () => {
    const page = await run(criteria({ dateFrom: '2024-02-01', dateTo: '2024-02-29' }), principal('*.S'));
    expect(page.rows.map((r) => r.id)).toEqual(['c1']);
    expect(page.applied).toMatchObject({ dateFrom: '2024-02-01', dateTo: '2024-02-29' });
  });
});
