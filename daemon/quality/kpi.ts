import type { Db } from '../store/db.js';

export interface QualityGroup {
  scored: number;
  avgScore: number | null;
  flagged: number;
}

export interface QualityKpis extends QualityGroup {
  /** Per agent extension. */
  agents: Record<string, QualityGroup>;
}

/** Quality scores of the calls offered in [from, to): overall and per agent. */
export async function qualityKpis(db: Pick<Db, 'all'>, w: { from: Date; to: Date }): Promise<QualityKpis> {
  const rows = await db.all<{ agent: string | null; scored: number; avg: number | null; flagged: number }>(
    `SELECT q.agent AS agent, COUNT(*) AS scored, AVG(q.score) AS avg, SUM(q.flagged) AS flagged
       FROM quality_scores q JOIN calls c ON c.id = q.call_id WHERE c.offered_at >= ? AND c.offered_at < ? GROUP BY q.agent`,
    [w.from.toISOString(), w.to.toISOString()],
  );
  const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
  const agents: Record<string, QualityGroup> = {};
  let scored = 0, sum = 0, flagged = 0;
  for (const r of rows) {
    scored += r.scored;
    sum += (r.avg ?? 0) * r.scored;
    flagged += r.flagged;
    if (r.agent) agents[r.agent] = { scored: r.scored, avgScore: round(r.avg), flagged: r.flagged };
  }
  return { scored, avgScore: scored ? round(sum / scored) : null, flagged, agents };
}
