import t from 'tap';
import { callsPerHour, computeKpis, queueKpis, type Kpis } from '../../../daemon/telemetry/kpi.js';
import { migratedDb } from '../../helpers/store.js';

/**
 * The KPIs are SQL aggregates; this holds them to a plain JS computation of the same definitions
 * (kpi.ts's header) over a few hundred seeded, varied calls: every outcome, empty and missing
 * times, handoffs by queue or by ring only, waits around T, repeat callers, surveys on several
 * scales, agents changing state across the window's edges. A divergence in any figure fails.
 */

interface Call {
  id: string;
  direction: string;
  caller: string | null;
  offered_at: string;
  bot_ended_at: string | null;
  queued_at: string | null;
  queue_id: string | null;
  agent_ring_at: string | null;
  agent_answered_at: string | null;
  ended_at: string | null;
  outcome: string | null;
}
interface Survey { call_id: string; score: number; scale: number }
interface State { id: number; extension: string; state: string; at: string }

const ms = (s: string | null): number | null => (s ? Date.parse(s) : null);
const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10000) / 10000 : null);
const mean = (xs: number[]): number | null => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length / 100) / 10 : null);
const inbound = (c: Call, from: number, to: number): boolean => c.direction === 'inbound' && Date.parse(c.offered_at) >= from && Date.parse(c.offered_at) < to;

/** The call figures of a set of calls (rejected ones are not offered). */
function callFigures(all: readonly Call[], slMs: number): Pick<Kpis, 'offered' | 'contained' | 'transferred' | 'answered' | 'abandoned' | 'asa' | 'aht' | 'answeredWithinSl' | 'serviceLevel' | 'abandonRate' | 'transferRate' | 'containmentRate'> {
  const calls = all.filter((c) => c.outcome !== 'rejected');
  let contained = 0, transferred = 0, answered = 0, abandoned = 0, within = 0, slBase = 0;
  const waits: number[] = [], handles: number[] = [];
  for (const c of calls) {
    if (c.outcome === 'bot-resolved') contained++;
    if (c.outcome === 'abandoned') abandoned++;
    const handoff = ms(c.queued_at) ?? ms(c.agent_ring_at);
    const isTransferred = handoff !== null || c.outcome === 'transferred';
    if (isTransferred) transferred++;
    const ans = ms(c.agent_answered_at);
    if (ans !== null) {
      answered++;
      const wait = ans - (handoff ?? ms(c.bot_ended_at) ?? Date.parse(c.offered_at));
      waits.push(wait);
      if (wait <= slMs) within++;
      const end = ms(c.ended_at);
      if (end !== null) handles.push(end - ans);
    }
    if (isTransferred && (ans !== null || c.ended_at !== null)) slBase++;
  }
  const offered = calls.length;
  return {
    offered, contained, transferred, answered, abandoned,
    asa: mean(waits), aht: mean(handles), answeredWithinSl: within, serviceLevel: ratio(within, slBase),
    abandonRate: ratio(abandoned, offered), transferRate: ratio(transferred, offered), containmentRate: ratio(contained, offered),
  };
}

