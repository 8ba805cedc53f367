import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { DataDirLock } from './data-dir-lock';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrator';

/** `npm run migration:run`: applies pending migrations to the configured database and exits. */
async function main() {
  const config = loadConfig();
  if (!config.databaseUrl && config.dataDir !== 'memory://') DataDirLock.acquire(config.dataDir);
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  } finally {
    await ds.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof ConfigError ? 'configuration error: ' : ''}${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
