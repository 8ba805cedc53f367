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

/** node-postgres, as much of it as the PostgreSQL path uses. */
interface PgResult {
  rows: unknown[];
}
interface PgClient {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<PgResult | PgResult[]>;
  release(destroy?: boolean | Error): void;
}
interface PgPool {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<PgResult | PgResult[]>;
  connect(): Promise<PgClient>;
}

/**
 * Statements with parameters are prepared once per connection under a name (PostgreSQL parses and
 * plans them once, not per request). Bounded: SQL built with a varying number of placeholders
 * (multi-row inserts) could otherwise prepare without end; past the bound, statements go unnamed.
 */
const MAX_NAMED_STATEMENTS = 300;
const statementNames = new Map<string, string>();

function statement(text: string, values?: unknown[]) {
  if (!values || values.length === 0) return { text };
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS && text.length <= 16_384) {
    name = `imms_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name === undefined ? { text, values } : { text, values, name };
}

async function runOnPg<T>(on: PgPool | PgClient, text: string, params?: unknown[]): Promise<Rows<T>> {
  countStatement();
  const result = await on.query(statement(text, params));
  return { rows: (Array.isArray(result) ? (result[result.length - 1]?.rows ?? []) : result.rows) as T[] };
}

/** An open transaction, handed explicitly to the code that must run inside it. */
export class Tx implements SqlExecutor {
  private readonly committed: (() => void)[] = [];

  /** A TypeORM transaction (PGlite) or a node-postgres client that has run BEGIN (PostgreSQL). */
  constructor(private readonly session: EntityManager | PgClient) {}

  /**
   * Runs fn after this transaction commits (never if it rolls back). Lets code that joins an outer
   * transaction (a patient merge moving records) publish its after-commit events at the right time.
   */
  afterCommit(fn: () => void) {
    this.committed.push(fn);
  }

  /**
   * Called by Database.withTransaction once the COMMIT has succeeded. Nothing here may turn a
   * committed change into an error for the caller (who would retry a write that happened): a
   * throwing callback is skipped, the rest still run.
   */
  runAfterCommit() {
    for (const fn of this.committed.splice(0)) {
      try {
        fn();
      } catch {
        /* after-commit work is a nudge (events, metrics); the change itself is durable */
      }
    }
  }

  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>> {
    if (this.session instanceof EntityManager) return run<T>(this.session.queryRunner as QueryRunner, text, params);
    return runOnPg<T>(this.session, text, params);
  }
}

/**
 * The one door to the database. On PostgreSQL it is a thin layer over node-postgres' pool, below
 * TypeORM (whose query runner, events and transaction wrapper cost more CPU per statement than the
 * statement's own client work), with statements prepared by name. On embedded PGlite
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

  /** node-postgres' pool under TypeORM on PostgreSQL; null on PGlite. */
  private get pg(): PgPool | null {
    if (this.serialise) return null;
    return ((this.dataSource.driver as unknown as { master?: PgPool }).master ?? null) as PgPool | null;
  }

  private unguardedQuery<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>> {
    const pg = this.pg;
    if (pg) return runOnPg<T>(pg, text, params);
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
    const pg = this.pg;
    if (pg) return this.failFast(() => pgTransaction(pg, fn));
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

/** BEGIN … COMMIT on one pooled connection; ROLLBACK if fn throws (a connection that fails that is dropped). */
async function pgTransaction<T>(pool: PgPool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query({ text: 'BEGIN' });
    const tx = new Tx(client);
    let result: T;
    try {
      result = await fn(tx);
      await client.query({ text: 'COMMIT' });
    } catch (e) {
      await client.query({ text: 'ROLLBACK' }).catch((r: Error) => (broken = r));
      throw e;
    }
    tx.runAfterCommit();
    return result;
  } catch (e) {
    // BEGIN or COMMIT itself failed on a connection in an unknown state: do not pool it again.
    if (!broken && isDatabaseUnreachable(e)) broken = e as Error;
    throw e;
  } finally {
    client.release(broken);
  }
}

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
