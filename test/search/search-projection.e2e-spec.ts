import { randomUUID } from 'node:crypto';
import { Database } from '../../src/database/database';
import { requestScope } from '../../src/database/request-scope';
import { SEARCH_PROJECTION_BACKFILL } from '../../src/database/migrations/1763700200000-search';
import { ChangeProjectors, ImmunizationChange } from '../../src/immunization/public';
import { SearchProjector } from '../../src/search/projection/search-projector';
import { immunization } from '../support/immunization-fixture';
import { startTestApp, TestApp } from '../support/test-app';
import { freshNhsNumber, searchClient } from './support/search-client';

const SNAPSHOT = `SELECT id::text, nhs_number, vaccine_type, occurrence, occurrence_date::text AS occurrence_date,
  identifier_system, identifier_value, version, resource::text AS resource FROM search_immunization ORDER BY id`;

describe('search projection', () => {
  let t: TestApp;
  let db: Database;
  let projector: SearchProjector;
  let c: ReturnType<typeof searchClient>;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(Database);
    projector = t.app.get(SearchProjector);
    c = searchClient(t);
  });
  afterAll(() => t?.close());

  function change(
    operation: ImmunizationChange['operation'],
    id: string,
    version: number,
    nhs: string | null,
    occurrence: string,
  ): ImmunizationChange {
    const resource: Record<string, any> = {
      ...immunization({ nhsNumber: nhs, occurrenceDateTime: occurrence }),
      id,
      meta: { versionId: String(version) },
    };
    return {
      id,
      version,
      operation,
      supplier: 'ALL',
      vaccineType: 'FLU',
      nhsNumber: nhs,
      occurrence,
      identifier: resource.identifier[0],
      resource,
      recordedAt: new Date(),
      previous: null,
    };
  }

  /** Runs one projection in its own transaction and counts the SQL statements it sent. */
  async function statementsFor(ch: ImmunizationChange): Promise<number> {
    const scope = { sqlStatements: 0 };
    await requestScope.run(scope, () => db.withTransaction((tx) => projector.project(tx, ch)));
    return scope.sqlStatements;
  }

  const row = async (id: string) =>
    (await db.query<Record<string, any>>(`${SNAPSHOT.replace('ORDER BY id', 'WHERE id = $1')}`, [id])).rows[0];

  it('is registered with the write side', () => {
    expect(t.app.get(ChangeProjectors).names).toContain('search');
  });

  it('sends exactly one statement per change: an upsert for create and update, a delete for delete', async () => {
    const id = randomUUID();
    const nhs = freshNhsNumber();
    expect(await statementsFor(change('CREATE', id, 1, nhs, '2024-03-11T00:30:00+0100'))).toBe(1);
    expect(await row(id)).toMatchObject({ nhs_number: nhs, version: 1, occurrence_date: '2024-03-11' });
    expect(new Date((await row(id)).occurrence).toISOString()).toBe('2024-03-10T23:30:00.000Z');

    expect(await statementsFor(change('UPDATE', id, 2, null, '2024-03-12'))).toBe(1);
    expect(await row(id)).toMatchObject({ nhs_number: null, version: 2, occurrence_date: '2024-03-12' });
    expect(new Date((await row(id)).occurrence).toISOString()).toBe('2024-03-12T00:00:00.000Z');

    expect(await statementsFor(change('DELETE', id, 2, null, '2024-03-12'))).toBe(1);
    expect(await row(id)).toBeUndefined();
  });

  it('writes in the write transaction: a rolled-back write leaves no row', async () => {
    const id = randomUUID();
    await expect(
      db.withTransaction(async (tx) => {
        await projector.project(tx, change('CREATE', id, 1, freshNhsNumber(), '2024-01-01'));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await row(id)).toBeUndefined();
  });

  it('keeps a create and an update within the write budget of 5 statements', async () => {
    const body = immunization({ nhsNumber: freshNhsNumber() });
    const id = await c.create(body);
    await c.update(id, body, 1);
    const writes = t.logger.entries.filter(
      (e) => e.msg === 'request' && ((e.method === 'POST' && e.status === 201) || (e.method === 'PUT' && e.status === 200)),
    );
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const w of writes) expect(w.sqlStatements).toBeLessThanOrEqual(5);
    // The projector's share of that budget is the one statement measured above.
  });

  it('the migration backfill rebuilds exactly the rows the projector wrote', async () => {
    const nhs = freshNhsNumber();
    for (const occurrence of ['2024-03-11T00:30:00+0100', '2024-03-11', '2023-12-31T23:59:59.123456+00:00'])
      await c.create(immunization({ nhsNumber: nhs, occurrenceDateTime: occurrence }));
    await c.create(immunization({ nhsNumber: null, vaccineType: 'COVID' }));
    const gone = await c.create(immunization({ nhsNumber: nhs }));
    await c.remove(gone);
    const updated = immunization({ nhsNumber: nhs, vaccineType: 'MMR' });
    const updatedId = await c.create(updated);
    await c.update(updatedId, { ...updated, lotNumber: 'CHANGED' }, 1);

    const projected = (await db.query(SNAPSHOT)).rows;
    expect(projected.length).toBeGreaterThanOrEqual(5);
    await db.withTransaction(async (tx) => {
      await tx.query('DELETE FROM search_immunization');
      await tx.query(SEARCH_PROJECTION_BACKFILL);
    });
    expect((await db.query(SNAPSHOT)).rows).toEqual(projected);
  });
});
