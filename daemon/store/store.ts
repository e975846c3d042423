import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Db } from './db.js';
import { migrate } from './migrations.js';

export const DB_FILE = 'frontdesk.db';

/** Open (creating if needed) the store in a data directory and bring its schema up to date. */
export async function openStore(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const db = await Db.open(join(dir, DB_FILE));
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
