import { DataSource } from 'typeorm';

/** Arbitrary but fixed: the advisory lock that makes concurrent starts migrate one at a time. */
const MIGRATION_LOCK = 7_341_002;

/** Applies pending migrations, one instance at a time; returns the names applied. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    // Waiting for another instance's migrations is expected: no lock or statement timeout on this
    // session (DATABASE_LOCK_TIMEOUT_MS would otherwise fail a second instance that starts meanwhile).
    await runner.query('SET lock_timeout = 0');
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}
