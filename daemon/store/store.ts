import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Db } from './db.js';
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
