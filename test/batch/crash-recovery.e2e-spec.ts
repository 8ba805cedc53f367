import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { fileName, fileOf, fluRow } from '../fixtures/batch/flat-rows';
import { BASE } from '../support/immunization-fixture';
import { freePort, ServerProcess, ServerWorkspace } from '../support/server-process';
import { onPostgres, testSupplier } from '../support/test-app';
import { BATCH } from './support/batch-client';

const ROWS = 20_000;
/** Every UPDATE_EVERY-th row updates the row just before it (so a row applied twice shows as version 3). */
const UPDATE_EVERY = 20;

/**
 * kill -9 of the server in the middle of a 20,000-row file, then a restart on the same database:
 * the file resumes at the first row not applied, and every row is applied exactly once. A NEW row
 * applied twice would fail as a duplicate and an UPDATE applied twice would leave version 3; a
 * skipped row would leave the counts short. The server is a real child process on PostgreSQL
 * (TEST_DATABASE_URL) or on a PGlite data directory on disk.
 */
describe('batch crash recovery', () => {
  const workspace = new ServerWorkspace('imms-batch-crash');
  const supplier = testSupplier('EMIS', ['*.CRUDS'], { odsCodes: ['YGM41'] });
  let server: ServerProcess | null = null;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    env = {
      ...(await workspace.open([supplier])),
      NOTIFICATION_RELAY_ENABLED: 'false',
      BATCH_POLL_MS: '100',
      BATCH_LEASE_MS: '3000',
      BATCH_CHUNK_ROWS: '200',
      MAX_BODY_BYTES: '1048576',
      // The file can take many minutes on a loaded machine: a token must outlive it.
      ACCESS_TOKEN_TTL_SECONDS: '86400',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await workspace.close();
  });

  it(`a server killed with SIGKILL mid-file resumes after a restart: all ${ROWS} rows applied exactly once (${onPostgres ? 'PostgreSQL' : 'PGlite on disk'})`, async () => {
    server = new ServerProcess(port, env);
    await server.ready(300_000); // PGlite on disk starts slowly on a loaded machine
    let token = await server.token(supplier);
    const status = async (name: string) => {
      const res = await fetch(`${server!.url}${BATCH}/files/${name}`, { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`status: ${res.status} ${await res.text()}`);
      return (await res.json()) as any;
    };

    const run = randomUUID().slice(0, 8);
    const rows = Array.from({ length: ROWS }, (_, i) =>
      i % UPDATE_EVERY === UPDATE_EVERY - 1
        ? fluRow(`${run}-${i - 1}`, { ACTION_FLAG: 'UPDATE', BATCH_NUMBER: `U${i}` })
        : fluRow(`${run}-${i}`),
    );
    const name = fileName('FLU', 'YGM41');
    const put = await fetch(`${server.url}${BATCH}/files/${name}`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' },
      body: fileOf(rows), // ~12 MB: far above MAX_BODY_BYTES, the upload route streams it
    });
    expect(put.status).toBe(202);

    // Kill it part-way through.
    const until = Date.now() + 300_000;
    let before: any;
    for (;;) {
      before = await status(name);
      if (before.rows.succeeded >= 1000) break;
      if (Date.now() > until) throw new Error(`no progress: ${JSON.stringify(before)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await server.kill9();
    expect(before.rows.succeeded).toBeLessThan(ROWS);

    server = new ServerProcess(port, env);
    await server.ready(300_000); // PGlite on disk starts slowly on a loaded machine
    token = await server.token(supplier);
    let after: any;
    const until2 = Date.now() + 1_500_000;
    for (;;) {
      after = await status(name);
      if (after.status === 'processed') break;
      if (Date.now() > until2) throw new Error(`not finished: ${JSON.stringify(after)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(after.rows).toEqual({ total: ROWS, succeeded: ROWS, failed: 0 });
    const bus = await fetch(`${server.url}${BATCH}/files/${name}/bus-ack`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await bus.text()).trim().split('\n')).toHaveLength(1);

    // Updated records are at version 2 exactly (one sample per chunk and around the kill).
    for (let i = UPDATE_EVERY - 1; i < ROWS; i += UPDATE_EVERY * 10) {
      const q = encodeURIComponent(`https://batch.example.org/ids|${run}-${i - 1}`);
      const res = await fetch(`${server.url}${BASE}/Immunization?identifier=${q}`, { headers: { Authorization: `Bearer ${token}` } });
      const entry = ((await res.json()) as any).entry.find((e: any) => e.resource.resourceType === 'Immunization');
      expect([i, entry.resource.meta.versionId]).toEqual([i, '2']);
    }
    if (onPostgres) {
      const c = new Client({ connectionString: workspace.databaseUrl });
      await c.connect();
      const { rows: counts } = await c.query(
        `SELECT count(*)::int AS events, count(DISTINCT immunization_id)::int AS records FROM immunization_event`,
      );
      await c.end();
      expect(counts[0]).toEqual({ events: ROWS, records: ROWS - ROWS / UPDATE_EVERY });
    }
  }, 2_400_000);
});
