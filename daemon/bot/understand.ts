/**
 * Understanding caller transcripts (zh and en) without a language model: normalise, map synonyms,
 * then fuzzy phrase matching. Chinese is compared character by character and English word by word
 * (a word within one edit of a long word counts), scoring a phrase by the longest common
 * subsequence of its units found within a short span of the utterance. So 更改密码 ≈ 修改密码 (3 of
 * 4 characters) and "I want to reset my password" contains "reset password".
 */

export const DEFAULT_HANDOFF_PHRASES = ['人工', '转人工', '人工服务', '客服', '真人', '接线员', 'agent', 'operator', 'human', 'representative', 'real person', 'customer service', 'speak to someone', 'talk to someone'];

/** canonical ← variants, applied before matching (the installer's synonyms are added to these). */
const BUILTIN_SYNONYMS: Record<string, string[]> = {
  修改: ['更改', '改变', '变更'],
  忘记: ['忘了'],
  账号: ['账户', '帐号', '帐户'],
  人工: ['人工服务', '真人', '接线员'],
  客服: ['客户服务'],
  password: ['passcode', 'pass word'],
  agent: ['representative', 'operator'],
};

const NEGATIVE = {
  zh: ['生气', '气死', '愤怒', '投诉', '太差', '差劲', '垃圾', '骗子', '退钱', '废物', '搞什么', '不满', '受够', '混蛋', '坑人', '烦死', '什么破', '太慢', '没用'],
  en: ['angry', 'furious', 'ridiculous', 'terrible', 'awful', 'useless', 'unacceptable', 'complaint', 'complain', 'scam', 'hate', 'worst', 'stupid', 'fed up', 'sick of', 'disgusting', 'rubbish', 'nonsense', 'outrageous'],
};

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/u;

/** Lower case, full-width → half-width, punctuation dropped, spaces between CJK characters removed. */
export function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/([\u3400-\u9fff]) (?=[\u3400-\u9fff])/gu, '$1')
    .trim();
}

export class Synonyms {
  private readonly pairs: [string, string][] = [];
  /** Several maps (the bot's, the knowledge base's) add up, word by word. */
  constructor(...extras: Record<string, string[]>[]) {
    const all: Record<string, string[]> = { ...BUILTIN_SYNONYMS };
    for (const extra of extras) for (const [k, v] of Object.entries(extra)) all[normalize(k)] = [...(all[normalize(k)] ?? []), ...v];
    for (const [canon, variants] of Object.entries(all)) for (const v of variants) this.pairs.push([normalize(v), canon]);
    // Longest variants first, so 人工服务 is replaced before 人工 could be.
    this.pairs.sort((a, b) => b[0].length - a[0].length);
  }

  apply(normalized: string): string {
    let s = ` ${normalized} `;
    for (const [v, canon] of this.pairs) {
      if (CJK.test(v)) s = s.split(v).join(canon);
      else s = s.split(` ${v} `).join(` ${canon} `);
    }
    return s.trim();
  }
}

/** Units of a normalised string: CJK characters one by one, other words whole. */
export function units(s: string): string[] {
  const out: string[] = [];
  for (const word of s.split(' ')) {
    if (!word) continue;
    let latin = '';
    for (const ch of word) {
      if (CJK.test(ch)) {
        if (latin) out.push(latin);
        latin = '';
        out.push(ch);
      } else latin += ch;
    }
    if (latin) out.push(latin);
  }
  return out;
}

function sameUnit(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length < 4 || b.length < 4 || Math.abs(a.length - b.length) > 1) return false;
  return editDistance(a, b) <= 1;
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** How well an utterance contains a phrase (both as units), 0..1. */
export function phraseScore(utt: readonly string[], phrase: readonly string[]): number {
  const m = phrase.length;
  if (m === 0 || utt.length === 0) return 0;
  const span = 2 * m + 2; // matched units must sit close together, not scattered over a long sentence
  let best = 0;
  for (let start = 0; start < utt.length && best < m; start++) {
    if (!sameUnit(utt[start]!, phrase[0]!) && !phrase.some((p) => sameUnit(utt[start]!, p))) continue;
    const w = utt.slice(start, start + span);
    // LCS of the window and the phrase.
    const dp = Array.from({ length: w.length + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = 1; i <= w.length; i++) for (let j = 1; j <= m; j++) dp[i]![j] = sameUnit(w[i - 1]!, phrase[j - 1]!) ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
    best = Math.max(best, dp[w.length]![m]!);
  }
  return best / m;
}

export interface Candidate<T> {
  value: T;
  phrases: readonly string[];
}

export interface Match<T> {
  value: T;
  phrase: string;
  score: number;
}

/**
 * A matcher over a fixed set of candidates (prepared once per call: normalised, synonyms applied).
 */
export class PhraseMatcher<T> {
  private readonly prepared: { value: T; phrase: string; units: string[] }[];
  constructor(
    candidates: readonly Candidate<T>[],
    private readonly syn: Synonyms,
    private readonly threshold = 0.75,
  ) {
    this.prepared = candidates
      .flatMap((c) => c.phrases.map((p) => ({ value: c.value, phrase: p, units: units(syn.apply(normalize(p))) })))
      .filter((p) => p.units.length > 0);
  }

  /** The best candidate at or above the threshold (earlier candidates win ties). */
  match(text: string): Match<T> | undefined {
    const u = units(this.syn.apply(normalize(text)));
    const exact = new Set(u);
    const seen = new Map<string, boolean>();
    const present = (unit: string): boolean => {
      if (exact.has(unit)) return true;
      if (unit.length < 4) return false;
      let r = seen.get(unit);
      if (r === undefined) seen.set(unit, (r = u.some((x) => sameUnit(x, unit))));
      return r;
    };
    let best: Match<T> | undefined;
    for (const p of this.prepared) {
      // Cheap upper bound first: units of the phrase not in the utterance (not even one edit away)
      // cannot be matched, so the phrase cannot reach the threshold or
      // beat the best so far. Keeps large knowledge bases fast.
      let bound = 0;
      for (const unit of p.units) if (present(unit)) bound++;
      const limit = bound / p.units.length;
      if (limit < this.threshold || (best && limit <= best.score + 1e-9)) continue;
      const score = phraseScore(u, p.units);
      // A longer matched phrase is more specific: prefer it on equal scores.
      if (score >= this.threshold && (!best || score > best.score + 1e-9)) best = { value: p.value, phrase: p.phrase, score };
    }
    return best;
  }
}

/** Negative sentiment from words alone, 0..1: one strong word reads 0.8, each more adds 0.1. */
export function lexiconNegativity(text: string): number {
  const n = ` ${normalize(text)} `;
  let hits = 0;
  for (const w of NEGATIVE.zh) if (n.includes(w)) hits++;
  for (const w of NEGATIVE.en) if (n.includes(` ${w} `) || n.includes(` ${w}`)) hits++;
  return hits === 0 ? 0 : Math.min(1, 0.7 + 0.1 * hits);
}
