import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLock, DataDirLockedError, LOCK_FILE } from './data-dir-lock';

describe('DataDirLock', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'imms-lockunit-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = () => join(dir, LOCK_FILE);
  const holder = () => JSON.parse(readFileSync(file(), 'utf8'));
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid as number;

  it('creates the lock file naming this process and removes it on release', () => {
    const lock = DataDirLock.acquire(dir);
    expect(holder()).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
    expect(existsSync(file())).toBe(false);
  });

  it('takes over a lock left by a process that no longer runs', () => {
    writeFileSync(file(), JSON.stringify({ pid: deadPid(), host: hostname(), startTicks: null, bootId: null, since: '' }));
    DataDirLock.acquire(dir).release();
  });

  it('takes over a lock whose pid now belongs to another process (pid reuse: start time differs)', () => {
    writeFileSync(file(), JSON.stringify({ pid: process.ppid, host: hostname(), startTicks: 1, bootId: null, since: '' }));
    DataDirLock.acquire(dir).release();
  });

  it('takes over an unreadable or empty old lock file', () => {
    writeFileSync(file(), 'not json');
    DataDirLock.acquire(dir).release();
  });

  it('refuses while the holder runs, naming DATA_DIR and the holder pid', () => {
    writeFileSync(file(), JSON.stringify({ pid: process.ppid, host: hostname(), startTicks: null, bootId: null, since: '' }));
    expect(() => DataDirLock.acquire(dir)).toThrow(DataDirLockedError);
    expect(() => DataDirLock.acquire(dir)).toThrow(`DATA_DIR ${dir} is in use by process ${process.ppid} (lock file ${file()})`);
    expect(holder().pid).toBe(process.ppid);
  });

  it('treats a lock from another host as held (it cannot be checked from here)', () => {
    writeFileSync(file(), JSON.stringify({ pid: 1, host: 'elsewhere.example', startTicks: null, bootId: null, since: '' }));
    expect(() => DataDirLock.acquire(dir)).toThrow(/in use by process 1 on host elsewhere.example/);
  });
});