function reference(calls: readonly Call[], surveys: readonly Survey[], states: readonly State[], from: number, to: number, slMs: number, fcrMs: number): Kpis {
  const inWindow = calls.filter((c) => inbound(c, from, to));
  let numbered = 0, repeats = 0;
  for (const c of inWindow) {
    if (c.outcome === 'rejected' || !c.caller) continue;
    numbered++;
    const at = Date.parse(c.offered_at);
    const earlier = calls.filter((p) => p.caller === c.caller && p.direction === 'inbound' && p.id !== c.id && Date.parse(p.offered_at) < at).map((p) => Date.parse(p.offered_at));
    if (earlier.length && at - Math.max(...earlier) <= fcrMs) repeats++;
  }
  const ids = new Set(inWindow.map((c) => c.id));
  const answers = surveys.filter((s) => ids.has(s.call_id) && s.scale > 0);
  // Occupancy: each agent's last change before the window (highest id) and those within it.
  let staffed = 0, occupied = 0;
  for (const ext of new Set(states.map((s) => s.extension))) {
    const mine = states.filter((s) => s.extension === ext);
    const before = mine.filter((s) => Date.parse(s.at) < from).sort((a, b) => b.id - a.id)[0];
    const changes = [...(before ? [before] : []), ...mine.filter((s) => s !== before && Date.parse(s.at) >= from && Date.parse(s.at) < to)]
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id - b.id);
    changes.forEach((c, i) => {
      const next = changes[i + 1];
      const len = Math.min(to, next ? Date.parse(next.at) : to) - Math.max(from, Date.parse(c.at));
      if (len <= 0) return;
      if (['available', 'ringing', 'busy', 'wrap-up'].includes(c.state)) staffed += len;
      if (['busy', 'wrap-up'].includes(c.state)) occupied += len;
    });
  }
  return {
    ...callFigures(inWindow, slMs),
    csat: ratio(answers.filter((s) => s.score >= 0.8 * s.scale).length, answers.length),
    csatAvg: answers.length ? Math.round((answers.reduce((a, s) => a + (s.score * 5) / s.scale, 0) / answers.length) * 100) / 100 : null,
    csatResponses: answers.length,
    fcr: ratio(numbered - repeats, numbered),
    repeatCalls: repeats,
    occupancy: ratio(occupied, staffed),
  };
}

