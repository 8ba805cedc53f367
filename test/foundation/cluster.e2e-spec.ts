import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { PROJECT_ROOT } from '../../src/config/app-config';
import { freePort, logLines, Run, run, waitFor as waitForRun } from '../support/server-process';
import { onPostgres, TEST_PG_URL } from '../support/test-app';

/**
 * WORKERS (src/cluster.ts), on the real process as `npm start` runs it (compiled per file by swc):
 * on PostgreSQL two workers share the port, both serve, a supplier's rate limit is the configured
 * total across them, a killed worker is replaced and SIGTERM stops everything with exit 0; on the
 * embedded PGlite the setting is forced to one process, with a log line saying why.
 */
const SLOW = 180_000;
const FHIR = '/immunisation-fhir-api/FHIR/R4';

const waitFor = <T>(what: string, probe: () => T | undefined, r: Run, ms = 150_000) => waitForRun(what, probe, r, ms);

/** One request on a connection of its own, so the cluster's round-robin hands each to the next worker. */
const get = (url: string, token: string) => fetch(url, { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } });

/**
 * n reads one after the other: the primary hands a connection to the worker that has waited longest
 * for one, so sequential connections alternate between workers (a concurrent burst may not).
 */
async function reads(n: number, token: string, base: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await get(`${base}${FHIR}/Immunization/${randomUUID()}`, token)).status);
  return statuses;
}

/** The example suppliers plus LIMITED: one request per 20 s (a burst of one), so a burst sees exactly one allowed. */
function suppliersFile(dir: string): string {
  const file = join(dir, 'suppliers.json');
  const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'config', 'suppliers.json'), 'utf8')) as {
    suppliers: { name: string; clients: unknown[] }[];
  };
  const emis = example.suppliers.find((s) => s.name === 'EMIS')!;
  example.suppliers.push({
    ...emis,
    name: 'LIMITED',
    clients: [{ ...(emis.clients[0] as object), clientId: 'limited-app' }],
    rateLimitPerSecond: 0.05,
  } as (typeof example.suppliers)[number]);
  writeFileSync(file, JSON.stringify(example));
  return file;
}

async function token(vars: Record<string, string>, supplier: string): Promise<string> {
  const cli = run('src/auth/token-cli.ts', ['--supplier', supplier], vars);
  expect(await cli.exit).toBe(0);
  return cli.stdout().trim();
}

describe('WORKERS', () => {
  let dir: string;
  let vars: Record<string, string>;
  const dropDbs: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imms-cluster-'));
    vars = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'info',
      WORKERS: '2',
      SUPPLIERS_FILE: suppliersFile(dir),
      NOTIFICATION_RELAY_ENABLED: 'false',
    };
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const drop of dropDbs) await drop();
  });

  const base = () => `http://127.0.0.1:${vars.PORT}`;

  if (onPostgres) {
    it(
      'on PostgreSQL: two workers serve, share the rate limit, a killed one is replaced, SIGTERM exits 0',
      async () => {
        const name = `imms_cluster_${randomUUID().slice(0, 8)}`;
        const admin = new Client({ connectionString: TEST_PG_URL });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${name}`);
        await admin.end();
        dropDbs.push(async () => {
          const c = new Client({ connectionString: TEST_PG_URL });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        });
        const url = new URL(TEST_PG_URL);
        url.pathname = `/${name}`;
        const pgVars = { ...vars, DATABASE_URL: url.toString() };

        const r = run('src/main.ts', [], pgVars);
        try {
          const ready = await waitFor('ready', () => logLines(r.stdout()).find((l) => l.msg === 'ready'), r);
          expect(ready).toMatchObject({ database: 'postgresql', workers: 2 });
          const lines = () => logLines(r.stdout());
          // Migrated once, by the primary, before the workers started.
          expect(lines().filter((l) => l.msg === 'migrations applied')).toHaveLength(1);
          const workerPids = lines()
            .filter((l) => l.msg === 'worker listening')
            .map((l) => l.pid as number);
          expect(new Set(workerPids).size).toBe(2);
          expect(workerPids).not.toContain(r.child.pid);

          // Both workers answer, and accept the same token (one signing key for all).
          const emis = await token(pgVars, 'EMIS');
          expect(await reads(10, emis, base())).toEqual(Array(10).fill(404));
          const servedBy = () =>
            new Set(
              lines()
                .filter((l) => l.msg === 'request' && l.status === 404)
                .map((l) => l.pid),
            );
          expect([...servedBy()].sort()).toEqual([...workerPids].sort());

          // LIMITED may make one request per 20 s: of 12 spread over both workers, exactly one passes
          // (with a bucket per worker, each worker would let one through).
          const limited = await token(pgVars, 'LIMITED');
          expect(await reads(12, limited, base())).toEqual([404, ...Array(11).fill(429)]);
          const throttledBy = new Set(
            lines()
              .filter((l) => l.msg === 'request' && l.status === 429)
              .map((l) => l.pid),
          );
          expect(throttledBy.size).toBe(2);

          // A worker killed outright is replaced, and the replacement serves.
          process.kill(workerPids[0], 'SIGKILL');
          await waitFor(
            'the replacement',
            () => lines().find((l) => l.msg === 'worker listening' && !workerPids.includes(l.pid as number)),
            r,
          );
          expect(lines().find((l) => l.msg === 'worker exited; replacing it')).toMatchObject({ pid: workerPids[0], signal: 'SIGKILL' });
          const replacement = lines().find((l) => l.msg === 'worker listening' && !workerPids.includes(l.pid as number))!.pid;
          expect(await reads(10, emis, base())).toEqual(Array(10).fill(404));
          expect(servedBy().has(replacement)).toBe(true);
        } finally {
          r.child.kill('SIGTERM');
        }
        expect(await r.exit).toBe(0);
        expect(r.stderr()).toBe('');
        expect(logLines(r.stdout()).filter((l) => l.msg === 'stopped')).toEqual([expect.objectContaining({ exitCode: 0 })]);
      },
      SLOW,
    );
  }

  it(
    'on the embedded PGlite: one process, and a line saying why',
    async () => {
      const r = run('src/main.ts', [], vars);
      try {
        const ready = await waitFor('ready', () => logLines(r.stdout()).find((l) => l.msg === 'ready'), r);
        expect(ready).toMatchObject({ database: 'pglite', workers: 1 });
        expect(logLines(r.stdout()).find((l) => /^WORKERS set to 1/.test(String(l.msg)))).toMatchObject({ requested: 2 });
        expect(logLines(r.stdout()).filter((l) => l.msg === 'worker listening')).toEqual([]);
        const emis = await token(vars, 'EMIS');
        expect((await get(`${base()}${FHIR}/Immunization/${randomUUID()}`, emis)).status).toBe(404);
        expect(new Set(logLines(r.stdout()).map((l) => l.pid))).toEqual(new Set([undefined]));
      } finally {
        r.child.kill('SIGTERM');
      }
      expect(await r.exit).toBe(0);
      expect(r.stderr()).toBe('');
    },
    SLOW,
  );
});
