import t from 'tap';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../../daemon/store/store.js';
import { applyRetention } from '../../../daemon/store/retention.js';
import type { Config } from '../../../daemon/config/schema.js';

t.test('old calls and recordings go, recent ones and the outbox stay', async (t) => {
  const dir = t.testdir();
  const db = await openStore(dir);
  t.teardown(() => db.close());
  const now = Date.parse('2026-11-21T12:00:00Z');
  const day = 86_400_000;
  const iso = (ms: number): string => new Date(ms).toISOString();
  await db.run("INSERT INTO calls (id, line_id, offered_at) VALUES ('old', 'gsm1', ?), ('new', 'gsm1', ?)", [iso(now - 40 * day), iso(now - 5 * day)]);
  await db.run("INSERT INTO call_timeline (call_id, at, event) VALUES ('old', ?, 'call.offered'), ('new', ?, 'call.offered')", [iso(now - 40 * day), iso(now - 5 * day)]);
  const oldWav = join(dir, 'old.wav');
  const newWav = join(dir, 'new.wav');
  await writeFile(oldWav, 'x');
  await writeFile(newWav, 'x');
  await db.run("INSERT INTO voicemail (id, call_id, recorded_at, path, duration_ms) VALUES ('v1', 'new', ?, ?, 1000), ('v2', 'new', ?, ?, 1000)", [iso(now - 12 * day), oldWav, iso(now - 1 * day), newWav]);
  const oldCallWav = join(dir, 'call.wav');
  await writeFile(oldCallWav, 'x');
  await writeFile(join(dir, 'call.mixed.wav'), 'x'); // storage.record_mixed
  await db.run("INSERT INTO calls (id, line_id, offered_at, recording_path) VALUES ('mid', 'gsm1', ?, ?)", [iso(now - 20 * day), oldCallWav]);
  await db.run("INSERT INTO outbox (id, topic, payload, created_at) VALUES ('e1', 'events', '{}', ?)", [iso(now - 400 * day)]);

  await db.run("INSERT INTO kb_log (call_id, at, entry_id, via) VALUES ('old', ?, 'hours', 'menu'), ('new', ?, 'hours', 'menu')", [iso(now - 40 * day), iso(now - 5 * day)]);
  await db.run("INSERT INTO quality_scores (call_id, at, score, flagged, metrics, findings) VALUES ('old', ?, 90, 0, '{}', '[]'), ('new', ?, 90, 0, '{}', '[]')", [iso(now - 40 * day), iso(now - 5 * day)]);
  const cfg = { storage: { keep_calls: '30d', keep_recordings: '10d' } } as unknown as Config;
  const r = await applyRetention(db, cfg, now);
  t.match(r, { calls: 1, voicemails: 1, files: 3 });
  await t.rejects(access(join(dir, 'call.mixed.wav')), 'its mixed copy too');
  t.same((await db.all<{ call_id: string }>('SELECT call_id FROM kb_log')).map((r) => r.call_id), ['new'], 'the knowledge-base log goes with the calls');
  t.same((await db.all<{ call_id: string }>('SELECT call_id FROM quality_scores')).map((r) => r.call_id), ['new'], 'and so do quality scores');
  t.same((await db.all<{ id: string }>('SELECT id FROM calls ORDER BY id')).map((x) => x.id), ['mid', 'new']);
  await t.rejects(access(oldCallWav), 'a call recording older than keep_recordings is deleted');
  t.equal((await db.get<{ p: string | null }>("SELECT recording_path AS p FROM calls WHERE id = 'mid'"))?.p, null, 'and unlinked from its call, which stays');
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM call_timeline WHERE call_id = 'old'"))?.n, 0, 'the timeline went with its call');
  await t.rejects(access(oldWav), 'old recording deleted');
  await t.resolves(access(newWav), 'recent recording kept');
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n, 1, 'unsent reports are never purged');
});
