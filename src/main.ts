import 'reflect-metadata';
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { DataDirLock } from './database/data-dir-lock';
import { checkDatabaseAtStartup } from './database/startup-check';
import { JsonLogger } from './logging/json-logger';

async function main() {
  const started = process.hrtime.bigint();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  if (cluster.isWorker) {
    const { runWorker } = await import('./cluster');
    return runWorker(config, new JsonLogger(config.logLevel, { worker: cluster.worker!.id, pid: process.pid }));
  }
  // One process per embedded database: before anything opens it or starts a worker.
  if (!config.databaseUrl && config.dataDir !== 'memory://') DataDirLock.acquire(config.dataDir);
  const logger = new JsonLogger(config.logLevel);
  if (!config.databaseUrl && config.workers > 1) {
    logger.info('WORKERS set to 1: the embedded PGlite database lives in one process (set DATABASE_URL for more)', {
      requested: config.workers,
    });
  }
  const workers = config.databaseUrl ? config.workers : 1;
  // A wrong DATABASE_URL is one line now, not TypeORM's retries with stack traces later.
  await checkDatabaseAtStartup(config, (reason, attempt) => logger.warn('database not reachable yet, retrying', { attempt, reason }));
  if (workers > 1) {
    const { runPrimary } = await import('./cluster');
    return runPrimary(config, logger, workers, started);
  }
  const initdb = pgliteWillInitdb(config);
  // Loaded only now: refusing a locked DATA_DIR or a bad DATABASE_URL needs none of the app's code.
  const { createApp } = await import('./bootstrap');
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  if (initdb) await releaseInitdbMemory();
  logger.info('ready', {
    url: config.publicBaseUrl,
    database: config.databaseUrl ? 'postgresql' : 'pglite',
    workers: 1,
    startupMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
  });
}

/** True when this start creates a new embedded database (first start on DATA_DIR, or memory://). */
function pgliteWillInitdb(config: AppConfig): boolean {
  if (config.databaseUrl) return false;
  return config.dataDir === 'memory://' || !existsSync(join(config.dataDir, 'pglite', 'PG_VERSION'));
}

/**
 * PGlite creates a new database by running initdb in a second, throw-away WASM instance. That
 * garbage (~450 MiB of WASM memory) stays resident in an idle process until V8 happens to run a
 * full GC, which can be never; collect it once, now. Its finalisers need a few rounds.
 */
async function releaseInitdbMemory() {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let round = 0; round < 4; round++) {
    gc();
    await sleep(50);
  }
}

main().catch(async (e) => {
  const message = e instanceof Error ? e.message : String(e);
  if (cluster.isWorker && process.connected) {
    const { reportWorkerStartFailure } = await import('./cluster');
    return reportWorkerStartFailure(message.split('\n')[0]);
  }
  process.stderr.write(`${e instanceof ConfigError ? 'configuration error: ' : 'start-up failed: '}${message.split('\n')[0]}\n`);
  process.exit(1);
});
