import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileName, fileOf, fluRow } from '../fixtures/batch/flat-rows';
import { fhirClient } from '../support/fhir-client';
import { BASE } from '../support/immunization-fixture';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { Database } from '../../src/database/database';
import { csvRows } from './support/batch-client';

async function eventually<T>(what: string, fn: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The drop folder (BATCH_INBOX_DIR → BATCH_ACK_DIR), the batch metrics and the per-file progress log line. */
/** An app watching a drop folder of its own (supplier EMIS sends for YGM41), up for the enclosing describe's tests. */
function withDropFolder(prefix: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const d = {
    inbox: join(dir, 'inbox'),
    acks: join(dir, 'acks'),
    t: undefined as unknown as TestApp,
    ack: (name: string, kind: string) => join(d.acks, `${name.replace(/\.csv$/, '')}_${kind}`),
  };
  beforeAll(async () => {
    mkdirSync(d.inbox, { recursive: true });
    d.t = await startTestApp({
      suppliers: [testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] })],
      env: { BATCH_INBOX_DIR: d.inbox, BATCH_ACK_DIR: d.acks, BATCH_INBOX_POLL_MS: '100', BATCH_POLL_MS: '50', BATCH_LANES: '1', ...env },
    });
  });
  afterAll(async () => {
    await d.t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return d;
}

describe('batch drop folder, metrics and progress log', () => {
  const d = withDropFolder('imms-batch-drop-', { BATCH_CHUNK_ROWS: '2', BATCH_PROGRESS_LOG_MS: '100' });
  const { inbox, ack } = d;

  it("a file dropped in the inbox is taken as its ODS code owner's upload; InfAck, BusAck and the JSON summary appear in the ack folder", async () => {
    const name = fileName('FLU', 'YGM41');
    const ids = Array.from({ length: 60 }, (_, i) => `drop-${process.pid}-${i}`);
    writeFileSync(join(inbox, name), fileOf([...ids.map((id) => fluRow(id)), fluRow('', { ACTION_FLAG: 'NEW' })]));

    const summaryFile = await eventually('the summary', () =>
      existsSync(ack(name, 'summary.json')) ? ack(name, 'summary.json') : undefined,
    );
    expect(JSON.parse(readFileSync(summaryFile, 'utf8'))).toMatchObject({
      fileName: name,
      supplier: 'EMIS',
      vaccineType: 'FLU',
      rows: 61,
      successes: 60,
      failures: 1,
    });
    const inf = csvRows(readFileSync(ack(name, 'InfAck.csv'), 'utf8'));
    expect(inf[1].slice(1, 4)).toEqual(['Success', 'Information', 'OK']);
    const bus = csvRows(readFileSync(ack(name, 'BusAck.csv'), 'utf8'));
    expect(bus.slice(1).map((l) => [l[0].split('^')[1], l[13]])).toEqual([['61', 'UNIQUE_ID or UNIQUE_ID_URI is missing']]);
    expect(readdirSync(inbox).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(inbox, '.taken'))).toEqual([]);

    const api = fhirClient(d.t, await d.t.tokenFor('EMIS'));
    const found = await api.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`https://batch.example.org/ids|${ids[59]}`)}`);
    expect(found.body.entry.some((e: any) => e.resource.resourceType === 'Immunization')).toBe(true);

    // A progress line every BATCH_PROGRESS_LOG_MS while a file runs, and one when it is done.
    const lines = d.t.logger.entries.filter((e) => e.file === name);
    expect(lines.some((e) => e.msg === 'batch file progress' && typeof e.rowsPerSecond === 'number')).toBe(true);
    expect(lines.find((e) => e.msg === 'batch file processed')).toMatchObject({ succeeded: 60, failed: 1 });
  });

  it.each([
    ['an ODS code no supplier owns', () => fileName('FLU', 'NOBODY1'), 'Not processed - Unauthorised'],
    ['a bad name', () => 'FLU_Vaccinations_v5_YGM41.csv', 'is not valid'],
  ])('a file with %s gets a failure InfAck and nothing else', async (_what, name, text) => {
    const n = name();
    writeFileSync(join(inbox, n), fileOf([fluRow(`drop-bad-${process.pid}`)]));
    const file = await eventually('the InfAck', () => (existsSync(ack(n, 'InfAck.csv')) ? ack(n, 'InfAck.csv') : undefined));
    const row = csvRows(readFileSync(file, 'utf8'))[1];
    expect(row[1]).toBe('Failure');
    expect(row[7]).toContain(text);
    expect(row[11]).toBe('False');
    expect(existsSync(ack(n, 'BusAck.csv'))).toBe(false);
  });

  it('GET /metrics shows files by status, rows, rate, queue depth and oldest queued age', async () => {
    const res = await d.t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^batch_files\{status="processed"\} [1-9]/m);
    expect(res.text).toMatch(/^batch_rows_total\{outcome="succeeded"\} 60$/m);
    expect(res.text).toMatch(/^batch_rows_total\{outcome="failed"\} 1$/m);
    expect(res.text).toMatch(/^batch_queue_depth 0$/m);
    expect(res.text).toMatch(/^batch_oldest_queued_file_age_seconds 0$/m);
    expect(res.text).toMatch(/^batch_rows_per_second \d/m);
  });
});

/** A claim in `.taken/` whose instance died: taken again, or only removed when the file was already stored. */
describe('batch drop folder: claims left by a stopped instance', () => {
  const d = withDropFolder('imms-batch-reclaim-', { BATCH_INBOX_RECLAIM_MS: '1000' });
  const { inbox, acks, ack } = d;
  const summary = (name: string) =>
    eventually(`the summary of ${name}`, () =>
      existsSync(ack(name, 'summary.json')) ? JSON.parse(readFileSync(ack(name, 'summary.json'), 'utf8')) : undefined,
    );

  it('a file left half-stored is received afresh and applied once; the leftover of a stored file is removed without a second ack', async () => {
    // Already received and processed, then its claim copy was left behind (died before removing it).
    const done = fileName('FLU', 'YGM41');
    const doneIds = [`reclaim-done-${process.pid}-1`];
    writeFileSync(join(inbox, done), fileOf(doneIds.map((id) => fluRow(id))));
    expect(await summary(done)).toMatchObject({ successes: 1, failures: 0 });
    writeFileSync(join(inbox, '.taken', done), fileOf(doneIds.map((id) => fluRow(id))));

    // Died while storing: the claim is in .taken/ and its upload row is still 'receiving'.
    const half = fileName('FLU', 'YGM41');
    const halfIds = [1, 2, 3].map((i) => `reclaim-half-${process.pid}-${i}`);
    writeFileSync(join(inbox, '.taken', half), fileOf(halfIds.map((id) => fluRow(id))));
    await d.t.app.get(Database).query(
      `INSERT INTO batch_file (id, file_name, supplier, vaccine_type, ods_code, source, status, received_at)
         VALUES (gen_random_uuid(), $1, 'EMIS', 'FLU', 'YGM41', 'inbox', 'receiving', now() - interval '1 hour')`,
      [half],
    );

    expect(await summary(half)).toMatchObject({ fileName: half, rows: 3, successes: 3, failures: 0 });
    await eventually('an empty .taken/', () => readdirSync(join(inbox, '.taken')).length === 0);
    // Only the first file's acknowledgements: no refusal of the leftover as a duplicate.
    expect(
      readdirSync(acks)
        .filter((f) => f.startsWith(done.replace(/\.csv$/, '')))
        .sort(),
    ).toEqual([
      `${done.replace(/\.csv$/, '')}_BusAck.csv`,
      `${done.replace(/\.csv$/, '')}_InfAck.csv`,
      `${done.replace(/\.csv$/, '')}_summary.json`,
    ]);
    expect(d.t.logger.entries.filter((e) => e.file === done && /leftover claim/.test(String(e.msg)))).toHaveLength(1);
    expect(d.t.logger.entries.filter((e) => e.file === half && /taken again/.test(String(e.msg)))).toHaveLength(1);

    const api = fhirClient(d.t, await d.t.tokenFor('EMIS'));
    for (const id of [...doneIds, ...halfIds]) {
      const found = await api.get(`${BASE}/Immunization?identifier=${encodeURIComponent(`https://batch.example.org/ids|${id}`)}`);
      expect(found.body.entry.filter((e: any) => e.resource.resourceType === 'Immunization')).toHaveLength(1);
    }
  });
});
