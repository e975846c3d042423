import t from 'tap';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPhone } from '../../helpers/baresip.js';
import { type Box, phoneAgent, startBox } from '../../helpers/box.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { fillDisk, isRoot, lockDatabase, mountTmpfs, setImmutable, truncateWal, type Report } from '../../helpers/faults.js';
import { sleep } from '../../helpers/net.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';

/**
 * The store is never on the call path, and a failing store loses nothing (issue 12). One box (GSM
 * caller, baresip desk phone, real mosquitto, its database on a small tmpfs) goes through four
 * real faults, with a bridged call in each: another process holding the write lock (BEGIN
 * EXCLUSIVE for 12 s, as in the report but shorter, with two calls in that window: every write times out and
 * is retried), the disk full, the database file read-only (immutable:
 * root cannot write it either) when the daemon starts, and the data directory read-only too, so
 * the database cannot even be opened. (A file made read-only while open stays writable through
 * the open descriptor; what fails is a connection opened on it, which is what a restart does.) Each time the phone rings as fast as without a fault, the store-failing
 * alarm reaches MQTT at once (directly) and is cleared after; afterwards every call has its
 * record and every event reached the broker once by id with contiguous seq numbers.
 */

const TOPIC = 'frontdesk/test/box-1';

t.test('store faults: calls go on, nothing is lost, the alarm is raised and cleared on MQTT', { skip: isRoot() ? false : 'needs root (mount, chattr)' }, async (t) => {
  const data = await mountTmpfs(t, 24);
  const fallback = await mkdtemp(join(tmpdir(), 'fd-fallback-'));
  t.teardown(() => rm(fallback, { recursive: true, force: true }));
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/#']);
  const phone = await testPhone(t, { user: '801', answer: 'auto' });
  const box: Box = await startBox({
    agents: [phoneAgent(phone)],
    dataDir: data,
    storage: `  fallback_dir: ${fallback}`,
    extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 1h\n`,
  });
  t.teardown(() => box.close());
  // FD_DEBUG=1 prints the daemon's log after the test (for a failure under load).
  t.teardown(() => {
    if (process.env.FD_DEBUG) for (const l of box.daemon.logs) console.error(JSON.stringify(l).slice(0, 300));
  });
  const dbFile = join(data, 'frontdesk.db');
  await central.waitFor((m) => m.topic === `${TOPIC}/status` && (m.json as { state?: string }).state === 'online', 20_000, 'status online');

  const calls: string[] = [];
  /** A caller reaches the desk phone, talks, hangs up; how long from the handoff to the phone ringing. */
  const bridgedCall = async (number: string): Promise<number> => {
    const from = mark(box);
    const since = phone.events.length;
    const id = await callAndPress(box, 0, number);
    const handoffAt = Date.now();
    await phone.waitEvent('CALL_ESTABLISHED', 15_000, since); // auto-answer: established as it rings
    const ringMs = Date.now() - handoffAt;
    await eventAfter(box, from, 'queue.connect', (l) => l.callId === id, 15_000);
    await sleep(800);
    await hangUp(box, 0, id);
    calls.push(id);
    return ringMs;
  };
  const alarms = (active: boolean): Report[] =>
    central.messages.filter((m) => m.topic === `${TOPIC}/alarms`).map((m) => m.json as Report).filter((r) => r.data.code === 'store-failing' && r.data.active === active);
  const raisedAndCleared = async (n: number, what: string): Promise<void> => {
    await central.waitUntil(() => alarms(true).some((r) => r.direct) && alarms(true).filter((r) => r.direct).length >= n, 20_000, `store-failing raised (${what})`);
    await central.waitUntil(() => alarms(false).filter((r) => r.direct).length >= n, 30_000, `store-failing cleared (${what})`);
  };

  const baseline = await bridgedCall('+8613800000001');
  t.comment(`no fault: the phone rang ${baseline} ms after the handoff`);

  // 1. Another process holds the write lock for the whole call.
  // Held for 12 s (the report's 30 s only repeats the same cycle): many times the store's 1 s busy
  // timeout, so writes time out again and again and are retried at the longest backoff (2 s); a
  // second call is made 8 s in.
  const lockedAt = Date.now();
  const lock = await lockDatabase(dbFile);
  const lockedRing = await bridgedCall('+8613800000002');
  await central.waitUntil(() => alarms(true).some((r) => r.direct), 20_000, 'store-failing raised (database locked)');
  await sleep(Math.max(0, 8_000 - (Date.now() - lockedAt)));
  const lateLockedRing = await bridgedCall('+8613800000012');
  await sleep(Math.max(0, 12_000 - (Date.now() - lockedAt)));
  t.comment(`database locked for ${Date.now() - lockedAt} ms`);
  await lock.release();
  await raisedAndCleared(1, 'database locked');
  t.ok(lockedRing < baseline + 1500, `database locked: the phone rang ${lockedRing} ms after the handoff (no fault: ${baseline} ms)`);
  t.ok(lateLockedRing < baseline + 1500, `database locked 8 s already: the phone rang ${lateLockedRing} ms after the handoff`);

  // 2. Disk full: the WAL is folded in and truncated, so every write needs space there is not.
  await truncateWal(dbFile);
  const filler = await fillDisk(data);
  const fullRing = await bridgedCall('+8613800000003');
  await central.waitUntil(() => alarms(true).filter((r) => r.direct).length >= 2, 20_000, 'store-failing raised (disk full)');
  const journal = await readFile(join(fallback, 'frontdesk-pending.jsonl'), 'utf8');
  const journaled = journal.split('\n').filter((l) => l.startsWith('{"j":'));
  t.ok(journaled.some((l) => l.includes('+8613800000003')), `disk full: the call's events are journaled on the other filesystem (${journaled.length} entries)`);
  await unlink(filler);
  await unlink(`${filler}.2`).catch(() => undefined);
  await raisedAndCleared(2, 'disk full');
  t.ok(fullRing < baseline + 1500, `disk full: the phone rang ${fullRing} ms after the handoff`);
  t.equal((await readFile(join(fallback, 'frontdesk-pending.jsonl'), 'utf8')).length, 0, 'the journal is emptied once the store has everything');

  // 3. Read-only files: the daemon is restarted while its database cannot be written.
  box.daemon.kill('SIGTERM');
  await box.daemon.exited;
  await setImmutable([dbFile], true);
  await box.restart();
  const roRing = await bridgedCall('+8613800000004');
  await central.waitUntil(() => alarms(true).filter((r) => r.direct).length >= 3, 20_000, 'store-failing raised (read-only)');
  await setImmutable([dbFile], false);
  await raisedAndCleared(3, 'read-only files');
  t.ok(roRing < baseline + 1500, `read-only database: the phone rang ${roRing} ms after the handoff`);

  // 4. The data directory read-only too (say the filesystem went read-only): the database cannot
  // even be opened at start; the daemon starts anyway, and opens and migrates it once it can.
  box.daemon.kill('SIGTERM');
  await box.daemon.exited;
  await setImmutable([dbFile, data], true);
  await box.restart();
  // sqlite may still open the file read-only (when the last run left no WAL to recover) and fail on
  // the first write instead; either way the daemon must start and say the store is not writable.
  const storeDown = new Set(['store cannot be opened; calls go on and events are kept until it can', 'store: the database cannot be written; keeping events in order until it can']);
  await box.daemon.waitForLog((l) => storeDown.has(l.msg), 15_000);
  const dirRing = await bridgedCall('+8613800000005');
  await central.waitUntil(() => alarms(true).filter((r) => r.direct).length >= 4, 20_000, 'store-failing raised (data directory read-only)');
  await setImmutable([dbFile, data], false);
  await raisedAndCleared(4, 'data directory read-only');
  t.ok(dirRing < baseline + 1500, `database not even openable: the phone rang ${dirRing} ms after the handoff`);

  // Afterwards: every call has its record, and every event its report, in one unbroken seq.
  for (const id of calls) {
    const row = await box.row<{ ended_at: string | null; outcome: string | null; agent_ext: string | null }>('SELECT ended_at, outcome, agent_ext FROM calls WHERE id = ?', [id], (r) => r.ended_at !== null, 15_000);
    t.match(row, { outcome: 'transferred', agent_ext: '801' }, `call ${calls.indexOf(id) + 1} has its whole record`);
  }
  const lastId = calls[calls.length - 1]!;
  await central.waitUntil(() => central.messages.some((m) => m.topic === `${TOPIC}/events` && (m.json as Report).type === 'call.ended' && (m.json as Report).data.callId === lastId), 20_000, 'the last call.ended');
  await central.waitUntil(() => alarms(false).filter((r) => !r.direct).length >= 4, 20_000, 'the alarm clears through the outbox too');
  await sleep(500);
  const sequenced = central.messages.filter((m) => /\/(events|alarms)$/.test(m.topic)).map((m) => m.json as Report).filter((r) => typeof r.seq === 'number');
  const byId = new Map<string, Report>();
  for (const r of sequenced) if (!byId.has(r.id)) byId.set(r.id, r);
  const seqs = [...byId.values()].map((r) => r.seq!).sort((a, b) => a - b);
  const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1]! + 1);
  t.same(gaps, [], `seq contiguous from ${seqs[0]} to ${seqs[seqs.length - 1]} (${seqs.length} reports)`);
  t.equal(seqs[0], 1, 'from the very first report');
  const seenIds = new Set<string>();
  const twice = sequenced.filter((r) => (seenIds.has(r.id) ? true : (seenIds.add(r.id), false)));
  t.same(twice.map((r) => `${r.seq} ${r.type} ${JSON.stringify(r.data.code ?? r.data.callId ?? "")} ${JSON.stringify(r.data.active ?? "")}`), [], "no report arrived twice");
  for (const id of calls) {
    const timeline = (await box.row<{ types: string }>("SELECT group_concat(event, ',') AS types FROM (SELECT event FROM call_timeline WHERE call_id = ? ORDER BY event)", [id], (r) => Boolean(r.types))).types.split(',');
    const reported = [...byId.values()].filter((r) => r.data.callId === id && timeline.includes(r.type)).map((r) => r.type).sort();
    t.same(reported, timeline, `call ${calls.indexOf(id) + 1}: every timeline record has its report (${timeline.length})`);
  }
  const directs = central.messages.filter((m) => m.topic === `${TOPIC}/alarms` && (m.json as Report).direct).map((m) => (m.json as Report).id);
  t.ok(directs.every((id) => byId.has(id)), 'each alarm sent directly also came through the outbox with the same id');
});
