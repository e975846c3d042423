import t from 'tap';
import { computeKpis, startOfDay } from '../../../daemon/telemetry/kpi.js';
import { migratedDb } from '../../helpers/store.js';

/**
 * KPIs against a hand-computed fixture. Ten calls offered 10:00-10:09 UTC, T = 20 s:
 *
 *  c1 bot-resolved                                   c6 queued 10:05:30, abandoned 10:05:40
 *  c2 bot-resolved                                   c7 queued 10:06:30, answered 10:06:50 (20 s: at T counts), ended 10:08:50
 *  c3 bot-resolved                                   c8 queued 10:07:30, rang only, abandoned 10:08:30
 *  c4 queued 10:03:30, answered 10:03:40 (10 s), ended 10:06:40 (180 s)
 *  c5 queued 10:04:30, answered 10:05:00 (30 s), ended 10:06:00 (60 s)
 *  c9 queued 10:08:30, still waiting (no answer, not ended)   c10 voicemail without queueing
 *  one call at 09:40 outside the 15-minute window; surveys c4=5, c5=3, c7=4 (scale 5).
 *
 * offered 10, contained 3, transferred 6 (c4-c9), answered 3, abandoned 2.
 * ASA = (10 + 30 + 20) / 3 = 20 s. AHT = (180 + 60 + 120) / 3 = 120 s.
 * SL base = transferred and no longer waiting = c4 c5 c6 c7 c8 = 5; within T = c4, c7 = 2 → 0.4.
 * abandon rate 2/10, transfer rate 6/10, containment 3/10. CSAT = 2 of 3 answers ≥ 4 → 0.6667, mean 4.
 * r1 at 10:05:10 was rejected by its line's config: not offered, in nothing.
 *
 * FCR (window 24 h): numbers c1 +861, c2 +862, c4 +861, c7 +863, c9 +864; "old" (09:40) +863; +862 also
 * called on 03-01 at 09:00 (25 h before c2). Repeats: c4 (c1 3 min before), c7 (old 26 min before);
 * c2 is not one (25 h). 15 min: 5 with a number, 2 repeats → 3/5 = 0.6. Today adds "old" → 4/6 = 0.6667.
 *
 * Occupancy over the 15 min [09:59:59, 10:14:59):
 *  801: available 09:00 (221 s in window), busy 10:03:40 (180), wrap-up 10:06:40 (10), available
 *       10:06:50 (190), paused 10:10:00 (120, not staffed), available 10:12:00 (179) → staffed 780, occupied 190
 *  802: logged-out 09:30 (not staffed), available 10:05:00 (110), busy 10:06:50 (120), available 10:08:50 (369)
 *       → staffed 599, occupied 120
 *  occupancy = 310 / 1379 = 0.2248
 */

const d = (hms: string): string => `2026-03-02T${hms}.000Z`;

