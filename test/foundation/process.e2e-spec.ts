import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import { freePort, logLines, Run, run, waitFor as waitForRun } from '../support/server-process';
import { onPostgres } from '../support/test-app';
import { createDatabase } from '../support/test-database';

/**
 * The real process, as `npm start` runs it (src/main.ts, compiled per file by swc instead of tsc so
 * no build is needed): configuration errors, start-up on PGlite or PostgreSQL, the token CLI,
 * restart on existing data, and SIGTERM.
 */
const SLOW = 120_000;

const waitFor = <T>(what: string, probe: () => T | undefined, r: Run, ms = 100_000) => waitForRun(what, probe, r, ms);

const ready = (r: Run) => waitFor('ready', () => logLines(r.stdout()).find((l) => l.msg === 'ready'), r);

describe('the server process', () => {
  it(
    'refuses a bad setting with one line naming the variable and a non-zero exit',
    async () => {
      const r = run('src/main.ts', [], { PORT: 'abc', DATA_DIR: 'memory://' });
      expect(await r.exit).toBe(1);
      expect(r.stderr()).toBe('configuration error: PORT must be an integer from 0 to 65535 (got "abc")\n');
      expect(r.stdout()).toBe('');
    },
    SLOW,
  );

  it(
    'refuses an unknown database scheme the same way',
    async () => {
      const r = run('src/main.ts', [], { DATABASE_URL: 'mysql://x', DATA_DIR: 'memory://' });
      expect(await r.exit).toBe(1);
      expect(r.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^configuration error: DATABASE_URL /)]);
    },
    SLOW,
  );

  describe(`start, token CLI, restart, SIGTERM (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
    let dataDir: string;
    let vars: Record<string, string>;
    let dropDb: (() => Promise<void>) | null = null;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'imms-process-'));
      const port = await freePort();
      vars = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
      if (onPostgres) {
        const db = await createDatabase('imms_process');
        vars.DATABASE_URL = db.url;
        dropDb = db.drop;
      }
    });
    afterAll(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropDb?.();
    });

    const base = () => `http://127.0.0.1:${vars.PORT}`;
    let firstKid: string;

    it(
      'starts on an empty database: migrates, reports ready, serves, and exits 0 on SIGTERM',
      async () => {
        const r = run('src/main.ts', [], vars);
        try {
          const line = await ready(r);
          expect(line).toMatchObject({
            level: 'info',
            database: onPostgres ? 'postgresql' : 'pglite',
            url: `http://localhost:${vars.PORT}`,
          });
          expect(line.startupMs).toEqual(expect.any(Number));
          expect(line.rssMiB).toEqual(expect.any(Number));
          expect(logLines(r.stdout()).some((l) => l.msg === 'migrations applied')).toBe(true);

          const health = await fetch(`${base()}/health/ready`);
          expect(health.status).toBe(200);
          const jwks = (await (await fetch(`${base()}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
          firstKid = jwks.keys[0].kid as string;

          // `npm run -s token -- --supplier EMIS`: same key and issuer as the running server.
          const cli = run('src/auth/token-cli.ts', ['--supplier', 'EMIS'], vars);
          expect(await cli.exit).toBe(0);
          const token = cli.stdout().trim();
          expect(token.split('.')).toHaveLength(3);
          const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: `http://localhost:${vars.PORT}` });
          expect(payload).toMatchObject({ client_id: 'emis-app', aud: `http://localhost:${vars.PORT}` });
          expect((payload.exp as number) - (payload.iat as number)).toBe(599);

          const cliBad = run('src/auth/token-cli.ts', ['--supplier', 'NOBODY'], vars);
          expect(await cliBad.exit).toBe(1);
          expect(cliBad.stderr()).toMatch(/no supplier named NOBODY/);

          // --ttl: a shorter-lived token; the server refuses its own tokens that outlive ACCESS_TOKEN_TTL_SECONDS.
          const cliTtl = run('src/auth/token-cli.ts', ['--supplier', 'EMIS', '--ttl', '120'], vars);
          expect(await cliTtl.exit).toBe(0);
          const short = cliTtl.stdout().trim();
          const verified = await jwtVerify(short, createLocalJWKSet(jwks), { issuer: `http://localhost:${vars.PORT}` });
          expect((verified.payload.exp as number) - (verified.payload.iat as number)).toBe(120);
          const withShort = await fetch(`${base()}/immunisation-fhir-api/FHIR/R4/Immunization/${randomUUID()}`, {
            headers: { Authorization: `Bearer ${short}` },
          });
          expect(withShort.status).toBe(404);
          for (const bad of ['5', '3600']) {
            const cliTtlBad = run('src/auth/token-cli.ts', ['--supplier', 'EMIS', '--ttl', bad], vars);
            expect(await cliTtlBad.exit).toBe(1);
            expect(cliTtlBad.stderr()).toMatch(/--ttl must be a whole number of seconds from 60 to 599 \(ACCESS_TOKEN_TTL_SECONDS/);
          }
        } finally {
          r.child.kill('SIGTERM');
        }
        expect(await r.exit).toBe(0);
        expect(r.stderr()).toBe('');
        expect(logLines(r.stdout()).filter((l) => l.level === 'error')).toEqual([]);
      },
      SLOW,
    );

    it(
      'restarts on the existing data: nothing to migrate, the same signing key, and exits 0 on SIGTERM',
      async () => {
        expect(firstKid).toBeDefined();
        const r = run('src/main.ts', [], vars);
        try {
          await ready(r);
          expect(logLines(r.stdout()).some((l) => l.msg === 'migrations applied')).toBe(false);
          const jwks = (await (await fetch(`${base()}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
          expect(jwks.keys[0].kid).toBe(firstKid);
          expect((await fetch(`${base()}/health/ready`)).status).toBe(200);
        } finally {
          r.child.kill('SIGTERM');
        }
        expect(await r.exit).toBe(0);
        expect(r.stderr()).toBe('');
      },
      SLOW,
    );
  });
});
