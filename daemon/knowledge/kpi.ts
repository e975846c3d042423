import type { Db } from '../store/db.js';

export interface KnowledgeKpis {
  /** Answers the bot gave from the knowledge base. */
  kbAnswered: number;
  /** Questions it could not answer: no-match utterances and common-questions menu misses. */
  kbUnanswered: number;
  /** kbAnswered ÷ (kbAnswered + kbUnanswered); null when nobody asked. */
  faqHitRate: number | null;
  /** Calls the bot resolved (outcome bot-resolved) with at least one knowledge-base answer. */
  kbContained: number;
  /** kbContained ÷ offered. */
  kbContainmentRate: number | null;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 10000) / 10000 : null);

/** Knowledge-base KPIs of the calls offered in [from, to) (same windows as the other KPIs). */
export async function knowledgeKpis(db: Pick<Db, 'get'>, w: { from: Date; to: Date }): Promise<KnowledgeKpis> {
  const args = [w.from.toISOString(), w.to.toISOString()];
  const r = await db.get<{ answered: number | null; unanswered: number | null }>(
    `SELECT SUM(k.entry_id IS NOT NULL) AS answered, SUM(k.entry_id IS NULL) AS unanswered
       FROM kb_log k JOIN calls c ON c.id = k.call_id WHERE c.offered_at >= ? AND c.offered_at < ?`,
    args,
  );
  const c = await db.get<{ offered: number; contained: number | null }>(
    `SELECT COUNT(*) AS offered,
            SUM(outcome = 'bot-resolved' AND EXISTS (SELECT 1 FROM kb_log k WHERE k.call_id = calls.id AND k.entry_id IS NOT NULL)) AS contained
       FROM calls WHERE direction = 'inbound' AND offered_at >= ? AND offered_at < ?`,
    args,
  );
  const answered = r?.answered ?? 0;
  const unanswered = r?.unanswered ?? 0;
  const contained = c?.contained ?? 0;
  return { kbAnswered: answered, kbUnanswered: unanswered, faqHitRate: ratio(answered, answered + unanswered), kbContained: contained, kbContainmentRate: ratio(contained, c?.offered ?? 0) };
}
