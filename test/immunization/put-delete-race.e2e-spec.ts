import { fhirClient, idFromLocation } from '../support/fhir-client';
import { immunization } from '../support/immunization-fixture';
import { onPostgres, startTestApp, TestApp } from '../support/test-app';

const ROUNDS = 25;

/**
 * A PUT based on version 1 racing a DELETE of that version. A delete keeps the version number, so
 * whichever commits first, the other still applies: update then delete (deleted at version 2), or
 * delete then update, which reinstates the record (version 2). The PUT used to lose with "the
 * record is at version 2, not 1" while the record was at version 1 (deleted): the losing guarded
 * write assumed the winner had been an update.
 */
describe(`a PUT racing a DELETE (${onPostgres ? 'PostgreSQL, pooled connections' : 'PGlite, serialised'})`, () => {
  let t: TestApp;
  let client: ReturnType<typeof fhirClient>;
  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_SIZE: '20' } });
    client = fhirClient(t, await t.tokenFor('ALL'));
  });
  afterAll(() => t?.close());

  it.each([
    ['If-Match', { 'If-Match': 'W/"1"' }],
    ['E-Tag', { 'E-Tag': '1' }],
  ])(`${ROUNDS} rounds (%s): the PUT and the DELETE both succeed, and the record ends at version 2`, async (_name, header) => {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const body = immunization();
      const id = idFromLocation((await client.create(body)).headers.location);
      const [put, del] = await Promise.all([client.update(id, { ...body, id, lotNumber: `LOT-${round}` }, header), client.delete(id)]);
      expect({ round, put: put.status, diagnostics: put.body?.issue?.[0]?.diagnostics }).toEqual({
        round,
        put: 200,
        diagnostics: undefined,
      });
      expect(put.headers['e-tag']).toBe('2');
      expect(del.status).toBe(204);
      // Either order is a valid serialisation; the history says which, and it is consistent.
      const history = await client.history(id);
      const methods = history.body.entry.map((e: any) => `${e.request.method}@${e.resource?.meta?.versionId ?? '?'}`).reverse();
      const read = await client.read(id);
      if (read.status === 200) {
        outcomes.push('delete-then-reinstate');
        expect(read.headers['e-tag']).toBe('2');
        expect(methods).toEqual(['POST@1', 'DELETE@?', 'PUT@2']);
      } else {
        outcomes.push('update-then-delete');
        expect(read.status).toBe(404);
        expect(methods).toEqual(['POST@1', 'PUT@2', 'DELETE@?']);
      }
    }
    expect(outcomes).toHaveLength(ROUNDS);
  });
});
