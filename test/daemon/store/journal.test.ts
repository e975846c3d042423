import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../../daemon/bus/bus.js';
import type { Envelope } from '../../../daemon/bus/events.js';
import { createLogger } from '../../../daemon/log.js';
import { Db } from '../../../daemon/store/db.js';
import { Journal, JOURNAL_FILE } from '../../../daemon/store/journal.js';
import { migrate } from '../../../daemon/store/migrations.js';
import { Recorder } from '../../../daemon/store/recorder.js';
import { lockDatabase } from '../../helpers/faults.js';
import { sleep } from '../../helpers/net.js';

/**
 * The recorder against a real sqlite file that another process (the sqlite3 CLI) holds locked:
 * events wait in order and in the fallback journal; a crash during the fault loses nothing that
 * was journaled, and the replay writes each event once; an overflowing queue shows as a seq gap.
 */

const log = createLogger({ level: 'silent', pretty: false });
const box = { site: 'hq', node: 'box1', mask: false };

async function setup(t: { teardown: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'fd-journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'frontdesk.db');
  const db = await Db.open(file, { busyTimeoutMs: 100 });
  await migrate(db);
  return { dir, file, db };
}

const callIds = async (db: Db): Promise<string[]> => (await db.all<{ payload: string }>('SELECT payload FROM outbox ORDER BY seq')).map((r) => (JSON.parse(r.payload) as { data: { callId: string } }).data.callId);

t.test('a crash while the store is locked: the journal is replayed at the next start, each event once, in order', async (t) => {
  const { dir, file, db } = await setup(t);
  const journal = new Journal(join(dir, 'fallback'));
  const bus = new Bus();
  const rec = new Recorder({ db, bus, log, outbox: box, journal, retryMinMs: 50, retryMaxMs: 100 });
  rec.start();
  const alarms: Envelope<'alarm'>[] = [];
  bus.on('alarm', (e) => void alarms.push(e));

  bus.emit('call.offered', { callId: 'a-0', lineId: 'gsm1' });
  await rec.flushed();
  const lock = await lockDatabase(file);
  const durable = [1, 2, 3, 4, 5].map((i) => bus.emitAndWait('call.offered', { callId: `a-${i}`, lineId: 'gsm1' }));
  await Promise.all(durable); // resolved once journaled, although the store is locked
  t.ok(rec.health.failing, 'the store is failing');
  t.match(alarms[0]?.data, { code: 'store-failing', active: true, source: 'store' }, 'store-failing raised');
  const lines = (await readFile(join(dir, 'fallback', JOURNAL_FILE), 'utf8')).trim().split('\n');
  t.equal(lines.filter((l) => l.startsWith('{"j":')).length, 6, 'five events and the alarm are in the journal');

  // "kill -9": this recorder never writes again; the lock goes away; a new run starts.
  await rec.stop();
  await journal.close();
  await lock.release();
  const journal2 = new Journal(join(dir, 'fallback'));
  const bus2 = new Bus();
  const rec2 = new Recorder({ db, bus: bus2, log, outbox: box, journal: journal2, retryMinMs: 50, retryMaxMs: 100 });
  rec2.start();
  t.equal(await rec2.replayJournal(), 6, 'six journaled events replayed');
  bus2.emit('call.offered', { callId: 'b-0', lineId: 'gsm1' });
  const saved = await readFile(join(dir, 'fallback', JOURNAL_FILE), 'utf8');
  await rec2.flushed();
  t.same((await callIds(db)).filter(Boolean), ['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'b-0'], 'journaled events first, in order, then the new one');
  const seqs = (await db.all<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq')).map((r) => r.seq);
  t.same(seqs, [1, 2, 3, 4, 5, 6, 7, 8], 'seq contiguous (the alarm has its place)');
  t.equal(await readFile(join(dir, 'fallback', JOURNAL_FILE), 'utf8'), '', 'the journal is emptied once everything is in the store');

  // A third start with the journal as it was (say the power went before it was emptied): nothing twice.
  await rec2.stop();
  await journal2.close();
  await writeFile(join(dir, 'fallback', JOURNAL_FILE), saved);
  const journal3 = new Journal(join(dir, 'fallback'));
  const rec3 = new Recorder({ db, bus: new Bus(), log, outbox: box, journal: journal3 });
  await rec3.replayJournal();
  await rec3.flushed();
  t.equal((await callIds(db)).length, 8, 'no event written twice');
  await rec3.stop();
  await journal3.close();
  await db.close();
});

t.test('more events than the queue holds: the oldest go, and seq skips exactly as many', async (t) => {
  const { file, db } = await setup(t);
  const bus = new Bus();
  const rec = new Recorder({ db, bus, log, outbox: box, retryMinMs: 50, retryMaxMs: 100, maxPending: 10 });
  rec.start();
  bus.emit('call.offered', { callId: 'k-0', lineId: 'gsm1' });
  await rec.flushed();
  const lock = await lockDatabase(file);
  for (let i = 1; i <= 20; i++) bus.emit('call.offered', { callId: `k-${i}`, lineId: 'gsm1' });
  await sleep(300);
  await lock.release();
  await rec.flushed();
  const rows = (await db.all<{ seq: number; payload: string }>('SELECT seq, payload FROM outbox ORDER BY seq')).map((r) => ({ seq: r.seq, ...(JSON.parse(r.payload) as { type: string; data: { callId?: string; code?: string; active?: boolean; lost?: number } }) }));
  const offered = rows.filter((r) => r.type === 'call.offered').map((r) => r.data.callId);
  t.ok(offered.includes('k-20') && !offered.includes('k-2'), `the newest kept, the oldest (not already being written) dropped: ${offered.join(',')}`);
  const lost = rec.health.lost;
  t.ok(lost > 0, `${lost} dropped`);
  const gap = rows.find((r) => r.type === 'store.gap');
  t.equal(gap?.data.lost, lost, 'a store.gap event says how many');
  const seqs = rows.map((r) => r.seq);
  const holes = seqs.slice(1).reduce((n, s, i) => n + (s - seqs[i]! - 1), 0);
  t.equal(holes, lost, 'seq skips exactly the dropped events');
  await rec.stop();
  await db.close();
});

t.test('the journal stops at its size bound (its filesystem may be the RAM everything needs)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const j = new Journal(dir, 2000);
  const ev = (i: number): Envelope => ({ type: 'call.offered', at: new Date().toISOString(), id: `id-${i}`, data: { callId: `c-${i}`, lineId: 'gsm1' } });
  let taken = 0;
  for (let i = 0; i < 50; i++) {
    try {
      await j.append([ev(i)]);
      taken++;
    } catch (err) {
      t.match((err as Error).message, /journal full/, 'refused once full');
      break;
    }
  }
  t.ok(taken > 5 && taken < 50, `${taken} entries fit in 2000 bytes`);
  t.ok((await readFile(join(dir, JOURNAL_FILE))).length <= 2000, 'the file stays within the bound');
  await j.clear();
  await j.append([ev(99)]);
  t.pass('room again once emptied');
  await j.close();
});
