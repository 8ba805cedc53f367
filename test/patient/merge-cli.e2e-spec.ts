import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freshNhsNumber } from '../search/support/search-client';
import { immunization } from '../support/immunization-fixture';
import { freePort, ServerProcess, ServerWorkspace, SWC_REGISTER } from '../support/server-process';
import { testSupplier } from '../support/test-app';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/**
 * `npm run -s patient:merge -- --from … --to …` (here: the CLI's source through SWC, no build) does
 * what $merge does, against the same database the server uses. The server is stopped while the CLI
 * runs, which the embedded database requires (one process per DATA_DIR).
 */
describe('patient:merge CLI', () => {
  const workspace = new ServerWorkspace('imms-merge-cli');
  const supplier = testSupplier('ALL', ['*.CRUDS']);
  let env: Record<string, string>;
  let server: ServerProcess | null = null;

  beforeAll(async () => {
    env = {
      ...(await workspace.open([supplier])),
      NOTIFICATION_RELAY_ENABLED: 'false',
      PGLITE_TEMPLATE: process.env.PGLITE_TEMPLATE ?? '',
    };
  });
  afterAll(async () => {
    await server?.stop();
    await workspace.close();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['-r', SWC_REGISTER, join(ROOT, 'src/patient/merge-cli.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );

  it('moves the records like $merge does, and refuses what $merge refuses', async () => {
    const [from, to] = [freshNhsNumber(), freshNhsNumber()];
    const port = await freePort();
    server = new ServerProcess(port, env);
    await server.ready(180_000);
    let token = await server.token(supplier);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await server!.fhir(token, method, path, body);
      return { status: res.status, body: (await res.json()) as any };
    };
    const ids: string[] = [];
    for (const type of ['FLU', 'MMR'])
      ids.push((await call('POST', '/Immunization', immunization({ nhsNumber: from, vaccineType: type }))).body.id);
    await server.stop();

    const merged = await cli('--from', from, '--to', to);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(JSON.parse(merged.stdout)).toEqual({ from, to, current: to, moved: 2, recorded: true });
    const again = await cli('--from', from, '--to', to);
    expect(JSON.parse(again.stdout)).toMatchObject({ moved: 0, recorded: false });
    const refused = await cli('--from', to, '--to', to);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/must be different NHS numbers/);
    const usage = await cli('--from', from);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/usage: npm run -s patient:merge/);

    server = new ServerProcess(port, env);
    await server.ready(180_000);
    token = await server.token(supplier);
    const search = (nhs: string) =>
      call(
        'GET',
        `/Immunization?patient.identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhs}`)}&-immunization.target=FLU,MMR`,
      );
    expect((await search(to)).body.total).toBe(2);
    expect((await search(from)).body.total).toBe(0);
    for (const id of ids) expect((await call('GET', `/Immunization/${id}`)).body.meta.versionId).toBe('2');
    expect((await call('POST', '/Immunization', immunization({ nhsNumber: from }))).status).toBe(400);
  }, 300_000);
});
