import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Db, isStoreFault } from './db.js';
import { migrate } from './migrations.js';

export const DB_FILE = 'frontdesk.db';

/**
 * The daemon's writes wait this long for another process's lock before the recorder counts the
 * store as failing and keeps the events for a retry (it never blocks a call either way).
 */
export const STORE_BUSY_TIMEOUT_MS = 1000;

/** Open (creating if needed) the store in a data directory and bring its schema up to date. */
export async function openStore(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const db = await Db.open(join(dir, DB_FILE), { busyTimeoutMs: STORE_BUSY_TIMEOUT_MS });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/**
 * For the daemon: the store, or, when it cannot be opened now (data directory read-only or gone,
 * disk failing), a handle that keeps trying, so the daemon starts and answers calls anyway while
 * the recorder keeps the events. A database newer than this build is still fatal.
 */
export async function openStoreOrDefer(dir: string): Promise<{ db: Db; error?: Error }> {
  const file = join(dir, DB_FILE);
  const opts = { busyTimeoutMs: STORE_BUSY_TIMEOUT_MS, onOpen: (db: Db) => migrate(db) };
  try {
    await mkdir(dir, { recursive: true });
    return { db: await Db.open(file, opts) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const fault = isStoreFault(err) || ['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EIO', 'ENOENT', 'ENOTDIR'].includes(code);
    if (!fault) throw err;
    return { db: Db.unopened(file, opts), error: err as Error };
  }
}
