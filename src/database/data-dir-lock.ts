import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * One process per embedded database. PGlite has no lock of its own: two processes on one DATA_DIR
 * each open the files, each accept writes the other cannot see, and one overwrites the other.
 *
 * The lock is a file, DATA_DIR/server.lock, created with O_EXCL and holding the holder's pid, the
 * holder's start time (from /proc, on Linux) and host name. A crash (kill -9, power loss) leaves the
 * file behind; the next start finds it stale, because the pid no longer runs or now belongs to a
 * process that started at another time (pid reuse, e.g. pid 1 in a restarted container), and takes it
 * over. Node has no flock()/fcntl() without a native add-on; a pid file needs nothing and says who
 * holds the directory, which an operator needs anyway.
 *
 * A lock written on another host (DATA_DIR on a network file system) cannot be checked from here and
 * is treated as held: the operator removes the file once they know that process is gone.
 */
export const LOCK_FILE = 'server.lock';

interface Holder {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
  startTicks: number | null;
  bootId: string | null;
  since: string;
}

/** DATA_DIR is held by another live process. The message is the one line main.ts prints. */
export class DataDirLockedError extends Error {}

function readQuiet(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function startTicks(pid: number): number | null {
  const stat = readQuiet(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (comm) is in parentheses and may contain spaces; count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : null;
}

const bootId = () => readQuiet('/proc/sys/kernel/random/boot_id')?.trim() ?? null;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process recorded in the lock file still runs (on this host). */
function holderRuns(h: Holder): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return false;
  if (h.bootId && bootId() && h.bootId !== bootId()) return false;
  if (!alive(h.pid)) return false;
  const now = startTicks(h.pid);
  return h.startTicks === null || now === null || now === h.startTicks;
}

function parse(text: string | null): Holder | null {
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : null;
  } catch {
    return null;
  }
}

export class DataDirLock {
  private released = false;

  private constructor(
    readonly dataDir: string,
    readonly file: string,
  ) {}

  /**
   * Takes DATA_DIR for this process or throws DataDirLockedError naming the holder. Call before
   * anything opens the database, reads or writes the signing key, or starts a worker.
   */
  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, LOCK_FILE);
    const me: Holder = {
      pid: process.pid,
      host: hostname(),
      startTicks: startTicks(process.pid),
      bootId: bootId(),
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, JSON.stringify(me) + '\n');
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        const lock = new DataDirLock(dataDir, file);
        process.once('exit', () => lock.release());
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const text = readQuiet(file);
      const holder = parse(text);
      if (holder === null && text !== null && text.length === 0 && Date.now() - mtimeMs(file) < 5_000) {
        // Created a moment ago and not yet written by its creator: let it finish.
        sleepSync(100);
        continue;
      }
      if (holder && holderRuns(holder)) {
        const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
        throw new DataDirLockedError(
          `DATA_DIR ${dataDir} is in use by process ${holder.pid}${where} (lock file ${file}); ` +
            'one process per embedded database: stop that one first, or set DATA_DIR to another directory',
        );
      }
      takeOver(file, text);
    }
    throw new DataDirLockedError(`DATA_DIR ${dataDir}: could not take the lock file ${file} (other processes keep taking it)`);
  }

  /** Gives DATA_DIR back (shutdown). Only removes the file while it still names this process. */
  release() {
    if (this.released) return;
    this.released = true;
    if (parse(readQuiet(this.file))?.pid === process.pid) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes a stale lock file so the next O_EXCL create can win. Two processes may find the same stale
 * file at once: each renames it to a private name (rename is atomic, so only one gets the file that
 * was there) and checks it renamed the stale content it judged, not a fresh lock the other process
 * has just created; a fresh lock taken by mistake is put back with its original content.
 */
function takeOver(file: string, staleText: string | null) {
  const mine = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, mine);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const got = readQuiet(mine);
  if (got !== staleText) {
    // Someone else's fresh lock: restore it (O_EXCL, so never over a third one) and let the loop refuse.
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, got ?? '');
      closeSync(fd);
    } catch {
      // a third process holds it now; the loop sees that holder
    }
  }
  try {
    unlinkSync(mine);
  } catch {
    // gone
  }
}
