// Over 250 lines on purpose: one file's lifecycle (claim, lease renewal, lanes, completion) reads best in one place; rows and chunks are in batch-row.ts and chunk-applier.ts.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import { SupplierRegistry } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { JsonLogger } from '../../logging/json-logger';
import { PipeCsvParser } from '../domain/csv';
import { BatchFileRow, BatchStore, LeaseLost } from '../infrastructure/batch.store';
import { BatchMetrics } from '../batch.metrics';
import { AckWriter } from './ack-writer';
import { FileRow, laneOf, principalOf } from './batch-row';
import { ChunkApplier } from './chunk-applier';
import { retryDelayMs } from '../../scheduling/backoff';

/**
 * The batch worker (BATCH_WORKER_ENABLED): claims files from the PostgreSQL queue (batch_file,
 * FOR UPDATE SKIP LOCKED + a lease, see BatchStore.claim) and applies their rows in file order.
 *
 * Exactly once: a file's rows are split into BATCH_LANES lanes by identifier (a record's rows
 * share a lane and keep their file order). Each lane applies BATCH_CHUNK_ROWS rows per
 * transaction, and that transaction also moves the lane's position (batch_lane), fenced on the
 * lease and on the position the chunk started from. A crash rolls the open chunks back, and
 * whoever claims the file next (after the lease expires) resumes each lane after its last done
 * row: no row is skipped, none applied twice. Lanes overlap their round trips to the database.
 *
 * A failing row fails alone: a row refused by the checks, the conversion, validation or the
 * aggregate (DomainError) has written nothing, so the chunk goes on. Any other error may have broken
 * the transaction: the chunk is rolled back and run again with a savepoint around each row.
 * Database trouble (the transaction itself cannot be run) backs off exponentially and retries the
 * chunk from the recorded position.
 */
