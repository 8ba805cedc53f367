import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import { SupplierRegistry } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database, isUniqueViolation, Tx } from '../../database/database';
import { fhirErrorOf } from '../../fhir/domain-error-outcome';
import { DomainError } from '../../kernel/domain-error';
import { JsonLogger } from '../../logging/json-logger';
import { ApplyImmunizationRow, ApplyImmunizationRows, ImmunizationChange, ImmunizationChanged, RowAction } from '../../immunization/public';
import { PipeCsvParser } from '../domain/csv';
import { emptyFlat, FLAT_FIELDS, FlatRecord, flatToFhir } from '../domain/flat-record';
import { BatchFileRow, BatchStore, FailureRow, LeaseLost } from '../infrastructure/batch.store';
import { BatchMetrics } from '../batch.metrics';
import { AckWriter } from './ack-writer';
import { retryDelayMs } from '../../scheduling/backoff';

/** One data row of a file: its number (1 = first row after the headers) and its values. */
export interface FileRow {
  n: number;
  values: string[];
}

const OPERATION_OF: Record<RowAction, 'create' | 'update' | 'delete'> = { NEW: 'create', UPDATE: 'update', DELETE: 'delete' };

/**
 * The lane of a row: by its identifier, so that all rows of one record share a lane and apply in
 * file order. (FNV-1a; stable across restarts and instances.)
 */
