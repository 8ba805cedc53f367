import { FHIR_INTERACTIONS, fhirInteraction } from './fhir-interactions';

describe('FHIR_INTERACTIONS', () => {
  it('names each interaction once and gives each route (method and path) to one interaction', () => {
    const ids = FHIR_INTERACTIONS.map((i) => i.operationId);
    const routes = FHIR_INTERACTIONS.map((i) => `${i.method} ${i.path}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('lists the interactions of docs/api.md §2, search over GET and POST, and Patient $merge', () => {
    const codes = (type: string) =>
      FHIR_INTERACTIONS.filter((i) => i.resource === type)
        .map((i) => i.code)
        .sort();
    expect(codes('Immunization')).toEqual([
      'create',
      'delete',
      'history-instance',
      'history-type',
      'read',
      'search-type',
      'search-type',
      'update',
      'vread',
    ]);
    expect(codes('Subscription')).toEqual(['create', 'delete', 'read', 'search-type', 'update']);
    expect(fhirInteraction('mergePatient')).toMatchObject({ method: 'POST', path: '/Patient/$merge', operation: { name: 'merge' } });
    expect(fhirInteraction('capabilities')).toMatchObject({ resource: null, method: 'GET', path: '/metadata' });
  });

  it('writes paths relative to the FHIR base, in OpenAPI form', () => {
    for (const i of FHIR_INTERACTIONS) expect(i.path).toMatch(/^\/[A-Za-z$_]+(\/(\{[a-z]+\}|[A-Za-z$_]+))*$/);
  });
});
