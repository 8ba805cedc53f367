import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, immunization } from '../support/immunization-fixture';
import { testSupplier } from '../support/test-app';
import { freePort, ServerProcess, writeSuppliersFile } from '../support/server-process';

/**
 * One process per embedded database (PGlite on DATA_DIR): a second start on the same directory is
 * refused before it opens anything, the first keeps serving, and after kill -9 of the holder the
 * next start takes the directory over and finds every acknowledged create.
 */
describe('DATA_DIR lock (embedded database)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imms-lock-'));
  const dataDir = join(dir, 'data');
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  let env: Record<string, string>;
  const servers: ServerProcess[] = [];
  const start = async (port?: number) => {
    const s = new ServerProcess(port ?? (await freePort()), env);
    servers.push(s);
    return s;
  };

  beforeAll(() => {
    env = { DATA_DIR: dataDir, DATABASE_URL: '', SUPPLIERS_FILE: writeSuppliersFile(dir, [supplier]), NOTIFICATION_POLL_MS: '50' };
  });
  afterAll(async () => {
    for (const s of servers) await s.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  async function create(s: ServerProcess, token: string): Promise<{ id: string; versionId: string }> {
    const res = await fetch(`${s.url}${BASE}/Immunization`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json', Prefer: 'return=representation' },
      body: JSON.stringify(immunization()),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; meta: { versionId: string } };
    return { id: body.id, versionId: body.meta.versionId };
  }

  it('refuses a second process at once with one line naming DATA_DIR and the holder; the holder keeps serving; kill -9 frees it; nothing acknowledged is lost', async () => {
    const first = await (await start()).ready();
    const token = await first.token(supplier);
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) acknowledged.push((await create(first, token)).id);

    // The second process: refused before it opens the database or starts a worker.
    const second = await start();
    const t0 = Date.now();
    expect(await second.exit).toBe(1);
    const refusedMs = Date.now() - t0;
    expect(second.stderr()).toBe(
      `start-up failed: DATA_DIR ${dataDir} is in use by process ${first.pid} (lock file ${join(dataDir, 'server.lock')}); ` +
        'one process per embedded database: stop that one first, or set DATA_DIR to another directory\n',
    );
    expect(second.stdout()).toBe(''); // no log line: nothing was opened or started
    // Refused well before a database could have opened (a PGlite open alone takes seconds here).
    expect(refusedMs).toBeLessThan(15_000);
    process.stdout.write(`DATA_DIR lock: second process refused ${refusedMs} ms after spawn (code loading included)\n`);

    // The holder is untouched and keeps accepting writes.
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
    for (let i = 0; i < 5; i++) acknowledged.push((await create(first, token)).id);

    // kill -9: the lock file stays behind, naming a dead process; the next start takes it over.
    await first.kill9();
    const lockFile = join(dataDir, 'server.lock');
    expect(existsSync(lockFile)).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(first.pid);

    const third = await (await start(first.port)).ready();
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(third.pid);
    const token3 = await third.token(supplier);
    for (const id of acknowledged) {
      const res = await fetch(`${third.url}${BASE}/Immunization/${id}`, { headers: { Authorization: `Bearer ${token3}` } });
      expect(res.status).toBe(200);
    }

    // A clean stop gives the directory back.
    await third.stop();
    expect(await third.exit).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  }, 240_000);
});
