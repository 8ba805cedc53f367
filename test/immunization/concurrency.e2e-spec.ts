import { detailsCode, fhirClient, idFromLocation } from '../support/fhir-client';
import { immunization } from '../support/immunization-fixture';
import { onPostgres, startTestApp, TestApp } from '../support/test-app';

const PARALLEL = 20;
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

/**
 * The races that matter (docs/architecture.md), against a real database: on PostgreSQL the requests
 * really overlap across pooled connections; on PGlite they are serialised by its single session,
 * so the same assertions check the decisions rather than the race.
 */
describe(`concurrent writes (${onPostgres ? 'PostgreSQL, pooled connections' : 'PGlite, serialised'})`, () => {
  let t: TestApp;
  let client: ReturnType<typeof fhirClient>;
  beforeAll(async () => {
    t = await startTestApp({ env: { DATABASE_POOL_SIZE: String(PARALLEL + 5) } });
    client = fhirClient(t, await t.tokenFor('ALL'));
  });
  afterAll(() => t?.close());

  it.each([
    ['If-Match', (v: number) => ({ 'If-Match': `W/"${v}"` }), 412],
    ['E-Tag', (v: number) => ({ 'E-Tag': String(v) }), 400],
  ])(`${PARALLEL} parallel updates carrying the same version (%s): exactly one wins`, async (_name, header, loserStatus) => {
    const body = immunization();
    const id = idFromLocation((await client.create(body)).headers.location);
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => client.update(id, { ...body, id, lotNumber: `LOT-${i}` }, header(1))),
    );
    const statuses = results.map((r) => r.status);
    expect(tally(statuses)).toEqual({ 200: 1, [loserStatus]: PARALLEL - 1 });
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(detailsCode(r.body)).toBe(loserStatus === 412 ? 'PRECONDITION-FAILED' : 'INVARIANT');
    }
    const winner = results.find((r) => r.status === 200)!;
    const read = await client.read(id);
    expect(read.headers['e-tag']).toBe('2');
    expect(winner.headers['e-tag']).toBe('2');
    const history = await client.history(id);
    expect(history.body.entry).toHaveLength(2);
  });

  it(`${PARALLEL} parallel creates with one identifier: exactly one 201, the rest 422`, async () => {
    const body = immunization();
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => client.create(body)));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 422: PARALLEL - 1 });
    for (const r of results.filter((x) => x.status === 422)) expect(detailsCode(r.body)).toBe('DUPLICATE');
  });

  it(`${PARALLEL} parallel creates reinstating one deleted record: exactly one 201 (version 2), the rest 422`, async () => {
    const body = immunization();
    const id = idFromLocation((await client.create(body)).headers.location);
    expect((await client.delete(id)).status).toBe(204);
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => client.create(body)));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 422: PARALLEL - 1 });
    const winner = results.find((r) => r.status === 201)!;
    expect(idFromLocation(winner.headers.location)).toBe(id);
    expect(winner.headers['e-tag']).toBe('2');
  });

  it(`${PARALLEL} parallel retries of one create with the same X-Request-ID: one record, all 201 with the same Location`, async () => {
    const body = immunization();
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => client.create(body, { 'X-Request-ID': 'same-retry' })));
    expect(tally(results.map((r) => r.status))).toEqual({ 201: PARALLEL });
    expect(new Set(results.map((r) => r.headers.location)).size).toBe(1);
    const history = await client.history(idFromLocation(results[0].headers.location));
    expect(history.body.entry).toHaveLength(1);
  });

  it('parallel deletes and updates of one record: no 500, and history stays consistent', async () => {
    const body = immunization();
    const id = idFromLocation((await client.create(body)).headers.location);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => client.delete(id)),
      ...Array.from({ length: 10 }, () => client.update(id, { ...body, id }, { 'E-Tag': '1' })),
    ]);
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => [200, 204, 400, 404].includes(s))).toBe(true);
    expect(statuses.filter((s) => s === 204).length).toBeGreaterThanOrEqual(1);
    const history = await client.history(id);
    const versions = history.body.entry.map((e: any) => Number(e.response.etag.match(/\d+/)[0]));
    // Newest first; a delete keeps the number, every other change is exactly one higher.
    for (let i = 0; i < history.body.entry.length - 1; i++) {
      const delta = versions[i] - versions[i + 1];
      expect(history.body.entry[i].request.method === 'DELETE' ? delta === 0 : delta === 1).toBe(true);
    }
  });
});
