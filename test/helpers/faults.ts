import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const sh = promisify(execFile);

/**
 * Real storage faults for tests (root only): a small tmpfs to fill, another process holding the
 * database's write lock, files made immutable (read-only even for root).
 */

export const isRoot = (): boolean => userInfo().uid === 0;

/** Mount a tmpfs of sizeMb on a new temp dir; the teardown unmounts it. */
export async function mountTmpfs(t: { teardown: (fn: () => Promise<void>) => void }, sizeMb: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-tmpfs-'));
  await sh('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir]);
  t.teardown(async () => {
    await sh('chattr', ['-R', '-i', dir]).catch(() => undefined);
    await sh('umount', ['-l', dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fill the filesystem of dir to the last byte with one file; returns it (remove it to free the space). */
export async function fillDisk(dir: string): Promise<string> {
  const file = join(dir, 'filler');
  await sh('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k']).catch(() => undefined); // ends with ENOSPC
  const s = await statfs(dir);
  if (s.bavail > 0) await sh('dd', ['if=/dev/zero', `of=${file}.2`, 'bs=512']).catch(() => undefined);
  return file;
}

/** Fold the WAL into the database file and truncate it, so the next write needs new space. */
export async function truncateWal(dbFile: string): Promise<void> {
  await sh('sqlite3', [dbFile, 'PRAGMA busy_timeout=5000; PRAGMA wal_checkpoint(TRUNCATE);']);
}

/** Another process takes the database's write lock (BEGIN EXCLUSIVE) and holds it until release(). */
export async function lockDatabase(dbFile: string): Promise<{ release: () => Promise<void> }> {
  const p = spawn('sqlite3', [dbFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('sqlite3 did not take the lock')), 10_000);
    createInterface({ input: p.stdout }).on('line', (l) => l.trim() === 'locked' && (clearTimeout(t), resolve()));
    p.stdin.write("PRAGMA busy_timeout=10000;\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n");
  });
  return {
    release: async () => {
      p.stdin.end('COMMIT;\n.quit\n');
      await exited;
    },
  };
}

/** chattr +i / -i: immutable files cannot be opened for writing, not even by root. */
export async function setImmutable(files: string[], on: boolean): Promise<void> {
  await sh('chattr', [on ? '+i' : '-i', ...files]);
}

export interface Report {
  id: string;
  seq?: number;
  type: string;
  direct?: boolean;
  data: Record<string, unknown>;
}
