import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../daemon/store/db.js';
import { migrate } from '../../daemon/store/migrations.js';

/** A store with every migration applied, in a temp dir of its own: closed and removed when the test ends. */
export async function migratedDb(t: { teardown(fn: () => unknown): void }): Promise<{ dir: string; db: Db }> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-db-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await Db.open(join(dir, 'frontdesk.db'));
  t.teardown(() => db.close());
  await migrate(db);
  return { dir, db };
}