/** mulberry32: the same varied day on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = Date.UTC(2026, 2, 2);
const iso = (t: number): string => new Date(t).toISOString();

function seededDay(seed: number, n: number): { calls: Call[]; surveys: Survey[]; states: State[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const calls: Call[] = [];
  const surveys: Survey[] = [];
  for (let i = 0; i < n; i++) {
    // From the evening before to the next morning, with milliseconds; a few on exact window edges.
    const offered = r() < 0.03 ? DAY + 10 * 3_600_000 : DAY - 6 * 3_600_000 + Math.floor(r() * 36 * 3_600_000);
    let t = offered + Math.floor(r() * 40_000);
    const kind = pick(['bot', 'bot', 'queue', 'queue', 'queue', 'ring', 'abandon', 'rejected', 'voicemail', 'open', 'transferred-only']);
    const c: Call = {
      id: `c${i}`, direction: r() < 0.08 ? 'outbound' : 'inbound', caller: pick([null, '', '+861', '+862', '+863', '+864', '+865', `+87${i}`]),
      offered_at: iso(offered), bot_ended_at: null, queued_at: null, queue_id: null, agent_ring_at: null, agent_answered_at: null, ended_at: null, outcome: null,
    };
    const wait = pick([0, 5_000, 19_999, 20_000, 20_001, 45_000, Math.floor(r() * 120_000)]);
    if (r() < 0.5) c.bot_ended_at = iso(t);
    if (kind === 'bot') { c.outcome = 'bot-resolved'; c.ended_at = iso(t + 1000); }
    if (kind === 'rejected') { c.outcome = 'rejected'; c.ended_at = iso(offered); }
    if (kind === 'voicemail') { c.outcome = 'voicemail'; c.ended_at = iso(t + 30_000); }
    if (kind === 'transferred-only') { c.outcome = 'transferred'; c.agent_answered_at = r() < 0.5 ? iso(t + wait) : null; c.ended_at = iso(t + wait + 60_000); }
    if (kind === 'queue' || kind === 'abandon' || kind === 'open') {
      c.queue_id = pick(['sales', 'support', 'billing']);
      c.queued_at = r() < 0.1 ? '' : iso(t);
      c.agent_ring_at = r() < 0.7 ? iso(t + 500) : null;
      t += wait;
      if (kind === 'queue') { c.agent_answered_at = iso(t); c.ended_at = r() < 0.9 ? iso(t + Math.floor(r() * 600_000)) : null; c.outcome = pick(['transferred', null]); }
      if (kind === 'abandon') { c.ended_at = r() < 0.1 ? '' : iso(t); c.outcome = 'abandoned'; }
    }
    if (kind === 'ring') { c.agent_ring_at = iso(t); c.agent_answered_at = r() < 0.7 ? iso(t + wait) : null; c.ended_at = iso(t + wait + 90_000); c.outcome = pick(['transferred', 'abandoned']); }
    calls.push(c);
    if (r() < 0.3) surveys.push({ call_id: c.id, score: Math.floor(r() * 6), scale: pick([5, 5, 5, 10, 3, 0]) });
  }
  const states: State[] = [];
  for (let id = 1; id <= 300; id++) {
    states.push({ id, extension: pick(['801', '802', '803', '804']), state: pick(['available', 'ringing', 'busy', 'wrap-up', 'paused', 'logged-out', 'unreachable']), at: iso(DAY - 8 * 3_600_000 + Math.floor(r() * 40 * 3_600_000)) });
  }
  return { calls, surveys, states };
}

t.test('SQL KPIs equal a plain JS computation over a seeded day', async (t) => {
  const { db } = await migratedDb(t);
  const { calls, surveys, states } = seededDay(17, 600);
  await db.run('BEGIN');
  for (const c of calls) {
    await db.run(
      'INSERT INTO calls (id, line_id, direction, caller, offered_at, answered_at, bot_ended_at, queued_at, queue_id, agent_ring_at, agent_answered_at, ended_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [c.id, 'gsm1', c.direction, c.caller, c.offered_at, c.offered_at, c.bot_ended_at, c.queued_at, c.queue_id, c.agent_ring_at, c.agent_answered_at, c.ended_at, c.outcome],
    );
  }
  for (const s of surveys) await db.run('INSERT INTO surveys (call_id, score, scale, at) VALUES (?, ?, ?, ?)', [s.call_id, s.score, s.scale, iso(DAY)]);
  for (const s of states) await db.run('INSERT INTO agent_state_log (id, extension, state, at) VALUES (?, ?, ?, ?)', [s.id, s.extension, s.state, s.at]);
  await db.run('COMMIT');

  const windows: [string, number, number][] = [
    ['the day', DAY, DAY + 86_400_000],
    ['15 minutes', DAY + 10 * 3_600_000 - 15 * 60_000 + 1, DAY + 10 * 3_600_000 + 1],
    ['an afternoon', DAY + 13 * 3_600_000 + 123, DAY + 18 * 3_600_000],
    ['the day before', DAY - 86_400_000, DAY],
  ];
  let compared = 0;
  for (const [name, from, to] of windows) {
    for (const [sl, fcr] of [[20_000, 24 * 3_600_000], [45_000, 3_600_000]] as const) {
      const want = reference(calls, surveys, states, from, to, sl, fcr);
      t.same(await computeKpis(db, { from: new Date(from), to: new Date(to) }, sl, fcr), want, `${name}, T ${sl / 1000} s, FCR ${fcr / 3_600_000} h`);
      compared += want.offered;
    }
  }
  const day = reference(calls, surveys, states, DAY, DAY + 86_400_000, 20_000, 24 * 3_600_000);
  t.ok(day.offered > 250 && day.answered > 40 && day.repeatCalls > 10 && day.csatResponses > 30 && (day.occupancy ?? 0) > 0, 'the seeded day has every kind of figure to compare');
  t.ok(compared > 600, 'several windows compared');

  // Per queue since midnight, and calls per hour.
  const since = DAY;
  const queued = calls.filter((c) => c.queue_id !== null && inbound(c, since, Infinity));
  const wantQueues = [...new Set(queued.map((c) => c.queue_id!))].sort().map((q) => {
    const k = callFigures(queued.filter((c) => c.queue_id === q), 20_000);
    return { queue: q, offered: k.offered, answered: k.answered, abandoned: k.abandoned, serviceLevel: k.serviceLevel };
  });
  t.same((await queueKpis(db, new Date(since), 20_000)).sort((a, b) => a.queue.localeCompare(b.queue)), wantQueues, 'per-queue figures');
  const perHour = Array.from({ length: 24 }, () => 0);
  for (const c of calls.filter((c) => inbound(c, since, Infinity))) perHour[Math.min(23, Math.floor((Date.parse(c.offered_at) - since) / 3_600_000))]!++;
  t.same(await callsPerHour(db, new Date(since)), perHour, 'calls per hour');
  t.ok(perHour[23]! > 0 && perHour[10]! > 0, 'later calls land in the last hour');
});
