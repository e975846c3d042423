import type { Db } from '../store/db.js';

/**
 * Contact-centre KPIs over a window of calls, from the calls table (the CDR the call core fills)
 * and surveys. A call belongs to the window in which it was offered. Definitions (also in README):
 *
 * - offered: inbound calls offered to the box (not those a line rejects by config: outcome rejected).
 * - contained: calls the bot resolved (outcome bot-resolved: the bot ended the call, or the caller hung
 *   up after the bot had served them something; silence through the greeting is abandoned).
 * - transferred: calls handed to agents (queued, or an agent's phone rang, or outcome transferred).
 * - answered: calls an agent answered.
 * - abandoned: outcome abandoned (the caller hung up before being served).
 * - ASA: mean time from handoff (queued_at, else agent_ring_at) to the agent picking up (before any whisper), answered calls.
 * - AHT: mean time from agent answer to call end, answered and ended calls (talk and hold; after-call work is not in the CDR).
 * - service level: transferred calls answered within T of handoff / transferred calls no longer
 *   waiting (answered or ended). Abandoned calls count in the denominator however short their wait.
 * - abandon rate = abandoned / offered; transfer rate = transferred / offered; containment rate = contained / offered.
 * - CSAT: share of survey answers in the top two points of a 5-point scale (score ≥ 0.8 × scale),
 *   with the mean score and the number of answers; null when nobody answered.
 * - FCR (first-contact resolution): calls with a known number that are not a repeat, i.e. whose
 *   number had not called within the FCR window (mqtt.fcr_window, default 24h) before, ÷ calls
 *   with a known number; repeatCalls counts the repeats.
 * - occupancy: agents' time busy on calls or in wrap-up ÷ their staffed time (available, ringing,
 *   busy, wrap-up; not paused, logged out or unreachable), within the window, from agent_state_log.
 * Rates and times are null when their denominator is 0.
 */

export interface CallRow {
  offered_at: string;
  bot_ended_at: string | null;
  queued_at: string | null;
  agent_ring_at: string | null;
  agent_answered_at: string | null;
  ended_at: string | null;
  outcome: string | null;
  caller?: string | null;
  /** The same number's latest earlier inbound call, if any. */
  prev_offered_at?: string | null;
}

export interface AgentStateRow {
  extension: string;
  state: string;
  at: string;
}

export interface SurveyRow {
  score: number;
  scale: number;
}

export interface Kpis {
  offered: number;
  contained: number;
  transferred: number;
  answered: number;
  abandoned: number;
  /** seconds */
  asa: number | null;
  /** seconds */
  aht: number | null;
  answeredWithinSl: number;
  serviceLevel: number | null;
  abandonRate: number | null;
  transferRate: number | null;
  containmentRate: number | null;
  csat: number | null;
  csatAvg: number | null;
  csatResponses: number;
  fcr: number | null;
  repeatCalls: number;
  occupancy: number | null;
}

const ms = (s: string | null): number | null => (s ? Date.parse(s) : null);
const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10000) / 10000 : null);
const mean = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) / 100) / 10 : null);

/** Agent states that count as staffed, and those of them that count as occupied. */
const STAFFED = new Set(['available', 'ringing', 'busy', 'wrap-up']);
const OCCUPIED = new Set(['busy', 'wrap-up']);

/** Occupancy over [from, to) from each agent's state changes (the state at `from` included), ordered by time. */
export function occupancyOf(rows: readonly AgentStateRow[], from: number, to: number): number | null {
  const byAgent = new Map<string, AgentStateRow[]>();
  for (const r of rows) {
    const list = byAgent.get(r.extension);
    if (list) list.push(r);
    else byAgent.set(r.extension, [r]);
  }
  let staffed = 0, occupied = 0;
  for (const changes of byAgent.values()) {
    changes.forEach((c, i) => {
      const start = Math.max(from, Date.parse(c.at));
      const end = Math.min(to, i + 1 < changes.length ? Date.parse(changes[i + 1]!.at) : to);
      if (end <= start) return;
      if (STAFFED.has(c.state)) staffed += end - start;
      if (OCCUPIED.has(c.state)) occupied += end - start;
    });
  }
  return ratio(occupied, staffed);
}

export interface KpiOptions {
  /** A call from a number that called within this long before is a repeat (FCR). */
  fcrWindowMs: number;
  /** Agent state changes for occupancy, with the window's bounds. */
  agentStates?: { rows: readonly AgentStateRow[]; from: number; to: number };
}

