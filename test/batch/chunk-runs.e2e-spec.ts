import { fileName, fileOf, fluRow } from '../fixtures/batch/flat-rows';
import { fhirClient } from '../support/fhir-client';
import { startTestApp, TestApp, testSupplier } from '../support/test-app';
import { batchClient, csvRows, recordsByIdentifier } from './support/batch-client';

// One lane and large chunks: every row of the file is in one chunk, so rows repeating an
// identifier go through the batched path's runs (a repeated identifier starts a new run).
describe('batch chunks with repeated identifiers', () => {
  let t: TestApp;
  let emis: ReturnType<typeof batchClient>;
  let api: ReturnType<typeof fhirClient>;
  const id = (tag: string) => `${tag}-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    t = await startTestApp({
      suppliers: [testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] })],
      env: { BATCH_POLL_MS: '50', BATCH_CHUNK_ROWS: '50', BATCH_LANES: '1' },
    });
    emis = batchClient(t, await t.tokenFor('EMIS'));
    api = fhirClient(t, await t.tokenFor('EMIS'));
  });
  afterAll(() => t.close());

  const byIdentifier = (value: string) => recordsByIdentifier(api, value);

  it('applies rows of one identifier in file order within a chunk; a repeated NEW fails alone as a duplicate', async () => {
    const [x, y, z, w] = [id('x'), id('y'), id('z'), id('w')];
    const name = fileName('FLU', 'YGM41');
    const rows = [
      fluRow(x),
      fluRow(x, { ACTION_FLAG: 'UPDATE', BATCH_NUMBER: 'LOT-2' }),
      fluRow(x, { ACTION_FLAG: 'DELETE' }),
      fluRow(x, { BATCH_NUMBER: 'LOT-3' }), // NEW on a deleted identifier: reinstates it
      fluRow(y),
      fluRow(y), // duplicate of a live record
      fluRow(z, { ACTION_FLAG: 'UPDATE' }), // nothing to update
      fluRow(w),
    ];
    expect((await emis.upload(name, fileOf(rows))).status).toBe(202);
    expect(await emis.settled(name)).toMatchObject({ status: 'processed', rows: { total: 8, succeeded: 6, failed: 2 } });
    const lines = csvRows((await emis.busAck(name)).text).slice(1);
    expect(lines.map((l) => l[0].split('^')[1])).toEqual(['6', '7']);
    expect(lines[0][13]).toMatch(/already has identifier/);
    expect(lines[1][13]).toMatch(/nothing to update/);

    const [rx] = await byIdentifier(x);
    expect(rx.meta.versionId).toBe('3');
    expect(rx.lotNumber).toBe('LOT-3');
    const hist = await api.history(rx.id);
    // Newest first: the reinstatement, the delete (no resource), the update, the create.
    expect(hist.body.entry).toHaveLength(4);
    expect(hist.body.entry.map((e: any) => e.resource?.meta.versionId ?? null)).toEqual(['3', null, '2', '1']);
    expect(await byIdentifier(y)).toHaveLength(1);
    expect(await byIdentifier(z)).toEqual([]);
    expect(await byIdentifier(w)).toHaveLength(1);
  });
});