t.test('KPIs match the hand-computed fixture', async (t) => {
  const { db } = await migratedDb(t);
  const call = (id: string, offered: string, f: Record<string, string | null> = {}): Promise<unknown> =>
    db.run(
      'INSERT INTO calls (id, line_id, offered_at, answered_at, bot_ended_at, queued_at, agent_ring_at, agent_answered_at, ended_at, outcome, caller) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, 'gsm1', offered.includes('T') ? offered : d(offered), offered.includes('T') ? offered : d(offered), f.bot_ended_at ?? null, f.queued_at ?? null, f.agent_ring_at ?? null, f.agent_answered_at ?? null, f.ended_at ?? null, f.outcome ?? null, f.caller ?? null],
    );
  await call('c1', '10:00:00', { ended_at: d('10:01:00'), outcome: 'bot-resolved', caller: '+861' });
  await call('c2', '10:01:00', { ended_at: d('10:02:00'), outcome: 'bot-resolved', caller: '+862' });
  await call('p', '2026-03-01T09:00:00.000Z', { ended_at: '2026-03-01T09:01:00.000Z', outcome: 'bot-resolved', caller: '+862' });
  await call('r1', '10:05:10', { ended_at: d('10:05:10'), outcome: 'rejected', caller: '+865' });
  await call('c3', '10:02:00', { ended_at: d('10:02:30'), outcome: 'bot-resolved' });
  await call('c4', '10:03:00', { caller: '+861', queued_at: d('10:03:30'), agent_ring_at: d('10:03:31'), agent_answered_at: d('10:03:40'), ended_at: d('10:06:40'), outcome: 'transferred' });
  await call('c5', '10:04:00', { queued_at: d('10:04:30'), agent_ring_at: d('10:04:31'), agent_answered_at: d('10:05:00'), ended_at: d('10:06:00'), outcome: 'transferred' });
  await call('c6', '10:05:00', { queued_at: d('10:05:30'), ended_at: d('10:05:40'), outcome: 'abandoned' });
  await call('c7', '10:06:00', { caller: '+863', queued_at: d('10:06:30'), agent_ring_at: d('10:06:31'), agent_answered_at: d('10:06:50'), ended_at: d('10:08:50'), outcome: 'transferred' });
  await call('c8', '10:07:00', { queued_at: d('10:07:30'), agent_ring_at: d('10:07:31'), ended_at: d('10:08:30'), outcome: 'abandoned' });
  await call('c9', '10:08:00', { queued_at: d('10:08:30'), caller: '+864' });
  await call('c10', '10:09:00', { ended_at: d('10:10:00'), outcome: 'voicemail' });
  await call('old', '09:40:00', { ended_at: d('09:41:00'), outcome: 'bot-resolved', caller: '+863' });
  const states: [string, string, string][] = [
    ['801', 'available', '09:00:00'], ['801', 'busy', '10:03:40'], ['801', 'wrap-up', '10:06:40'], ['801', 'available', '10:06:50'], ['801', 'paused', '10:10:00'], ['801', 'available', '10:12:00'],
    ['802', 'logged-out', '09:30:00'], ['802', 'available', '10:05:00'], ['802', 'busy', '10:06:50'], ['802', 'available', '10:08:50'],
  ];
  for (const [ext, state, at] of states) await db.run('INSERT INTO agent_state_log (extension, state, at) VALUES (?, ?, ?)', [ext, state, d(at)]);
  for (const [c, s] of [['c4', 5], ['c5', 3], ['c7', 4]] as const) await db.run('INSERT INTO surveys (call_id, score, scale, at) VALUES (?, ?, 5, ?)', [c, s, d('10:20:00')]);

  const now = new Date(d('10:14:59'));
  const k = await computeKpis(db, { from: new Date(now.getTime() - 15 * 60_000), to: now }, 20_000);
  t.same(k, {
    offered: 10,
    contained: 3,
    transferred: 6,
    answered: 3,
    abandoned: 2,
    asa: 20,
    aht: 120,
    answeredWithinSl: 2,
    serviceLevel: 0.4,
    abandonRate: 0.2,
    transferRate: 0.6,
    containmentRate: 0.3,
    csat: 0.6667,
    csatAvg: 4,
    csatResponses: 3,
    fcr: 0.6,
    repeatCalls: 2,
    occupancy: 0.2248,
  });
  const day = await computeKpis(db, { from: startOfDay(now, 'UTC'), to: now }, 20_000);
  t.equal(day.offered, 11, 'today includes the 09:40 call');
  t.equal(day.contained, 4);
  t.equal(day.fcr, 0.6667, 'today: 4 of 6 numbered calls were first contacts');
  const shortFcr = await computeKpis(db, { from: new Date(now.getTime() - 15 * 60_000), to: now }, 20_000, 10 * 60_000);
  t.equal(shortFcr.fcr, 0.8, 'with a 10 min FCR window only c4 is a repeat: 4/5');
  const empty = await computeKpis(db, { from: new Date(d('00:00:00')), to: new Date(d('01:00:00')) }, 20_000);
  t.equal(empty.serviceLevel, null, 'no denominator → null, not 0');
  t.equal(empty.csat, null);
});

t.test('start of day in a zone', async (t) => {
  t.equal(startOfDay(new Date('2026-03-02T01:30:00Z'), 'Asia/Shanghai').toISOString(), '2026-03-01T16:00:00.000Z');
  t.equal(startOfDay(new Date('2026-03-02T17:30:00Z'), 'Asia/Shanghai').toISOString(), '2026-03-02T16:00:00.000Z');
  t.equal(startOfDay(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin').toISOString(), '2026-03-28T23:00:00.000Z');
});
