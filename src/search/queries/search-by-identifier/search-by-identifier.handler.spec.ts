import { PermissionSet } from '../../../auth/permissions';
import type { Principal } from '../../../auth/principal';
import { InMemorySearchReads } from '../../projection/in-memory-search-reads';
import { IdentifierSearch } from '../../search-parameters';
import { SearchByIdentifierHandler } from './search-by-identifier.handler';
import { SearchImmunizationByIdentifier } from './search-by-identifier.query';

const principal = (...grants: string[]): Principal => ({
  clientId: 'c',
  supplier: { name: 'S', permissions: new PermissionSet(grants), grants, clients: [], rateLimitPerSecond: null },
});

const criteria = (value: string, o: Partial<IdentifierSearch> = {}): IdentifierSearch => ({
  kind: 'identifier',
  system: 'https://s/ids',
  value,
  elements: null,
  include: false,
  count: 1000,
  countGiven: false,
  ...o,
});

describe('SearchByIdentifierHandler', () => {
  const row = {
    id: 'r1',
    version: 2,
    nhsNumber: null,
    vaccineType: 'COVID',
    resource: { resourceType: 'Immunization', id: 'r1' },
    cursor: { at: '2024-01-01T00:00:00.000000Z', id: 'r1' },
    occurrenceDate: '2024-01-01',
    identifier: { system: 'https://s/ids', value: 'v1' },
  };
  const handler = new SearchByIdentifierHandler(new InMemorySearchReads([row]));
  const run = (c: IdentifierSearch, p: Principal) => handler.execute(new SearchImmunizationByIdentifier(c, p));

  it('finds the record, NHS number or not, when the supplier may search its type', async () => {
    const page = await run(criteria('v1', { elements: ['id'], countGiven: true, count: 5 }), principal('COVID.S'));
    expect(page.rows.map((r) => r.id)).toEqual(['r1']);
    expect(page).toMatchObject({ total: 1, next: null, warnings: [] });
    expect(page.applied).toEqual({ kind: 'identifier', system: 'https://s/ids', value: 'v1', elements: ['id'], include: false, count: 5 });
  });

  it('answers an empty page when nothing has the identifier', async () => {
    expect(await run(criteria('nope'), principal('FLU.S'))).toMatchObject({ rows: [], total: 0 });
  });

  it('403 when the found record is of a type the supplier may not search', async () => {
    await expect(run(criteria('v1'), principal('FLU.S', 'COVID.CRUD'))).rejects.toMatchObject({ status: 403 });
  });

  it('403 for a supplier that may search nothing, whether or not the record exists', async () => {
    await expect(run(criteria('v1'), principal('*.CRUD'))).rejects.toMatchObject({ status: 403 });
    await expect(run(criteria('nope'), principal())).rejects.toMatchObject({ status: 403 });
  });
});
