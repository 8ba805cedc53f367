import fc from 'fast-check';
import { csvLine } from '../../src/batch/domain/csv';
import { FLAT_FIELDS } from '../../src/batch/domain/flat-record';
import { fileName, fluRow, HEADER_LINE } from '../fixtures/batch/flat-rows';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { batchClient, csvRows } from './support/batch-client';

/**
 * Property tests of the batch channel (feeds the service-wide "never a 500" fuzzing): random and
 * mutated file names never get a 5xx, and files of random or mutated rows are always processed:
 * every row counted once, the valid rows applied, the bad ones only in the BusAck with a diagnostic.
 */
describe('batch channel properties', () => {
  let t: TestApp;
  let emis: ReturnType<typeof batchClient>;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp({
      suppliers: [testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] }), testSupplier('OTHER', ['FLU.R'], { odsCodes: ['OTH1'] })],
      env: { BATCH_POLL_MS: '20', BATCH_CHUNK_ROWS: '4' },
    });
    emis = batchClient(t, await t.tokenFor('EMIS'));
  });
  afterAll(() => t.close());

  const validName = () => fileName('FLU', 'YGM41');

  /** A valid name with one of its characters replaced, removed or duplicated, or a part swapped. */
  const mutatedName = fc
    .tuple(
      fc.nat(),
      fc.constantFrom('replace', 'remove', 'double', 'part'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
      fc.constantFrom('COVID', 'flu', 'XYZ', 'OTH1', 'v6', '', 'Vaccinations', '20261301T000000'),
    )
    .map(([i, how, s, part]) => {
      const n = validName();
      const at = i % n.length;
      if (how === 'replace') return n.slice(0, at) + s + n.slice(at + 1);
      if (how === 'remove') return n.slice(0, at) + n.slice(at + 1);
      if (how === 'double') return n.slice(0, at) + n[at] + n.slice(at);
      const parts = n.split('_');
      parts[i % parts.length] = part;
      return parts.join('_');
    });

  it('a random or mutated file name never gets a 5xx; refusals are OperationOutcomes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedName, fc.string({ unit: 'binary', maxLength: 80 })), async (name) => {
        if (name === '' || name === '.' || name === '..') return; // not a path segment
        const res = await emis.upload(name, HEADER_LINE + csvLine(FLAT_FIELDS.map((f) => fluRow(`fz-${process.pid}-${++seq}`)[f])));
        expect([202, 400, 403, 404, 409]).toContain(res.status);
        if (res.status >= 400 && res.status !== 404) expect(JSON.parse(res.text).resourceType).toBe('OperationOutcome');
        if (res.status === 202) expect(['queued', 'rejected', 'processing', 'processed']).toContain(res.body.status);
      }),
      { numRuns: 80 },
    );
  });

  /** A row: valid, or with fields replaced by random text, or with fields added or removed. */
  const rowArb = fc.record({
    valid: fc.boolean(),
    edits: fc.array(
      fc.tuple(
        fc.nat({ max: FLAT_FIELDS.length - 1 }),
        fc.oneof(
          fc.string({ maxLength: 12 }),
          fc.constantFrom('', 'NEW', 'update', 'DELETE', 'X', '20250101', '2025-01-01', '|', '"', '\n', 'TRUE', '9', '1.5'),
        ),
      ),
      { maxLength: 4 },
    ),
    width: fc.constantFrom(0, 0, 0, -1, 1, -20),
  });

  it('files of mutated rows: every row counted once, valid rows applied, bad rows only in the BusAck with their diagnostics', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 12 }), async (specs) => {
        const ids: string[] = [];
        const lines = specs.map((s) => {
          const id = `fz-${process.pid}-${++seq}`;
          ids.push(id);
          const r = fluRow(id);
          let values = FLAT_FIELDS.map((f) => r[f]);
          if (!s.valid) {
            for (const [i, v] of s.edits) values[i] = v;
            if (s.width > 0) values = [...values, 'extra'];
            if (s.width < 0) values = values.slice(0, values.length + s.width);
          }
          return csvLine(values);
        });
        const name = validName();
        const put = await emis.upload(name, HEADER_LINE + lines.join(''));
        expect(put.status).toBe(202);
        expect(put.body.rows.total).toBe(specs.length);
        const done = await emis.settled(name);
        expect(done.status).toBe('processed');
        expect(done.rows.succeeded + done.rows.failed).toBe(specs.length);
        const failed = csvRows((await emis.busAck(name)).text).slice(1);
        expect(failed).toHaveLength(done.rows.failed);
        const failedRows = failed.map((l) => Number(l[0].split('^')[1]));
        expect(new Set(failedRows).size).toBe(failedRows.length);
        specs.forEach((s, i) => {
          if (s.valid) expect([i + 1, failedRows.includes(i + 1)]).toEqual([i + 1, false]);
        });
        for (const l of failed) {
          expect(l[13]).not.toBe('');
          expect(l[13]).not.toMatch(/unexpected error/);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('random bytes as a file never get a 5xx and never stop the queue', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (bytes, withHeader) => {
        const name = validName();
        const body = Buffer.concat([withHeader ? Buffer.from(HEADER_LINE) : Buffer.alloc(0), Buffer.from(bytes)]);
        const put = await emis.upload(name, body);
        expect(put.status).toBe(202);
        const done = await emis.settled(name);
        expect(['processed', 'rejected']).toContain(done.status);
        if (done.status === 'processed') expect(done.rows.succeeded + done.rows.failed).toBe(done.rows.total);
      }),
      { numRuns: 15 },
    );
  });
});
