import { Database } from '../../src/database/database';
import { SearchProjectionRepository } from '../../src/search/projection/search-projection.repository';
import { decodeCursor } from '../../src/search/search-cursor';
import { startTestApp, TestApp } from '../support/test-app';
import { NHS_SYSTEM, searchClient } from './support/search-client';
import { assertSeedSearchset } from './support/searchset-schema';
import { expectedIds, SEED_IDENTIFIER_SYSTEM, SEED_TYPES, seedId, seedPlan, seedStatement } from './support/seed-projection';

/**
 * The query plan at scale: 100,000 projection rows on either database (PGlite takes it in seconds,
 * so nothing is scaled down), ANALYZEd, then EXPLAIN (FORMAT JSON) of the very statements the
 * repository sends. Patient search must go through the composite index and never scan the table.
 */
const ROWS = 100_000;
const plan = seedPlan(ROWS, 20_000, 600);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('search query plans over 100,000 projected records', () => {
  let t: TestApp;
  let db: Database;

  beforeAll(async () => {
    // Seeding 100,000 rows is one long statement: no DATABASE_STATEMENT_TIMEOUT_MS for this app.
    t = await startTestApp({ env: { DATABASE_STATEMENT_TIMEOUT_MS: '0' } });
    db = t.app.get(Database);
    const seed = seedStatement(plan);
    await db.query(seed.text, seed.params);
    await db.query('ANALYZE search_immunization');
  }, 300_000);
  afterAll(() => t?.close());

  async function explain(statement: { text: string; params: unknown[] }): Promise<PlanNode[]> {
    const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params);
    const raw = rows[0]['QUERY PLAN'];
    const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    return nodes(doc[0].Plan);
  }

  /** "Sort > Index Scan using search_immunization_patient on search_immunization [cond] > …", for messages and the log. */
  const summary = (all: PlanNode[]) =>
    all
      .map((n) => {
        const cond = [n['Index Cond'], n.Filter && `filter ${n.Filter}`].filter(Boolean).join('; ');
        return `${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}${cond ? ` [${cond}]` : ''}`;
      })
      .join(' > ');

  function expectCompositeIndexOnly(root: PlanNode[]) {
    const text = summary(root);
    expect(root.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'search_immunization')).toEqual([]);
    const scans = root.filter((n) => n['Relation Name'] === 'search_immunization');
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) {
      // An index scan names its index; a bitmap heap scan gets its rows from bitmap index scans below it.
      const indexScans =
        scan['Node Type'] === 'Bitmap Heap Scan' ? nodes(scan).filter((n) => n['Node Type'] === 'Bitmap Index Scan') : [scan];
      expect({ plan: text, scan: scan['Node Type'] }).toEqual({
        plan: text,
        scan: expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/),
      });
      expect(indexScans.length).toBeGreaterThan(0);
      for (const i of indexScans) {
        expect({ plan: text, index: i['Index Name'] }).toEqual({ plan: text, index: 'search_immunization_patient' });
        expect(i['Index Cond']).toMatch(/nhs_number = /);
      }
      // The type restriction is applied in the same scan: as an index condition, or (when the planner
      // finds the types barely selective for this patient, e.g. all of them) as a filter on its rows.
      const typeCond = [...indexScans.map((i) => i['Index Cond']), scan['Recheck Cond'], scan.Filter].join(' ');
      expect({ plan: text, typed: /vaccine_type/.test(typeCond) }).toEqual({ plan: text, typed: true });
    }
    return text;
  }

  it('has the seeded rows', async () => {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM search_immunization');
    expect(Number(rows[0].n)).toBe(ROWS);
  });

  it.each([
    ['one type, first page', { types: ['FLU'] }],
    ['several types and a date range', { types: ['COVID', 'FLU', 'MMR'], dateFrom: '2016-01-01', dateTo: '2023-12-31' }],
    [
      'every seeded type, a later page',
      { types: SEED_TYPES, after: { at: '2020-06-01T00:00:00.000000Z', id: '00000000-0000-4000-8000-000000000000' } },
    ],
  ])('patient search (%s) uses the composite index, no Seq Scan', async (_what, q: any) => {
    for (const nhs of [plan.patients[17], plan.heavy]) {
      const statement = SearchProjectionRepository.patientPageStatement({
        nhsNumber: nhs,
        types: q.types,
        dateFrom: q.dateFrom ?? null,
        dateTo: q.dateTo ?? null,
        after: q.after ?? null,
        limit: 1001,
      });
      const text = expectCompositeIndexOnly(await explain(statement));
      t.logger.info('search plan', { plan: text });
      if (process.env.SHOW_SEARCH_PLANS)
        process.stdout.write(`${_what} (${nhs === plan.heavy ? 'long history' : 'typical patient'}): ${text}\n`);
    }
  });

  it('identifier search uses the identifier index', async () => {
    const all = await explain(SearchProjectionRepository.identifierStatement(SEED_IDENTIFIER_SYSTEM, seedId(4242)));
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    expect(all.find((n) => n['Relation Name'] === 'search_immunization')?.['Index Name']).toBe('search_immunization_identifier');
  });

  it('answers over HTTP with exactly the generator’s rows, in order, across pages', async () => {
    const c = searchClient(t);
    for (const [nhs, count] of [
      [plan.patients[17], 1000],
      [plan.heavy, 250],
    ] as const) {
      const expected = expectedIds(plan, nhs, SEED_TYPES);
      expect(expected.length).toBeGreaterThan(0);
      const first = await c.search('GET', 'ALL', [
        ['patient.identifier', `${NHS_SYSTEM}|${nhs}`],
        ['-immunization.target', SEED_TYPES.join(',')],
        ['_count', String(count)],
      ]);
      expect(first.status).toBe(200);
      let body = first.body;
      const seen: string[] = [];
      for (;;) {
        assertSeedSearchset(body);
        expect(body.total).toBe(expected.length);
        seen.push(...body.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id));
        const next = body.link.find((l: any) => l.relation === 'next');
        if (!next) break;
        expect(decodeCursor(new URL(next.url).searchParams.get('_cursor')!)).not.toBeNull();
        body = (await c.follow('ALL', next.url)).body;
      }
      expect(seen).toEqual(expected);
    }
  });
});
