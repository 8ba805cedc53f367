import { ChangeProjectors } from '../../src/immunization/public/change-projectors';
import { fhirClient, idFromLocation } from '../support/fhir-client';
import { immunization } from '../support/immunization-fixture';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * docs/architecture.md: pin the SQL a write issues. Each request's log line counts the statements it
 * sent (transaction control excluded): the write side's own three (lookup, guarded row write,
 * event row) plus exactly one per registered in-transaction projector, and never more than five.
 */
describe('write path statement budget', () => {
  let t: TestApp;
  let client: ReturnType<typeof fhirClient>;
  let projectors: number;
  beforeAll(async () => {
    t = await startTestApp();
    client = fhirClient(t, await t.tokenFor('ALL'));
    projectors = t.app.get(ChangeProjectors).names.length;
  });
  afterAll(() => t?.close());

  const statementsOfLast = (method: string) => {
    const line = [...t.logger.entries].reverse().find((e) => e.msg === 'request' && e.method === method);
    return line?.sqlStatements as number;
  };

  it.each([
    ['with', 'X-Request-ID'],
    ['without', ''],
  ])('a create issues at most 5 statements (%s X-Request-ID)', async (_w, header) => {
    const res = await client.create(immunization(), header ? { 'X-Request-ID': `budget-${Math.random()}` } : {});
    expect(res.status).toBe(201);
    const n = statementsOfLast('POST');
    expect(n).toBe(3 + projectors);
    expect(n).toBeLessThanOrEqual(5);
  });

  it('an update and a reinstating update issue at most 5 statements; a delete too', async () => {
    const body = immunization();
    const id = idFromLocation((await client.create(body)).headers.location);
    expect((await client.update(id, { ...body, id }, { 'E-Tag': '1' })).status).toBe(200);
    expect(statementsOfLast('PUT')).toBe(3 + projectors);
    expect((await client.delete(id)).status).toBe(204);
    expect(statementsOfLast('DELETE')).toBe(3 + projectors);
    expect((await client.update(id, { ...body, id }, { 'E-Tag': '2' })).status).toBe(200);
    expect(statementsOfLast('PUT')).toBeLessThanOrEqual(5);
  });

  it('a replayed create writes nothing: one statement', async () => {
    const body = immunization();
    expect((await client.create(body, { 'X-Request-ID': 'budget-replay' })).status).toBe(201);
    expect((await client.create(body, { 'X-Request-ID': 'budget-replay' })).status).toBe(201);
    expect(statementsOfLast('POST')).toBe(1);
  });

  it('a read is one statement', async () => {
    const id = idFromLocation((await client.create(immunization())).headers.location);
    expect((await client.read(id)).status).toBe(200);
    expect(statementsOfLast('GET')).toBe(1);
  });
});
