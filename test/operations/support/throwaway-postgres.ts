import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/server-process';

/** The PostgreSQL server binaries: pg_config's, else the newest under /usr/lib/postgresql. */
function binDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) return `/usr/lib/postgresql/${v}/bin`;
  throw new Error('no PostgreSQL server binaries (initdb) found');
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp dir, a free port on 127.0.0.1), which
 * the test may stop, start and freeze; never the shared one. initdb refuses to run as root, so as
 * root the cluster belongs to the `postgres` OS user. Roles: postgres (trust) and imms_pw with a
 * password (scram-sha-256), for the wrong-password case.
 */
export class ThrowawayPostgres {
  static readonly PASSWORD_ROLE = 'imms_pw';
  static readonly PASSWORD = 'right-horse-battery';
  readonly dir: string;
  private readonly bin = binDir();
  private readonly asRoot = userInfo().uid === 0;
  port = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'imms-pg-'));
  }

  private get data() {
    return join(this.dir, 'data');
  }

  private run(tool: string, args: string[]) {
    const cmd = join(this.bin, tool);
    if (this.asRoot) return execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', stdio: 'pipe' });
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });
  }

  url(opts: { user?: string; password?: string; database?: string; port?: number } = {}) {
    const auth = opts.password ? `${opts.user}:${opts.password}` : (opts.user ?? 'postgres');
    return `postgres://${auth}@127.0.0.1:${opts.port ?? this.port}/${opts.database ?? 'postgres'}`;
  }

  async init(): Promise<this> {
    if (this.asRoot) {
      const pw = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
      const gr = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
      chownSync(this.dir, Number(pw), Number(gr));
    }
    chmodSync(this.dir, 0o700);
    this.run('initdb', ['-D', this.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    writeFileSync(
      join(this.data, 'pg_hba.conf'),
      [
        'local all all trust',
        `host all ${ThrowawayPostgres.PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256`,
        'host all all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    this.port = await freePort();
    this.start();
    this.psql(`CREATE ROLE ${ThrowawayPostgres.PASSWORD_ROLE} LOGIN PASSWORD '${ThrowawayPostgres.PASSWORD}'`);
    return this;
  }

  start() {
    this.run('pg_ctl', [
      '-D',
      this.data,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`,
      'start',
    ]);
  }

  stop(mode: 'fast' | 'immediate' = 'fast') {
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  psql(sql: string, database = 'postgres') {
    return this.run('psql', [
      '-h',
      this.dir,
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-Atc',
      sql,
    ]);
  }

  /** The postmaster and all its backends. */
  private pids(): number[] {
    const postmaster = Number(readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
    return [postmaster, ...children];
  }

  /** kill -STOP: the server accepts TCP connections (kernel backlog) but answers nothing. */
  freeze() {
    for (const pid of this.pids()) process.kill(pid, 'SIGSTOP');
  }

  thaw() {
    for (const pid of this.pids()) process.kill(pid, 'SIGCONT');
  }

  destroy() {
    try {
      this.thaw();
    } catch {
      // not running
    }
    try {
      this.stop('immediate');
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