export function laneOf(row: FileRow, lanes: number): number {
  if (lanes === 1) return 0;
  const key = `${(row.values[10] ?? '').trim()}|${(row.values[9] ?? '').trim()}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/** A row refused for a reason of its own: it fails alone, nothing of it was written. */
class RowFailure extends Error {}

type RowOutcome = { ok: true; change: ImmunizationChange } | { ok: false; failure: FailureRow };

/** The row's values as a flat record (missing trailing values are empty). */
export function recordOf(values: string[]): FlatRecord {
  const r = emptyFlat();
  FLAT_FIELDS.forEach((f, i) => (r[f] = (values[i] ?? '').trim()));
  return r;
}

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
  ) {}

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

  private principalOf(file: BatchFileRow): Principal {
    const supplier = this.suppliers.supplier(file.supplier);
    // A supplier removed from the file while its file waits: every row fails on permissions.
    return {
      clientId: `batch:${file.file_name}`,
      supplier: supplier ?? {
        name: file.supplier,
        permissions: { allows: () => false, filter: () => [] } as never,
        grants: [],
        roles: [],
        clients: [],
        rateLimitPerSecond: null,
      },
    };
  }

  private async process(file: BatchFileRow) {
    const started = Date.now();
    const lanesDone = await this.store.laneProgress(this.db, file.id);
    if (lanesDone.length !== file.lanes) throw new Error(`batch file ${file.id} has ${lanesDone.length} lane rows, expected ${file.lanes}`);
    const from = Math.min(...lanesDone);
    const stop: { failure: unknown } = { failure: null };
    const principal = this.principalOf(file);
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
      inflight[lane] = this.applyChunk(file, principal, lane, laneFrom, chunk).then(
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

  /**
   * One transaction: the chunk's rows, their failures and the lane's new position. Fast path with
   * no savepoints; on an error that may have broken the transaction, again with one per row.
   */
  private async applyChunk(file: BatchFileRow, principal: Principal, lane: number, from: number, chunk: FileRow[]) {
    // Let the event loop breathe between chunks: on embedded PGlite every statement resolves as a
    // microtask, so back-to-back chunks would otherwise never let an HTTP request in.
    await new Promise((r) => setImmediate(r));
    let outcomes: RowOutcome[];
    try {
      outcomes = await this.db.withTransaction((tx) => this.runChunk(tx, file, principal, lane, from, chunk, false));
    } catch (e) {
      if (!(e instanceof ChunkPoisoned)) throw e;
      outcomes = await this.db.withTransaction((tx) => this.runChunk(tx, file, principal, lane, from, chunk, true));
    }
    let ok = 0;
    for (const o of outcomes) {
      if (o.ok) {
        ok++;
        try {
          this.events.publish(new ImmunizationChanged(o.change));
        } catch {
          /* a nudge only */
        }
      }
    }
    this.metrics.rows.inc({ outcome: 'succeeded' }, ok);
    this.metrics.rows.inc({ outcome: 'failed' }, outcomes.length - ok);
  }

  private async runChunk(
    tx: Tx,
    file: BatchFileRow,
    principal: Principal,
    lane: number,
    from: number,
    chunk: FileRow[],
    savepoints: boolean,
  ): Promise<RowOutcome[]> {
    const outcomes: RowOutcome[] = savepoints ? [] : await this.applyRows(tx, file, principal, chunk);
    if (savepoints)
      for (const row of chunk) {
        if (savepoints) await tx.query('SAVEPOINT batch_row');
        try {
          outcomes.push({ ok: true, change: await this.applyRow(tx, file, principal, row) });
          if (savepoints) await tx.query('RELEASE SAVEPOINT batch_row');
        } catch (e) {
          const clientCaused = e instanceof DomainError || e instanceof RowFailure;
          if (!clientCaused && !savepoints) throw new ChunkPoisoned(e);
          if (savepoints) await tx.query('ROLLBACK TO SAVEPOINT batch_row');
          if (!clientCaused)
            this.logger.error('batch row failed unexpectedly', { file: file.file_name, row: row.n, error: (e as Error)?.message });
          outcomes.push({ ok: false, failure: failureOf(row, e) });
        }
      }
    const failures = outcomes.filter((o): o is { ok: false; failure: FailureRow } => !o.ok).map((o) => o.failure);
    await this.store.recordProgress(
      tx,
      {
        id: file.id,
        owner: this.instanceId,
        lane,
        from,
        to: chunk[chunk.length - 1].n,
        succeeded: outcomes.length - failures.length,
        failed: failures.length,
        leaseMs: this.config.batch.leaseMs,
      },
      failures,
    );
    return outcomes;
  }

  /**
   * The fast path: the whole chunk through one ApplyImmunizationRows (a constant number of
   * statements per chunk). Client-caused failures come back per row; anything else poisons the chunk.
   */
  private async applyRows(tx: Tx, file: BatchFileRow, principal: Principal, chunk: FileRow[]): Promise<RowOutcome[]> {
    const outcomes: RowOutcome[] = new Array<RowOutcome>(chunk.length);
    const asked: { k: number; cmd: ReturnType<typeof rowCommand> }[] = [];
    chunk.forEach((row, k) => {
      try {
        asked.push({ k, cmd: rowCommand(file, principal, row) });
      } catch (e) {
        if (!(e instanceof DomainError || e instanceof RowFailure)) throw new ChunkPoisoned(e);
        outcomes[k] = { ok: false, failure: failureOf(row, e) };
      }
    });
    let results;
    try {
      results = await this.commands.execute(
        new ApplyImmunizationRows(
          tx,
          asked.map((a) => a.cmd),
          principal,
        ),
      );
    } catch (e) {
      throw new ChunkPoisoned(e);
    }
    asked.forEach((a, j) => {
      const res = results[j];
      outcomes[a.k] = res.ok ? { ok: true, change: res.change } : { ok: false, failure: failureOf(chunk[a.k], res.error) };
    });
    return outcomes;
  }

  private async applyRow(tx: Tx, file: BatchFileRow, principal: Principal, row: FileRow): Promise<ImmunizationChange> {
    const c = rowCommand(file, principal, row);
    const applied = await this.commands.execute(new ApplyImmunizationRow(tx, c.action, c.identifier, c.body, principal));
    return applied.change;
  }
}

/** A row's checks that need no database, and the row as the Immunization module's command takes it. */
function rowCommand(file: BatchFileRow, principal: Principal, row: FileRow) {
  {
    const r = recordOf(row.values);
    const action = r.ACTION_FLAG.toUpperCase();
    if (action !== 'NEW' && action !== 'UPDATE' && action !== 'DELETE') {
      throw new RowFailure(`Invalid ACTION_FLAG - ACTION_FLAG must be 'NEW', 'UPDATE' or 'DELETE'`);
    }
    if (!r.UNIQUE_ID || !r.UNIQUE_ID_URI) throw new RowFailure('UNIQUE_ID or UNIQUE_ID_URI is missing');
    if (!principal.supplier.permissions.allows(OPERATION_OF[action], file.vaccine_type))
      throw new RowFailure('No permissions for requested operation');
    if (row.values.length !== FLAT_FIELDS.length) {
      throw new RowFailure(`The row has ${row.values.length} values; a row needs ${FLAT_FIELDS.length}, one per header.`);
    }
    const body = action === 'DELETE' ? null : flatToFhir(r, file.vaccine_type);
    return { action: action as RowAction, identifier: { system: r.UNIQUE_ID_URI, value: r.UNIQUE_ID }, body };
  }
}

/** The chunk's transaction may be unusable: roll it back and run the chunk row by row. */
class ChunkPoisoned extends Error {
  constructor(readonly cause: unknown) {
    super(`chunk poisoned: ${(cause as Error)?.message}`);
  }
}

function failureOf(row: FileRow, e: unknown): FailureRow {
  const r = recordOf(row.values);
  let diagnostics: string;
  // The issues the API would answer with (capped the same way), joined.
  if (e instanceof DomainError)
    diagnostics = fhirErrorOf(e)
      .issues.map((i) => i.diagnostics ?? i.code)
      .join('; ');
  else if (e instanceof RowFailure) diagnostics = e.message;
  else if (isUniqueViolation(e)) diagnostics = `A live record already has identifier ${r.UNIQUE_ID_URI}|${r.UNIQUE_ID}.`;
  else diagnostics = 'The row could not be applied (an unexpected error; it has been logged).';
  return {
    row_number: row.n,
    local_id: `${r.UNIQUE_ID}^${r.UNIQUE_ID_URI}`,
    imms_id: null,
    operation: r.ACTION_FLAG.toUpperCase() || null,
    diagnostics,
  };
}
