import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DatabaseUnavailableError, isDatabaseUnreachable } from './database-unavailable';
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

  /** Until then, requests fail at once: the server was just found unreachable (see failFast). */
  private unreachableUntil = 0;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.serialise = (dataSource.options as { driver?: unknown }).driver !== undefined;
    dropConnectionsThatTimeOut(dataSource);
  }

  /**
   * A circuit breaker for outages: once the server was found unreachable (refused, connect or read
   * timeout), every caller gets the 503 at once for the next second instead of each waiting for the
   * same timeout and holding a pool slot; then one caller tries again.
   */
  private async failFast<T>(fn: () => Promise<T>): Promise<T> {
    if (Date.now() < this.unreachableUntil)
      throw new DatabaseUnavailableError('the database was unreachable a moment ago; not retried yet');
    try {
      return await fn();
    } catch (e) {
      if (isDatabaseUnreachable(e)) this.unreachableUntil = Date.now() + UNREACHABLE_FAIL_FAST_MS;
      throw e;
    }
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
    if (this.holding.getStore()) return this.unguardedQuery(text, params);
    return this.failFast(() => this.unguardedQuery<T>(text, params));
  }

  private unguardedQuery<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>> {
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
    return this.failFast(() =>
      this.turn(async () => {
        let tx: Tx | null = null;
        const result = await this.dataSource.transaction((manager) => fn((tx = new Tx(manager))));
        (tx as Tx | null)?.runAfterCommit();
        return result;
      }),
    );
  }
}

const UNREACHABLE_FAIL_FAST_MS = 1000;

interface PgClientLike {
  query: (...args: unknown[]) => unknown;
  connection?: { stream?: { destroy(): void } };
}

/**
 * node-postgres' query_timeout gives up on a query but keeps the connection: the next statement on
 * it (TypeORM's ROLLBACK, the next request from the pool) waits for the frozen server again. Cut
 * such a connection off instead, so the rollback fails at once and the pool drops it.
 */
function dropConnectionsThatTimeOut(dataSource: DataSource) {
  const pool = (dataSource.driver as unknown as { master?: { on?: (event: string, fn: (c: PgClientLike) => void) => void } }).master;
  pool?.on?.('connect', (client) => {
    const query = client.query.bind(client);
    client.query = (...args: unknown[]) => {
      const result = query(...args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (e: unknown) => {
          if (/query read timeout/i.test((e as Error)?.message ?? '')) client.connection?.stream?.destroy();
        });
      }
      return result;
    };
  });
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