@Injectable()
export class BatchProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  readonly instanceId = randomUUID();
  private running = false;
  private loops: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  private housekeeping: NodeJS.Timeout | null = null;
  private readonly chunks: ChunkApplier;

  constructor(
    private readonly db: Database,
    private readonly store: BatchStore,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly suppliers: SupplierRegistry,
    private readonly acks: AckWriter,
    private readonly metrics: BatchMetrics,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.chunks = new ChunkApplier(db, store, commands, events, metrics, logger, config, this.instanceId);
  }

  onApplicationBootstrap() {
    if (this.config.batch.workerEnabled) this.start();
  }

  async onModuleDestroy() {
    await this.stop();
  }

  start() {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.config.batch.workers; i++) this.loops.push(this.loop());
    this.housekeeping = setInterval(() => void this.store.dropStaleReceiving(this.db, 60).catch(() => undefined), 600_000);
    this.housekeeping.unref();
    this.logger.info('batch worker started', {
      instance: this.instanceId,
      workers: this.config.batch.workers,
      chunkRows: this.config.batch.chunkRows,
    });
  }

  async stop() {
    if (!this.running) return;
    this.running = false;
    for (const w of this.wakers) w();
    await Promise.all(this.loops);
    this.loops = [];
    if (this.housekeeping) clearInterval(this.housekeeping);
    await this.store.release(this.db, this.instanceId).catch(() => undefined);
  }

  /** A file was queued: look now rather than at the next poll. */
  nudge() {
    for (const w of this.wakers) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async loop() {
    let failures = 0;
    while (this.running) {
      let file: BatchFileRow | null = null;
      try {
        file = await this.store.claim(this.db, this.instanceId, this.config.batch.leaseMs);
        if (file) await this.process(file);
        failures = 0;
      } catch (e) {
        failures++;
        const wait = Math.max(100, retryDelayMs(failures, 200, 30_000));
        this.logger.warn('batch worker: database error, backing off', { file: file?.file_name, error: (e as Error).message, waitMs: wait });
        if (file) await this.store.release(this.db, this.instanceId).catch(() => undefined);
        await this.sleep(wait);
        continue;
      }
      if (!file && this.running) await this.sleep(this.config.batch.pollMs);
    }
  }

  /** Reads a file's data rows from `from` (rows already done are skipped), decoding as it was stored. */
  async *rows(file: BatchFileRow, from: number): AsyncGenerator<FileRow> {
    const decoder = new TextDecoder(file.encoding === 'utf-8' ? 'utf-8' : 'windows-1252');
    const parser = new PipeCsvParser();
    let index = -1; // -1: the header line
    for (let c = 0; c < file.chunk_count; c++) {
      const data = await this.store.chunk(this.db, file.id, c);
      if (data === null) throw new Error(`batch file ${file.id} chunk ${c} is missing`);
      const text = decoder.decode(data, { stream: c < file.chunk_count - 1 });
      for (const values of [...parser.push(text), ...(c === file.chunk_count - 1 ? parser.end() : [])]) {
        index++;
        if (index >= 1 && index > from) yield { n: index, values };
      }
    }
  }

  private async process(file: BatchFileRow) {
    const started = Date.now();
    const lanesDone = await this.store.laneProgress(this.db, file.id);
    if (lanesDone.length !== file.lanes) throw new Error(`batch file ${file.id} has ${lanesDone.length} lane rows, expected ${file.lanes}`);
    const from = Math.min(...lanesDone);
    const stop: { failure: unknown } = { failure: null };
    const principal = principalOf(this.suppliers.supplier(file.supplier), file);
    this.logger.info('batch file processing', {
      file: file.file_name,
      instance: this.instanceId,
      fromRow: from,
      total: file.total_rows,
      lanes: file.lanes,
    });
    // The lease is renewed by every chunk commit, and by this timer in between (a chunk can take
    // longer than a lease on a starved machine). A lost lease stops the file here.
    const renewal = setInterval(
      () => {
        this.store.renew(this.db, file.id, this.instanceId, this.config.batch.leaseMs).then(
          (held) => void (held || (stop.failure ??= new LeaseLost())),
          (e) => this.logger.warn('batch worker: renewing a lease failed', { file: file.file_name, error: (e as Error).message }),
        );
      },
      Math.max(200, Math.floor(this.config.batch.leaseMs / 3)),
    );
    try {
      return await this.processLanes(file, principal, lanesDone, from, started, stop);
    } finally {
      clearInterval(renewal);
    }
  }

  private async processLanes(
    file: BatchFileRow,
    principal: Principal,
    lanesDone: number[],
    from: number,
    started: number,
    stop: { failure: unknown },
  ) {
    // One reader; each lane applies its rows in file order, a chunk per transaction, one chunk in
    // flight per lane. The lanes run side by side on their own connections.
    let applied = 0;
    let lastLog = Date.now();
    let lastLogApplied = 0;
    const every = this.config.batch.progressLogMs;
    const log = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastLog < every) return;
      const rate = ((applied - lastLogApplied) * 1000) / Math.max(1, now - lastLog);
      this.metrics.setRate(rate);
      this.logger.info('batch file progress', {
        file: file.file_name,
        rowsThisRun: applied,
        total: file.total_rows,
        rowsPerSecond: Math.round(rate),
      });
      lastLog = now;
      lastLogApplied = applied;
    };
    // Every few seconds while the file runs: after a chunk commits, or from the timer when none does.
    const progress = setInterval(() => log(false), every);
    try {
      await this.runLanes(file, principal, lanesDone, from, stop, (n) => {
        applied += n;
        log(false);
      });
    } finally {
      clearInterval(progress);
    }
    if (!this.running) return; // stopping: the lease is released, another instance resumes from the lanes' progress
    if (!(await this.store.complete(this.db, file.id, this.instanceId))) throw new LeaseLost();
    this.metrics.setRate(0);
    const final = (await this.store.byId(this.db, file.id))!;
    const seconds = (Date.now() - started) / 1000;
    this.logger.info('batch file processed', {
      file: file.file_name,
      rows: final.total_rows,
      succeeded: final.succeeded,
      failed: final.failed,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond: Math.round(applied / Math.max(seconds, 0.001)),
    });
    if (final.source === 'inbox') await this.acks.writeBusAck(final);
  }

  private async runLanes(
    file: BatchFileRow,
    principal: Principal,
    lanesDone: number[],
    from: number,
    stop: { failure: unknown },
    done: (rows: number) => void,
  ) {
    const buffers: FileRow[][] = lanesDone.map(() => []);
    const inflight: Promise<void>[] = lanesDone.map(() => Promise.resolve());
    const launch = async (lane: number) => {
      await inflight[lane];
      if (stop.failure) return;
      const chunk = buffers[lane];
      buffers[lane] = [];
      const laneFrom = lanesDone[lane];
      lanesDone[lane] = chunk[chunk.length - 1].n;
      inflight[lane] = this.chunks.applyChunk(file, principal, lane, laneFrom, chunk).then(
        () => done(chunk.length),
        (e) => void (stop.failure ??= e),
      );
    };
    for await (const row of this.rows(file, from)) {
      if (stop.failure || !this.running) break;
      const lane = laneOf(row, file.lanes);
      if (row.n <= lanesDone[lane]) continue; // done before a restart
      buffers[lane].push(row);
      if (buffers[lane].length >= this.config.batch.chunkRows) await launch(lane);
    }
    if (!stop.failure && this.running) for (let lane = 0; lane < buffers.length; lane++) if (buffers[lane].length) await launch(lane);
    await Promise.all(inflight);
    if (stop.failure) throw stop.failure;
  }
}
