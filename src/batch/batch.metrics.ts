import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Database } from '../database/database';
import { MetricsService } from '../metrics/metrics.service';
import { BatchStore } from './infrastructure/batch.store';

const STATUSES = ['receiving', 'queued', 'processing', 'processed', 'rejected'];

/** Batch channel metrics on the app's registry: files by status, rows, rate, queue depth and age. */
@Injectable()
export class BatchMetrics {
  readonly rows: Counter<'outcome'>;
  readonly filesReceived: Counter<'status'>;
  private readonly rate: Gauge;
  private snapshot: ReturnType<BatchStore['counts']> | null = null;
  private snapshotAt = 0;

  constructor(metrics: MetricsService, db: Database, store: BatchStore) {
    const registers = [metrics.registry];
    const counts = () => {
      if (!this.snapshot || Date.now() - this.snapshotAt > 100) {
        this.snapshotAt = Date.now();
        this.snapshot = store.counts(db).catch(() => ({ byStatus: {}, queued: 0, oldestQueuedSeconds: 0 }));
      }
      return this.snapshot;
    };
    this.rows = new Counter({
      name: 'batch_rows_total',
      help: 'Batch rows processed by this instance, by outcome (succeeded, failed)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.filesReceived = new Counter({
      name: 'batch_files_received_total',
      help: 'Batch files received by this instance, by the status they got (queued, rejected)',
      labelNames: ['status'] as const,
      registers,
    });
    this.rate = new Gauge({
      name: 'batch_rows_per_second',
      help: 'Rows per second of the file this instance is working on (0 when idle)',
      registers,
    });
    new Gauge({
      name: 'batch_files',
      help: 'Batch files by status (all instances)',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const c = await counts();
        for (const s of STATUSES) this.set({ status: s }, c.byStatus[s] ?? 0);
      },
    });
    new Gauge({
      name: 'batch_queue_depth',
      help: 'Batch files waiting to be processed',
      registers,
      async collect() {
        this.set((await counts()).queued);
      },
    });
    new Gauge({
      name: 'batch_oldest_queued_file_age_seconds',
      help: 'Age of the oldest batch file still waiting (0 when none)',
      registers,
      async collect() {
        this.set((await counts()).oldestQueuedSeconds);
      },
    });
  }

  received(status: string) {
    this.filesReceived.inc({ status });
  }

  setRate(rowsPerSecond: number) {
    this.rate.set(rowsPerSecond);
  }
}
