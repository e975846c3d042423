import type { Db } from '../store/db.js';

/**
 * Contact-centre KPIs over a window of calls, from the calls table (the CDR the call core fills)
 * and surveys. A call belongs to the window in which it was offered. Definitions (also in README):
 *
 * - offered: inbound calls offered to the box.
 * - contained: calls the bot resolved (outcome bot-resolved).
 * - transferred: calls handed to agents (queued, or an agent's phone rang, or outcome transferred).
 * - answered: calls an agent answered.
 * - abandoned: outcome abandoned (the caller hung up before being served).
 * - ASA: mean time from handoff (queued_at, else agent_ring_at) to agent answer, answered calls.
 * - AHT: mean time from agent answer to call end, answered and ended calls (talk and hold; after-call work is not in the CDR).
 * - service level: transferred calls answered within T of handoff / transferred calls no longer
 *   waiting (answered or ended). Abandoned calls count in the denominator however short their wait.
 * - abandon rate = abandoned / offered; transfer rate = transferred / offered; containment rate = contained / offered.
 * - CSAT: share of survey answers in the top two points of a 5-point scale (score ≥ 0.8 × scale),
 *   with the mean score and the number of answers; null when nobody answered.
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
}

const ms = (s: string | null): number | null => (s ? Date.parse(s) : null);
const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10000) / 10000 : null);
const mean = (xs: number[]): number | null => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) / 100) / 10 : null);

/** KPIs of a set of calls (pure; `serviceLevelMs` is T). */
export function kpisOf(calls: readonly CallRow[], surveys: readonly SurveyRow[], serviceLevelMs: number): Kpis {
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
  };
}

/** KPIs of the calls offered in [from, to). Times in the store are ISO 8601 UTC, so they compare as text. */
export async function computeKpis(db: Pick<Db, 'all'>, window: { from: Date; to: Date }, serviceLevelMs: number): Promise<Kpis> {
  const args = [window.from.toISOString(), window.to.toISOString()];
  const calls = await db.all<CallRow>(
    "SELECT offered_at, bot_ended_at, queued_at, agent_ring_at, agent_answered_at, ended_at, outcome FROM calls WHERE direction = 'inbound' AND offered_at >= ? AND offered_at < ?",
    args,
  );
  const surveys = await db.all<SurveyRow>(
    "SELECT s.score, s.scale FROM surveys s JOIN calls c ON c.id = s.call_id WHERE c.direction = 'inbound' AND c.offered_at >= ? AND c.offered_at < ?",
    args,
  );
  return kpisOf(calls, surveys, serviceLevelMs);
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
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(t / 1000) * 1000;
  };
  const p = parts(now.getTime());
  const localMidnightAsUtc = Date.UTC(p.year!, p.month! - 1, p.day!);
  let guess = localMidnightAsUtc - offset(localMidnightAsUtc);
  guess = localMidnightAsUtc - offset(guess); // second pass settles a DST change near midnight
  return new Date(guess);
}
