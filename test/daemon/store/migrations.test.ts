import t from 'tap';
import { join } from 'node:path';
import { Db } from '../../../daemon/store/db.js';
import { migrate, currentVersion, LATEST_VERSION, MIGRATIONS } from '../../../daemon/store/migrations.js';
import { openStore, DB_FILE } from '../../../daemon/store/store.js';

t.test('a fresh database is created at the latest schema, in WAL mode', async (t) => {
  const dir = t.testdir();
  const db = await openStore(join(dir, 'data'));
  t.teardown(() => db.close());
  t.equal(await currentVersion(db), LATEST_VERSION);
  const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode');
  t.equal(mode?.journal_mode, 'wal');
  const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type='table'")).map((r) => r.name);
  for (const name of ['calls', 'legs', 'call_timeline', 'utterances', 'customers', 'outbox', 'voicemail', 'sms', 'agent_state_log']) {
    t.ok(tables.includes(name), `table ${name}`);
  }
});

t.test('re-running migrations is a no-op and keeps data', async (t) => {
  const dir = t.testdir();
  const db1 = await openStore(dir);
  await db1.run("INSERT INTO customers (number, created_at) VALUES ('+8613800000000', 'now')");
  await db1.close();
  const db2 = await openStore(dir);
  t.teardown(() => db2.close());
  const again = await migrate(db2);
  t.same(again.applied, [], 'nothing applied the second time');
  t.equal((await db2.get<{ n: number }>('SELECT COUNT(*) AS n FROM customers'))?.n, 1);
  const rows = await db2.all('SELECT version FROM schema_migrations');
  t.equal(rows.length, MIGRATIONS.length, 'each migration recorded once');
});

t.test('an older database is upgraded in place, keeping its rows', async (t) => {
  const dir = t.testdir();
  const old = await Db.open(join(dir, DB_FILE));
  t.same((await migrate(old, { target: 1 })).applied, [1]);
  await old.run("INSERT INTO calls (id, line_id, offered_at) VALUES ('c1', 'gsm1', '2026-11-01T10:00:00Z')");
  await old.close();

  const db = await openStore(dir);
  t.teardown(() => db.close());
  t.equal(await currentVersion(db), LATEST_VERSION);
  t.equal((await db.get<{ id: string }>('SELECT id FROM calls'))?.id, 'c1', 'v1 data survives');
  await db.run("INSERT INTO voicemail (id, call_id, recorded_at, path, duration_ms) VALUES ('v1', 'c1', 'now', '/x.wav', 1000)");
  t.pass('v2 tables usable');
});

t.test('a failing migration rolls back completely and the version stays', async (t) => {
  const dir = t.testdir();
  const db = await Db.open(join(dir, DB_FILE));
  t.teardown(() => db.close());
  const bad = [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL;' }];
  await t.rejects(migrate(db, { migrations: bad }));
  t.equal(await currentVersion(db), 1);
  const half = await db.get("SELECT name FROM sqlite_master WHERE name='half'");
  t.equal(half, undefined, 'the half-applied table was rolled back');
});

t.test('a database newer than this build is refused', async (t) => {
  const dir = t.testdir();
  const db = await Db.open(join(dir, DB_FILE));
  t.teardown(() => db.close());
  await migrate(db);
  await db.run("INSERT INTO schema_migrations VALUES (999, 'future', 'now')");
  await t.rejects(migrate(db), /newer than this Frontdesk build knows/);
});

t.test('transactions do not interleave with concurrent statements', async (t) => {
  const dir = t.testdir();
  const db = await openStore(dir);
  t.teardown(() => db.close());
  const tx = db.transaction(async (tx) => {
    await tx.run("INSERT INTO customers (number, created_at) VALUES ('a', 'x')");
    await new Promise((r) => setTimeout(r, 50));
    throw new Error('abort');
  });
  // Issued while the transaction is open; must not land inside it (and so must survive its rollback).
  const outside = db.run("INSERT INTO customers (number, created_at) VALUES ('b', 'x')");
  await t.rejects(tx, /abort/);
  await outside;
  const rows = await db.all<{ number: string }>('SELECT number FROM customers ORDER BY number');
  t.same(rows.map((r) => r.number), ['b']);
});
