import { DataSource } from 'typeorm';

/** Arbitrary but fixed: the advisory lock that makes concurrent starts migrate one at a time. */
const MIGRATION_LOCK = 7_341_002;

/** Applies pending migrations, one instance at a time; returns the names applied. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
