import { CommandBus, EventBus } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { AppConfig } from '../../config/app-config';
import type { Database, Tx } from '../../database/database';
import { ApplyImmunizationRow, ApplyImmunizationRows, ImmunizationChange, ImmunizationChanged } from '../../immunization/public';
import { DomainError } from '../../kernel/domain-error';
import type { JsonLogger } from '../../logging/json-logger';
import type { BatchMetrics } from '../batch.metrics';
import type { BatchFileRow, BatchStore, FailureRow } from '../infrastructure/batch.store';
import { failureOf, FileRow, RowFailure, rowCommand } from './batch-row';

type RowOutcome = { ok: true; change: ImmunizationChange } | { ok: false; failure: FailureRow };

/** The chunk's transaction may be unusable: roll it back and run the chunk row by row. */
class ChunkPoisoned extends Error {
  constructor(readonly cause: unknown) {
    super(`chunk poisoned: ${(cause as Error)?.message}`);
  }
}

/**
 * Applies one lane's chunk of rows for the BatchProcessor: the rows, their failures and the lane's
 * new position in one transaction, fenced on the lease (BatchStore.recordProgress).
 */
export class ChunkApplier {
  constructor(
    private readonly db: Database,
    private readonly store: BatchStore,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly metrics: BatchMetrics,
    private readonly logger: JsonLogger,
    private readonly config: AppConfig,
    private readonly instanceId: string,
  ) {}

  /**
   * One transaction: the chunk's rows, their failures and the lane's new position. Fast path with
   * no savepoints; on an error that may have broken the transaction, again with one per row.
   */
  async applyChunk(file: BatchFileRow, principal: Principal, lane: number, from: number, chunk: FileRow[]) {
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