/** KPIs of a set of calls (pure; `serviceLevelMs` is T). Calls a line rejected by config are not counted. */
export function kpisOf(allCalls: readonly CallRow[], surveys: readonly SurveyRow[], serviceLevelMs: number, opts: KpiOptions = { fcrWindowMs: 24 * 3600_000 }): Kpis {
  const calls = allCalls.filter((c) => c.outcome !== 'rejected');
  let withNumber = 0, repeats = 0;
  for (const c of calls) {
    if (!c.caller) continue;
    withNumber++;
    const prev = ms(c.prev_offered_at ?? null);
    if (prev !== null && ms(c.offered_at)! - prev <= opts.fcrWindowMs) repeats++;
  }
  let contained = 0, transferred = 0, answered = 0, abandoned = 0, withinSl = 0, slBase = 0;
  const waits: number[] = [];
  const handles: number[] = [];
  for (const c of calls) {
    if (c.outcome === 'bot-resolved') contained++;
    if (c.outcome === 'abandoned') abandoned++;
    const handoff = ms(c.queued_at) ?? ms(c.agent_ring_at);
    const isTransferred = handoff !== null || c.outcome === 'transferred';
    if (isTransferred) transferred++;
    const ans = ms(c.agent_answered_at);
    if (ans !== null) {
      answered++;
      const from = handoff ?? ms(c.bot_ended_at) ?? ms(c.offered_at)!;
      waits.push(ans - from);
      if (ans - from <= serviceLevelMs) withinSl++;
      const end = ms(c.ended_at);
      if (end !== null) handles.push(end - ans);
    }
    if (isTransferred && (ans !== null || c.ended_at !== null)) slBase++;
  }
  const offered = calls.length;
  const scores = surveys.filter((s) => s.scale > 0);
  return {
    offered,
    contained,
    transferred,
    answered,
    abandoned,
    asa: mean(waits),
    aht: mean(handles),
    answeredWithinSl: withinSl,
    serviceLevel: ratio(withinSl, slBase),
    abandonRate: ratio(abandoned, offered),
    transferRate: ratio(transferred, offered),
    containmentRate: ratio(contained, offered),
    csat: ratio(scores.filter((s) => s.score >= 0.8 * s.scale).length, scores.length),
    csatAvg: scores.length ? Math.round((scores.reduce((a, s) => a + (s.score * 5) / s.scale, 0) / scores.length) * 100) / 100 : null,
    csatResponses: scores.length,
    fcr: ratio(withNumber - repeats, withNumber),
    repeatCalls: repeats,
    occupancy: opts.agentStates ? occupancyOf(opts.agentStates.rows, opts.agentStates.from, opts.agentStates.to) : null,
  };
}

/** KPIs of the calls offered in [from, to). Times in the store are ISO 8601 UTC, so they compare as text. */
export async function computeKpis(db: Pick<Db, 'all'>, window: { from: Date; to: Date }, serviceLevelMs: number, fcrWindowMs = 24 * 3600_000): Promise<Kpis> {
  const args = [window.from.toISOString(), window.to.toISOString()];
  const calls = await db.all<CallRow>(
    `SELECT offered_at, bot_ended_at, queued_at, agent_ring_at, agent_answered_at, ended_at, outcome, caller,
       (SELECT MAX(p.offered_at) FROM calls p WHERE p.caller = c.caller AND p.direction = 'inbound' AND p.offered_at < c.offered_at AND p.id <> c.id) AS prev_offered_at
     FROM calls c WHERE direction = 'inbound' AND offered_at >= ? AND offered_at < ?`,
    args,
  );
  // Each agent's state at the window's start, then every change within it.
  const states = await db.all<AgentStateRow>(
    `SELECT extension, state, at FROM agent_state_log
     WHERE (at >= ?1 AND at < ?2) OR id IN (SELECT MAX(id) FROM agent_state_log WHERE at < ?1 GROUP BY extension)
     ORDER BY at, id`,
    args,
  );
  const surveys = await db.all<SurveyRow>(
    "SELECT s.score, s.scale FROM surveys s JOIN calls c ON c.id = s.call_id WHERE c.direction = 'inbound' AND c.offered_at >= ? AND c.offered_at < ?",
    args,
  );
  return kpisOf(calls, surveys, serviceLevelMs, { fcrWindowMs, agentStates: { rows: states, from: window.from.getTime(), to: window.to.getTime() } });
}

/** Midnight of `now`'s day in an IANA time zone (the box's local zone when none is given). */
export function startOfDay(now: Date, timeZone?: string): Date {
  if (!timeZone) {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    return d;
  }
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const parts = (t: number): Record<string, number> => Object.fromEntries(fmt.formatToParts(new Date(t)).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  const offset = (t: number): number => {
    const p = parts(t);
    return Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
  };
  const p = parts(now.getTime());
  const localMidnightAsUtc = Date.UTC(p.year!, p.month! - 1, p.day);
  let guess = localMidnightAsUtc - offset(localMidnightAsUtc);
  guess = localMidnightAsUtc - offset(guess); // second pass settles a DST change near midnight
  return new Date(guess);
}
