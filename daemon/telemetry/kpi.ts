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

const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10000) / 10000 : null);
/** Mean of a sum of ms over n, in seconds with one decimal. */
const meanS = (sumMs: number | null, n: number): number | null => (n > 0 && sumMs !== null ? Math.round(sumMs / n / 100) / 10 : null);

/*
 * The KPIs are aggregated in SQL: node-sqlite3 runs a query on libuv's thread pool, so the main
 * thread (calls' audio) only sees a few result rows, however many calls the window holds. Times are
 * ISO 8601 text; julianday() keeps whole milliseconds, so ROUND((a - b) * 86400000) is exactly
 * Date.parse(a) - Date.parse(b). An empty time counts as none (NULLIF), as the definitions say.
 */
const MS = (a: string, b: string): string => `ROUND((${a} - ${b}) * 86400000)`;

/** One row per call in the window, its times as julian days; calls a line rejected are not offered. */
const callsCte = (where: string, withPrev: boolean): string => `WITH c AS (
  SELECT c.queue_id, c.outcome, c.ended_at IS NOT NULL AS has_end,
    julianday(c.offered_at) AS offered,
    julianday(COALESCE(NULLIF(c.queued_at, ''), NULLIF(c.agent_ring_at, ''))) AS handoff,
    julianday(COALESCE(NULLIF(c.queued_at, ''), NULLIF(c.agent_ring_at, ''), NULLIF(c.bot_ended_at, ''), c.offered_at)) AS wait_from,
    julianday(NULLIF(c.agent_answered_at, '')) AS ans,
    julianday(NULLIF(c.ended_at, '')) AS ended,
    ${withPrev ? `COALESCE(c.caller, '') <> '' AS numbered,
    CASE WHEN COALESCE(c.caller, '') <> '' THEN julianday((SELECT MAX(p.offered_at) FROM calls p
      WHERE p.caller = c.caller AND p.direction = 'inbound' AND p.offered_at < c.offered_at AND p.id <> c.id)) END AS prev` : '0 AS numbered, NULL AS prev'}
  FROM calls c WHERE c.direction = 'inbound' AND c.outcome IS NOT 'rejected' AND ${where}
), k AS (
  SELECT *, handoff IS NOT NULL OR outcome IS 'transferred' AS transferred, ${MS('ans', 'wait_from')} AS wait FROM c
)`;

/** The call counts of the definitions above, with the service level T and the FCR window (ms) as bound parameters. */
const callAggregates = (sl: string, fcr: string): string => `COUNT(*) AS offered,
    COUNT(*) FILTER (WHERE outcome IS 'bot-resolved') AS contained,
    COUNT(*) FILTER (WHERE transferred) AS transferred,
    COUNT(ans) AS answered,
    COUNT(*) FILTER (WHERE outcome IS 'abandoned') AS abandoned,
    SUM(wait) AS wait_sum,
    COUNT(*) FILTER (WHERE wait <= ${sl}) AS within_sl,
    SUM(${MS('ended', 'ans')}) AS handle_sum,
    COUNT(*) FILTER (WHERE ans IS NOT NULL AND ended IS NOT NULL) AS handled,
    COUNT(*) FILTER (WHERE transferred AND (ans IS NOT NULL OR has_end)) AS sl_base,
    COUNT(*) FILTER (WHERE numbered) AS numbered,
    COUNT(*) FILTER (WHERE numbered AND ${MS('offered', 'prev')} <= ${fcr}) AS repeats`; // no prev: NULL, not counted (and the subquery runs once)

interface CallAggregates {
  offered: number;
  contained: number;
  transferred: number;
  answered: number;
  abandoned: number;
  wait_sum: number | null;
  within_sl: number;
  handle_sum: number | null;
  handled: number;
  sl_base: number;
  numbered: number;
  repeats: number;
}

const WINDOW_CALLS_SQL = `${callsCte('c.offered_at >= ?1 AND c.offered_at < ?2', true)} SELECT ${callAggregates('?3', '?4')} FROM k`;

const SURVEYS_SQL = `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE s.score >= 0.8 * s.scale) AS top, TOTAL(s.score * 5.0 / s.scale) AS sum5
  FROM surveys s JOIN calls c ON c.id = s.call_id
  WHERE c.direction = 'inbound' AND c.offered_at >= ?1 AND c.offered_at < ?2 AND s.scale > 0`;

/**
 * Occupancy over [?3, ?4) (epoch ms; ?1, ?2 the same as ISO text): each agent's state at the
 * window's start and every change within it, each lasting until the agent's next change (or the
 * window's end), clipped to the window. Staffed: available, ringing, busy, wrap-up; occupied: busy, wrap-up.
 */
