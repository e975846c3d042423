import { normalize, phraseScore, Synonyms, units } from '../bot/understand.js';
import type { KbEntryView } from '../bot/knowledge.js';

/**
 * Entries that match what a caller said or chose, best first, for the agent's screen. Unlike the
 * bot (one best answer), this ranks every entry by its best-matching phrase over all the texts.
 */
export function suggestEntries(entries: readonly KbEntryView[], texts: readonly string[], synonyms: Record<string, string[]>, opts: { max?: number; threshold?: number; answered?: readonly string[] } = {}): { entry: KbEntryView; score: number }[] {
  const syn = new Synonyms(synonyms);
  const heard = texts.map((t) => units(syn.apply(normalize(t)))).filter((u) => u.length);
  const out: { entry: KbEntryView; score: number; rank: number }[] = [];
  for (const e of entries) {
    // An entry the bot already answered on this call tops the list (the latest first): the caller still wanted a person.
    const answered = opts.answered?.lastIndexOf(e.id) ?? -1;
    let score = answered >= 0 ? 1.01 + answered / 1000 : 0;
    for (const p of e.phrases) {
      const pu = units(syn.apply(normalize(p)));
      for (const h of heard) score = Math.max(score, phraseScore(h, pu));
    }
    if (score >= (opts.threshold ?? 0.6)) out.push({ entry: e, score: Math.round(Math.min(1, score) * 100) / 100, rank: score });
  }
  return out.sort((a, b) => b.rank - a.rank).slice(0, opts.max ?? 3).map(({ entry, score }) => ({ entry, score }));
}
