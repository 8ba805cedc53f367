import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { countStatement } from './request-scope';

export interface Rows<T> {
  rows: T[];
}

/** Something SQL can be sent to: the database, or an open transaction. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>>;
}

async function run<T>(runner: QueryRunner, text: string, params?: unknown[]): Promise<Rows<T>> {
  countStatement();
  // Structured result: rows for every statement kind. Row counts come from RETURNING, never from
  // `affected`, which the PGlite driver does not report.
  const result = await runner.query(text, params, true);
  return { rows: (result.records ?? []) as T[] };
}

/** An open transaction, handed explicitly to the code that must run inside it. */
export class Tx implements SqlExecutor {
  private readonly committed: (() => void)[] = [];

  constructor(readonly manager: EntityManager) {}

  /**
   * Runs fn after this transaction commits (never if it rolls back). Lets code that joins an outer
   * transaction (a patient merge moving records) publish its after-commit events at the right time.
   */
  afterCommit(fn: () => void) {
    this.committed.push(fn);
  }

  /** Called by Database.withTransaction once the COMMIT has succeeded. */
  runAfterCommit() {
    for (const fn of this.committed.splice(0)) fn();
  }

  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>> {
    return run<T>(this.manager.queryRunner as QueryRunner, text, params);
  }
}

/**
 * The one door to the database. On PostgreSQL it is a thin layer over the pool. On embedded PGlite
 * there is a single session shared by every caller, so concurrent transactions would interleave on
 * it: there, every statement and transaction takes one process-wide turn (PGlite runs one query at a
 * time anyway, so nothing is lost).
 */
@Injectable()
export class Database implements SqlExecutor {
  private readonly serialise: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly holding = new AsyncLocalStorage<true>();

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.serialise = (dataSource.options as { driver?: unknown }).driver !== undefined;
  }

  get isEmbedded(): boolean {
    return this.serialise;
  }

  private turn<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.serialise || this.holding.getStore()) return fn();
    const result = this.queue.then(() => this.holding.run(true, fn));
    this.queue = result.catch(() => undefined);
    return result;
  }

  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>> {
    return this.turn(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        return await run<T>(runner, text, params);
      } finally {
        await runner.release();
      }
    });
  }

  /** Runs fn in one transaction (READ COMMITTED) and commits, or rolls back if it throws. */
  withTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.turn(async () => {
      let tx: Tx | null = null;
      const result = await this.dataSource.transaction((manager) => fn((tx = new Tx(manager))));
      (tx as Tx | null)?.runAfterCommit();
      return result;
    });
  }
}

/** PostgreSQL SQLSTATE of a failed query, when there is one. */
export function sqlState(e: unknown): string | undefined {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' ? code : undefined;
}

export const isUniqueViolation = (e: unknown) => sqlState(e) === '23505';
/** Serialization failure or deadlock: safe to retry the whole transaction from the top. */
export const isRetryableTxFailure = (e: unknown) => ['40001', '40P01'].includes(sqlState(e) ?? '');

/** The constraint a unique violation names, if the driver reports it. */
export function violatedConstraint(e: unknown): string | undefined {
  const err = e as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = err?.driverError?.constraint ?? err?.constraint;
  return typeof c === 'string' ? c : undefined;
}