const EPOCH_MS = (t: string): string => MS(`julianday(${t})`, '2440587.5');
const OCCUPANCY_SQL = `WITH s AS (
  SELECT state, ${EPOCH_MS('at')} AS t, LEAD(${EPOCH_MS('at')}) OVER (PARTITION BY extension ORDER BY at, id) AS next
  FROM agent_state_log
  WHERE (at >= ?1 AND at < ?2) OR id IN (SELECT MAX(id) FROM agent_state_log WHERE at < ?1 GROUP BY extension)
), span AS (
  SELECT state, MIN(?4, COALESCE(next, ?4)) - MAX(?3, t) AS len FROM s
)
SELECT TOTAL(len) FILTER (WHERE state IN ('available', 'ringing', 'busy', 'wrap-up')) AS staffed,
  TOTAL(len) FILTER (WHERE state IN ('busy', 'wrap-up')) AS occupied
FROM span WHERE len > 0`;

/** KPIs of the calls offered in [from, to). Times in the store are ISO 8601 UTC, so they compare as text. */
export async function computeKpis(db: Pick<Db, 'all'>, window: { from: Date; to: Date }, serviceLevelMs: number, fcrWindowMs = 24 * 3600_000): Promise<Kpis> {
  const from = window.from.toISOString(), to = window.to.toISOString();
  const [calls] = await db.all<CallAggregates>(WINDOW_CALLS_SQL, [from, to, serviceLevelMs, fcrWindowMs]);
  const [surveys] = await db.all<{ n: number; top: number; sum5: number }>(SURVEYS_SQL, [from, to]);
  const [occ] = await db.all<{ staffed: number; occupied: number }>(OCCUPANCY_SQL, [from, to, window.from.getTime(), window.to.getTime()]);
  if (!calls || !surveys || !occ) throw new Error('KPI aggregate returned no row');
  const k = callKpis(calls);
  return {
    ...k,
    csat: ratio(surveys.top, surveys.n),
    csatAvg: surveys.n ? Math.round((surveys.sum5 / surveys.n) * 100) / 100 : null,
    csatResponses: surveys.n,
    fcr: ratio(calls.numbered - calls.repeats, calls.numbered),
    repeatCalls: calls.repeats,
    occupancy: ratio(occ.occupied, occ.staffed),
  };
}

function callKpis(a: CallAggregates): Omit<Kpis, 'csat' | 'csatAvg' | 'csatResponses' | 'fcr' | 'repeatCalls' | 'occupancy'> {
  return {
    offered: a.offered,
    contained: a.contained,
    transferred: a.transferred,
    answered: a.answered,
    abandoned: a.abandoned,
    asa: meanS(a.wait_sum, a.answered),
    aht: meanS(a.handle_sum, a.handled),
    answeredWithinSl: a.within_sl,
    serviceLevel: ratio(a.within_sl, a.sl_base),
    abandonRate: ratio(a.abandoned, a.offered),
    transferRate: ratio(a.transferred, a.offered),
    containmentRate: ratio(a.contained, a.offered),
  };
}

export interface QueueKpis {
  queue: string;
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
}

const QUEUE_CALLS_SQL = `${callsCte('c.queue_id IS NOT NULL AND c.offered_at >= ?1', false)}
  SELECT queue_id AS queue, ${callAggregates('?2', '0')} FROM k GROUP BY queue_id`;

/** Per-queue counts and service level of the calls offered since `from` (the definitions above). */
export async function queueKpis(db: Pick<Db, 'all'>, from: Date, serviceLevelMs: number): Promise<QueueKpis[]> {
  const rows = await db.all<CallAggregates & { queue: string }>(QUEUE_CALLS_SQL, [from.toISOString(), serviceLevelMs]);
  return rows.map((r) => {
    const k = callKpis(r);
    return { queue: r.queue, offered: k.offered, answered: k.answered, abandoned: k.abandoned, serviceLevel: k.serviceLevel };
  });
}

/** Inbound calls offered in each hour since `from` (24 counts; later ones count in the last hour). */
export async function callsPerHour(db: Pick<Db, 'all'>, from: Date): Promise<number[]> {
  const rows = await db.all<{ h: number | null; n: number }>(
    `SELECT MIN(23, CAST(${MS('julianday(offered_at)', 'julianday(?1)')} AS INTEGER) / 3600000) AS h, COUNT(*) AS n
     FROM calls WHERE direction = 'inbound' AND offered_at >= ?1 GROUP BY h`,
    [from.toISOString()],
  );
  const perHour = Array.from({ length: 24 }, () => 0);
  for (const r of rows) if (r.h !== null) perHour[r.h] = r.n;
  return perHour;
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
