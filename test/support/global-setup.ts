import { Client } from 'pg';

/** Fails fast, with one clear line, when the configured test PostgreSQL is unreachable. */
export default async function globalSetup() {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    process.stdout.write('\ne2e database: embedded PGlite (in memory)\n');
    return;
  }
  const c = new Client({ connectionString: url });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (e) {
    throw new Error(`e2e database ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable: ${(e as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
  process.stdout.write(`\ne2e database: PostgreSQL (${new URL(url).host}), a fresh database per app\n`);
}
