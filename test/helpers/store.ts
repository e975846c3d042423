import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../daemon/store/db.js';
import { openStore } from '../../daemon/store/store.js';

/** The daemon's store (every migration applied) in a temp dir of its own: closed and removed when the test ends. */
export async function migratedDb(t: { teardown(fn: () => unknown): void }): Promise<{ dir: string; db: Db }> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-db-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await openStore(dir);
  t.teardown(() => db.close());
  return { dir, db };
}
