import { EventEmitter } from 'node:events';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

type Callback = (err: unknown, result?: unknown) => void;

/**
 * A node-postgres-shaped pool over one embedded PGlite database, for TypeORM's postgres driver
 * (`driver` option). Unlike typeorm-pglite, whose instance is a process-wide static (two data
 * sources in one process would share, and close, each other's database), each pool here owns
 * its own PGlite. PGlite has a single session: Database serialises transactions on it.
 */
export function pgliteDriver(options: PGliteOptions, settings: Record<string, string> = {}) {
  let instance: Promise<PGlite> | null = null;
  const open = () => {
    instance ??= import('@electric-sql/pglite').then(({ PGlite }) =>
      PGlite.create({
        ...options,
        // PostgreSQL settings (-c name=value) on top of PGlite's own start parameters.
        startParams: [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      }),
    );
    return instance;
  };

  class PGlitePool extends EventEmitter {
    readonly totalCount = 1;
    readonly idleCount = 1;
    readonly waitingCount = 0;

    connect(callback: (err: unknown, client?: PGlitePool, release?: () => void) => void) {
      open().then(
        () => callback(null, this, () => undefined),
        (e) => callback(e),
      );
    }

    query(text: string, params?: unknown[] | Callback, callback?: Callback) {
      const cb = typeof params === 'function' ? params : callback;
      const values = Array.isArray(params) ? params : undefined;
      const run = open().then((db) =>
        values && values.length > 0
          ? db.query(text, values)
          : // Parameterless text may hold several statements (migrations); answer with the last result.
            db.exec(text).then((results) => results[results.length - 1] ?? { rows: [], fields: [] }),
      );
      return run.then(
        (r) => {
          const result = { ...r, rowCount: (r as { affectedRows?: number }).affectedRows ?? r.rows.length };
          cb?.(null, result);
          return result;
        },
        (e) => {
          cb?.(e);
          throw e;
        },
      );
    }

    release() {}

    end(callback?: (err?: unknown) => void) {
      const closing = instance ? instance.then((db) => db.close()) : Promise.resolve();
      instance = null;
      closing.then(
        () => callback?.(),
        (e) => callback?.(e),
      );
    }
  }

  return { Pool: PGlitePool };
}
