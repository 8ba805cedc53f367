import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** PostgreSQL for the e2e suites when TEST_DATABASE_URL (or DATABASE_URL) is set; PGlite otherwise. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || '';
export const onPostgres = TEST_PG_URL !== '';

/** A fresh database on the test PostgreSQL server (TEST_PG_URL), named `<prefix>_<pid>_<random>`. */
export async function createDatabase(prefix = 'imms_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomUUID().slice(0, 8)}`;
  const admin = new Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
