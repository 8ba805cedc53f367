import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { pgliteDriver } from './pglite-driver';

/**
 * shared_buffers lives inside PGlite's WASM heap and is touched at start: PostgreSQL's default of
 * 128MB kept an idle process at ~360 MiB RSS, 32MB at ~245 MiB. The embedded database is for zero-setup
 * and small data; reads beyond the buffers come from the OS page cache.
 */
const PGLITE_SETTINGS = { shared_buffers: '32MB' };

/**
 * PostgreSQL when DATABASE_URL is set; otherwise embedded PGlite (real PostgreSQL compiled to WASM)
 * stored under DATA_DIR, so a first start needs no server. Same migrations, same SQL on both.
 * `dataDir: 'memory://'` keeps PGlite in memory (tests).
 */
type DataSourceConfig = Pick<AppConfig, 'databaseUrl' | 'databasePoolSize' | 'dataDir' | 'pgliteTemplate'> &
  Partial<Pick<AppConfig, 'databaseConnectTimeoutMs' | 'databaseStatementTimeoutMs' | 'databaseLockTimeoutMs'>>;

/**
 * node-postgres settings that bound every wait on the database, so an outage turns into a prompt
 * error (503) instead of a hang. statement_timeout and lock_timeout travel in the connection's
 * start-up packet: they apply to every statement without a round trip of their own. query_timeout is
 * the client's own limit, for a server that accepts nothing at all (frozen, network gone), a second
 * after the server's would have fired. TCP keepalive notices a peer that vanished while idle.
 */
export function connectionLimits(
  config: Partial<Pick<AppConfig, 'databaseConnectTimeoutMs' | 'databaseStatementTimeoutMs' | 'databaseLockTimeoutMs'>>,
) {
  const statement = config.databaseStatementTimeoutMs ?? 5000;
  return {
    connectionTimeoutMillis: config.databaseConnectTimeoutMs ?? 2000,
    ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + 1000 } : {}),
    ...((config.databaseLockTimeoutMs ?? 2000) > 0 ? { lock_timeout: config.databaseLockTimeoutMs ?? 2000 } : {}),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function dataSourceOptions(config: DataSourceConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
  };
  if (config.databaseUrl) {
    return {
      ...common,
      url: config.databaseUrl,
      extra: { max: config.databasePoolSize, application_name: 'immunisation-fhir-api', ...connectionLimits(config) },
    };
  }
  let dataDir: string | undefined;
  if (config.dataDir !== 'memory://') {
    dataDir = `${config.dataDir}/pglite`;
    mkdirSync(dataDir, { recursive: true });
  }
  // A new database can start from a template dump rather than run initdb (~5 s); an existing one never does.
  const fresh = dataDir === undefined || !existsSync(`${dataDir}/PG_VERSION`);
  const template = config.pgliteTemplate && fresh ? { loadDataDir: new Blob([readFileSync(config.pgliteTemplate)]) } : {};
  return { ...common, driver: pgliteDriver({ ...(dataDir ? { dataDir } : {}), ...template }, PGLITE_SETTINGS) } as DataSourceOptions;
}
