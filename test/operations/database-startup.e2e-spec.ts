import { createServer, Server as NetServer } from 'node:net';
import { freePort, ServerProcess } from '../support/server-process';
import { ThrowawayPostgres } from './support/throwaway-postgres';

/**
 * Start-up against a bad DATABASE_URL, on a PostgreSQL cluster of the test's own: one line naming
 * DATABASE_URL (password masked), at once when retrying cannot help, after the bounded retry
 * (DATABASE_STARTUP_RETRY_SECONDS) when it can; always the `start-up failed:` line, exit 1, and
 * never a stack trace.
 */
describe('start-up against a bad database', () => {
  const pg = new ThrowawayPostgres();
  const sockets: NetServer[] = [];

  beforeAll(async () => {
    await pg.init();
  }, 120_000);
  afterAll(() => {
    for (const s of sockets) s.close();
    pg.destroy();
  });

  async function refused(databaseUrl: string, extra: Record<string, string> = {}) {
    const s = new ServerProcess(await freePort(), {
      DATA_DIR: 'memory://',
      DATABASE_URL: databaseUrl,
      DATABASE_STARTUP_RETRY_SECONDS: '2',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      ...extra,
    });
    const code = await s.exit;
    const ms = Date.now() - s.startedAt;
    const lines = s.stderr().trim().split('\n');
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^start-up failed: cannot use DATABASE_URL /);
    expect(s.stdout() + s.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect(s.stdout()).not.toMatch(/"level":"error"/);
    return { line: lines[0], ms, stdout: s.stdout() };
  }

  it('a missing database: at once, not retried (3D000)', async () => {
    const { line, stdout } = await refused(pg.url({ database: 'no_such_db' }));
    expect(line).toBe(
      `start-up failed: cannot use DATABASE_URL ${pg.url({ database: 'no_such_db' })}: database "no_such_db" does not exist ` +
        '(SQLSTATE 3D000: the database does not exist); not retried: retrying cannot help',
    );
    expect(stdout).toBe(''); // not a single retry
  }, 60_000);

  it('an unknown role: at once, not retried (28000)', async () => {
    const { line, stdout } = await refused(pg.url({ user: 'nobody_here' }));
    expect(line).toMatch(/: role "nobody_here" does not exist \(SQLSTATE 28000: .*\); not retried: retrying cannot help$/);
    expect(stdout).toBe('');
  }, 60_000);

  it('a wrong password: at once, not retried (28P01), the password masked', async () => {
    const url = pg.url({ user: ThrowawayPostgres.PASSWORD_ROLE, password: 'not-the-password' });
    const { line, stdout } = await refused(url);
    expect(line).toContain(`DATABASE_URL postgres://${ThrowawayPostgres.PASSWORD_ROLE}:***@127.0.0.1:${pg.port}/postgres: `);
    expect(line).toMatch(/password authentication failed .*\(SQLSTATE 28P01: the password is wrong\); not retried/);
    expect(line).not.toContain('not-the-password');
    expect(stdout).toBe('');
  }, 60_000);

  it('the right password works (the role is real)', async () => {
    // Prove the password role can connect, through the same check the server runs.
    const { checkDatabaseAtStartup } = await import('../../src/database/startup-check');
    await checkDatabaseAtStartup({
      databaseUrl: pg.url({ user: ThrowawayPostgres.PASSWORD_ROLE, password: ThrowawayPostgres.PASSWORD }),
      databaseConnectTimeoutMs: 2000,
      databaseStartupRetrySeconds: 0,
    });
  }, 60_000);

  it('nothing listens on the port (unreachable, wrong port): retried with backoff, then one line after the bounded retry', async () => {
    const closed = await freePort();
    const { line, stdout } = await refused(pg.url({ port: closed }));
    expect(line).toMatch(
      new RegExp(
        `^start-up failed: cannot use DATABASE_URL postgres://postgres@127\\.0\\.0\\.1:${closed}/postgres: connection refused: nothing listens on that host and port \\(ECONNREFUSED\\); gave up after [12]\\.\\d s and \\d+ attempts \\(DATABASE_STARTUP_RETRY_SECONDS=2\\)$`,
      ),
    );
    // The retries are warnings without stacks.
    const retries = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const r of retries) expect(r).toMatchObject({ level: 'warn', msg: 'database not reachable yet, retrying' });
  }, 60_000);

  it('a port that accepts but never answers (a frozen server): each attempt times out, then one line', async () => {
    const silent = createServer(() => undefined);
    sockets.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const { line } = await refused(pg.url({ port }));
    expect(line).toMatch(/timeout.*; gave up after \d+\.\d s and \d+ attempts? \(DATABASE_STARTUP_RETRY_SECONDS=2\)$/i);
  }, 60_000);

  it('a port where something else answers (not PostgreSQL): one line', async () => {
    const http = createServer((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    sockets.push(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as { port: number }).port;
    await refused(pg.url({ port }));
  }, 60_000);
});
