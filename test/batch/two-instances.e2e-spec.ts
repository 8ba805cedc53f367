import { CommandBus, EventBus } from '@nestjs/cqrs';
import { SupplierRegistry } from '../../src/auth/supplier-registry';
import { BatchMetrics } from '../../src/batch/batch.metrics';
import { BatchStore } from '../../src/batch/infrastructure/batch.store';
import { AckWriter } from '../../src/batch/ingest/ack-writer';
import { BatchProcessor } from '../../src/batch/ingest/batch-processor';
import { Database } from '../../src/database/database';
import { fileName, fileOf, fluRow } from '../fixtures/batch/flat-rows';
import { onPostgres, startTestApp, TestApp, testSupplier } from '../support/test-app';
import { batchClient } from './support/batch-client';

const ENV = { BATCH_WORKERS: '1', BATCH_POLL_MS: '50', BATCH_CHUNK_ROWS: '5', BATCH_LEASE_MS: '120000' };
const ROWS = 30;

/**
 * Several instances share the files. On PostgreSQL: two app instances on one database. On PGlite
 * the database lives inside one process, so a second worker inside the same app competes instead.
 * Each group's second file updates what its first creates, so an out-of-order or repeated row shows.
 */
describe('batch workers side by side', () => {
  let a: TestApp & { databaseUrl: string | null };
  let b: TestApp | null = null;
  let second: BatchProcessor | null = null;
  const suppliers = () => [testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] })];

  beforeAll(async () => {
    a = await startTestApp({ env: ENV, suppliers: suppliers() });
    if (onPostgres) b = await startTestApp({ env: ENV, databaseUrl: a.databaseUrl, suppliers: a.suppliers });
    else {
      const g = <T>(type: new (...args: any[]) => T) => a.app.get(type);
      second = new BatchProcessor(
        g(Database),
        g(BatchStore),
        g(CommandBus),
        g(EventBus),
        g(SupplierRegistry),
        g(AckWriter),
        g(BatchMetrics),
        a.logger,
        a.config,
      );
    }
  });
  afterAll(async () => {
    await second?.stop();
    await b?.close();
    await a?.close();
  });

  it(
    onPostgres
      ? 'two app instances on one database share the files; each row applied once, each group in order'
      : 'PGlite: two workers in one app share the files; each row applied once, each group in order',
    async () => {
      const ca = batchClient(a, await a.tokenFor('EMIS'));
      const cb = b ? batchClient(b, await b.tokenFor('EMIS')) : ca;
      // Everything queued first, then the workers start together and compete for the files.
      const workers = [a.app.get(BatchProcessor), ...(b ? [b.app.get(BatchProcessor)] : [second!])];
      for (const w of workers) await w.stop();
      const groups = ['FLU', 'MMR', 'HPV', 'COVID'];
      const names: string[] = [];
      for (const [i, type] of groups.entries()) {
        const up = i % 2 === 0 ? ca : cb;
        const rows = Array.from({ length: ROWS }, (_, r) => fluRow(`two-${process.pid}-${type}-${r}`));
        const first = fileName(type, 'YGM41');
        const next = fileName(type, 'YGM41');
        expect((await up.upload(first, fileOf(rows))).status).toBe(202);
        expect((await up.upload(next, fileOf(rows.map((r) => ({ ...r, ACTION_FLAG: 'UPDATE' }))))).status).toBe(202);
        names.push(first, next);
      }
      for (const w of workers) w.start();
      for (const n of names) expect((await ca.settled(n, 600_000)).rows).toEqual({ total: ROWS, succeeded: ROWS, failed: 0 });
      const logs = [...a.logger.entries, ...(b?.logger.entries ?? [])].filter((e) => e.msg === 'batch file processing');
      const instances = new Set(logs.map((e) => e.instance));
      expect(instances.size).toBe(2);
      // Claimed once each: no lease expired, so no file was taken over.
      expect(logs.map((e) => e.file).sort()).toEqual([...names].sort());
    },
  );
});
