import type { QualityFinding } from '../bus/events.js';
import type { QualityConfig, QualityRuleConfig } from '../config/schema.js';
import { durationMs } from '../config/duration.js';
import { normalize, PhraseMatcher, Synonyms } from '../bot/understand.js';
import type { AudioMeasures } from './analyse.js';

/** Everything measured about one agent call (null: not available, e.g. no recording, no survey). */
export interface CallFacts {
  callId: string;
  agent?: string;
  audio?: AudioMeasures;
  /** Seconds from handoff to the agent's answer. */
  waitS: number | null;
  transfers: number;
  /** Times the call was put on hold after the agent answered, and the seconds on hold. */
  holds: number;
  holdS: number;
  /** The caller's negative-emotion reading (0..1) of their first and last utterance. */
  emotionStart: number | null;
  emotionEnd: number | null;
  surveyOffered: boolean;
  /** On a 5-point scale. */
  surveyScore: number | null;
  /** What was said, seconds after the agent answered. */
  transcript: { speaker: string; atS: number; text: string }[];
}

export const DEFAULT_RULES: QualityRuleConfig[] = [
  { id: 'dead-air', metric: 'dead_air', above: 8, weight: 30, severity: 'major' },
  { id: 'over-talk', metric: 'over_talk', above: 3, weight: 25, severity: 'major' },
  { id: 'slow-first-word', metric: 'agent_first_word', above: 5, weight: 10, severity: 'minor' },
  { id: 'long-wait', metric: 'wait', above: 60, weight: 10, severity: 'minor' },
  { id: 'caller-upset-at-end', metric: 'caller_emotion_end', above: 0.7, weight: 20, severity: 'major' },
  { id: 'low-survey', metric: 'survey_score', below: 3, weight: 20, severity: 'major' },
];

/** The measured values by metric name, as stored and published with the score. */
export function metricsOf(f: CallFacts): Record<string, number | null> {
  const a = f.audio;
  return {
    dead_air: a ? (a.deadAir ? Math.round((a.deadAir.toS - a.deadAir.fromS) * 10) / 10 : 0) : null,
    over_talk: a ? a.overTalkS : null,
    agent_first_word: a?.agentFirstWordS ?? null,
    agent_talk_ratio: a ? a.agentTalkRatio : null,
    caller_talk_ratio: a ? a.callerTalkRatio : null,
    silence_ratio: a ? a.silenceRatio : null,
    wait: f.waitS,
    transfers: f.transfers,
    holds: f.holds,
    hold_time: f.holdS,
    caller_emotion_start: f.emotionStart,
    caller_emotion_end: f.emotionEnd,
    survey_score: f.surveyScore,
    survey_offered: f.surveyOffered ? 1 : 0,
    duration: a ? a.durationS : null,
  };
}

/** Where in the call a metric's finding points (seconds after the agent answered). */
function atOf(metric: string, f: CallFacts): number | undefined {
  if (metric === 'dead_air') return f.audio?.deadAir?.fromS;
  if (metric === 'over_talk') return f.audio?.longestOverTalk?.fromS;
  if (metric === 'agent_first_word') return f.audio?.agentFirstWordS;
  return undefined;
}

export interface Score {
  score: number;
  flagged: boolean;
  findings: QualityFinding[];
  metrics: Record<string, number | null>;
}

/** Apply the rules: 100 minus the weights of the rules that fired; flagged under flag_below or on a critical rule. */
export function scoreCall(f: CallFacts, cfg: QualityConfig | undefined): Score {
  const rules = cfg?.rules ?? DEFAULT_RULES;
  const metrics = metricsOf(f);
  const findings: QualityFinding[] = [];
  for (const r of rules) {
    const severity = r.severity ?? 'minor';
    if ('metric' in r) {
      const v = metrics[r.metric];
      if (v === null || v === undefined) continue;
      const fired = (r.above !== undefined && v > r.above) || (r.below !== undefined && v < r.below);
      if (!fired) continue;
      const at = atOf(r.metric, f);
      findings.push({ rule: r.id, severity, weight: r.weight, value: v, ...(at !== undefined ? { atS: at } : {}), detail: `${r.metric} ${v} ${r.above !== undefined && v > r.above ? `> ${r.above}` : `< ${r.below}`}` });
    } else if ('require' in r) {
      const found = findPhrase(f.transcript, r.require, r.speaker ?? 'agent', r.within ? durationMs(r.within) / 1000 : undefined, r.at ?? 'start');
      // No transcript at all: the rule cannot be judged (no speech model), so it does not fire.
      if (found === undefined && hasText(f.transcript, r.speaker ?? 'agent')) findings.push({ rule: r.id, severity, weight: r.weight, value: null, detail: `none of: ${r.require.join(' / ')}` });
    } else {
      const hit = findForbidden(f.transcript, r.forbid, r.speaker ?? 'agent');
      if (hit) findings.push({ rule: r.id, severity, weight: r.weight, value: hit.word, atS: hit.atS, detail: `said "${hit.word}"` });
    }
  }
  const score = Math.max(0, 100 - findings.reduce((s, x) => s + x.weight, 0));
  const flagged = score < (cfg?.flag_below ?? 80) || findings.some((x) => x.severity === 'critical');
  return { score, flagged, findings, metrics };
}

const bySpeaker = (t: CallFacts['transcript'], speaker: string): CallFacts['transcript'] => t.filter((u) => u.text && (speaker === 'any' || u.speaker === speaker));
const hasText = (t: CallFacts['transcript'], speaker: string): boolean => bySpeaker(t, speaker).length > 0;

/** The first utterance holding one of the phrases (fuzzy, as the bot understands), within the window. */
function findPhrase(t: CallFacts['transcript'], phrases: string[], speaker: string, withinS: number | undefined, at: 'start' | 'end'): number | undefined {
  const said = bySpeaker(t, speaker);
  const end = said.reduce((m, u) => Math.max(m, u.atS), 0);
  const m = new PhraseMatcher([{ value: 1, phrases }], new Synonyms());
  const hit = said.find((u) => (withinS === undefined || (at === 'start' ? u.atS <= withinS : u.atS >= end - withinS)) && m.match(u.text));
  return hit?.atS;
}

function findForbidden(t: CallFacts['transcript'], words: string[], speaker: string): { word: string; atS: number } | undefined {
  for (const u of bySpeaker(t, speaker)) {
    const text = ` ${normalize(u.text)} `;
    for (const w of words) {
      const n = normalize(w);
      if (/[\u3400-\u9fff]/u.test(n) ? text.includes(n) : text.includes(` ${n} `)) return { word: w, atS: u.atS };
    }
  }
  return undefined;
}
