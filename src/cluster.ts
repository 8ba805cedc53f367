import cluster, { type Worker } from 'node:cluster';
import { DataSource } from 'typeorm';
import { answerRateLimits } from './auth/cluster-rate-limiter';
import { RateLimiter } from './auth/rate-limiter';
import { ServerKeys } from './auth/server-keys';
import type { AppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { runMigrations } from './database/migrator';
import type { JsonLogger } from './logging/json-logger';

/**
 * WORKERS > 1: node:cluster worker processes sharing the port (the primary accepts connections and
 * hands them out round-robin). The primary serves no requests. It migrates once before forking,
 * reads or creates the signing key once and hands it to every worker (with DATA_DIR=memory:// each
 * worker would otherwise make its own, and refuse the others' tokens), holds the rate-limit buckets
 * all workers share, replaces a worker that dies (with backoff), and on SIGTERM/SIGINT stops the
 * workers (each drains its requests) and exits 0. The relay, batch queue and drop folder are
 * already safe with several instances (leases, FOR UPDATE SKIP LOCKED, atomic rename).
 */

const KEY = 'imms:signing-key';
const FAILED = 'imms:start-up-failed';
/** Replacement delays: 0.5 s, doubling to 30 s; back to 0.5 s once a replacement has run 30 s. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
const STABLE_MS = 30_000;

type Message = { kind?: unknown; pem?: unknown; message?: unknown } | null;

export async function runPrimary(config: AppConfig, logger: JsonLogger, count: number, started: bigint): Promise<void> {
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    if (applied.length > 0) logger.info('migrations applied', { migrations: applied });
  } finally {
    await ds.destroy();
  }
  const pem = ServerKeys.privateKeyPem(config);
  const buckets = new RateLimiter();
  const alive = new Set<Worker>();
  const listening = new Set<Worker>();
  const restarts = new Set<NodeJS.Timeout>();
  let ready = false;
  let stopping = false;
  let failures = 0;
  let exitCode = 0;
  let startFailure: string | null = null;

  const finishIfDone = () => {
    if (stopping && alive.size === 0) {
      if (startFailure) process.stderr.write(`start-up failed: ${startFailure}\n`);
      else logger.info('stopped', { exitCode });
      process.exit(exitCode);
    }
  };
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    for (const t of restarts) clearTimeout(t);
    if (ready) logger.info('stopping workers', { reason, workers: alive.size });
    for (const w of alive) w.process.kill('SIGTERM');
    finishIfDone();
  };

  const fork = () => {
    const worker = cluster.fork();
    alive.add(worker);
    answerRateLimits(worker, buckets);
    worker.on('message', (m: Message) => {
      if (m?.kind === KEY) worker.send({ kind: KEY, pem });
      else if (m?.kind === FAILED && typeof m.message === 'string') startFailure ??= m.message;
    });
    worker.on('listening', () => {
      logger.info('worker listening', { worker: worker.id, pid: worker.process.pid });
      listening.add(worker);
      if (!ready && listening.size === count) {
        ready = true;
        logger.info('ready', {
          url: config.publicBaseUrl,
          database: 'postgresql',
          workers: count,
          startupMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
          rssMiB: Math.round(process.memoryUsage().rss / 1048576),
        });
      }
      if (ready) setTimeout(() => alive.has(worker) && (failures = 0), STABLE_MS).unref();
    });
    worker.on('exit', (code, signal) => {
      alive.delete(worker);
      listening.delete(worker);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        return finishIfDone();
      }
      if (!ready) {
        // A worker that cannot start (port taken, database gone) will not start on a retry either.
        exitCode = 1;
        startFailure ??= `worker ${worker.id} exited with ${signal ?? `code ${code}`} before listening`;
        return stop('a worker failed to start');
      }
      const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** failures++);
      logger.error('worker exited; replacing it', { worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay });
      const t = setTimeout(() => {
        restarts.delete(t);
        fork();
      }, delay);
      restarts.add(t);
    });
  };

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < count; i++) fork();
}

/**
 * Worker side: the primary's signing key, then the app as in a single process, but it stops only on
 * SIGTERM from the primary (a terminal's Ctrl-C reaches the whole process group; the primary
 * decides), and stops by itself if the primary has gone.
 */
export async function runWorker(config: AppConfig, logger: JsonLogger): Promise<void> {
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => !stopping && process.kill(process.pid, 'SIGTERM'));
  const pem = await new Promise<string>((resolve) => {
    const onKey = (m: Message) => {
      if (m?.kind !== KEY || typeof m.pem !== 'string') return;
      process.off('message', onKey);
      resolve(m.pem);
    };
    process.on('message', onKey);
    process.send!({ kind: KEY });
  });
  ServerKeys.usePrivateKeyPem(pem);
  const { createApp } = await import('./bootstrap');
  const app = await createApp(config, logger, ['SIGTERM']);
  await app.listen(config.port, config.host);
}

/** A worker that cannot start tells the primary (which prints the one line), then exits 1. */
export function reportWorkerStartFailure(message: string) {
  process.send!({ kind: FAILED, message }, () => process.exit(1));
}
