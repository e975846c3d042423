import type { BotConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { textIn } from '../config/locale.js';

export type SurveyConfig = NonNullable<BotConfig['survey']>;

/** The survey's scale: keys 1..5. */
export const SURVEY_SCALE = 5;

/** What the survey needs from the call: say a text (a key cuts it short) and read keys. */
export interface SurveyIo {
  say(text: string, signal: AbortSignal): Promise<void>;
  nextDigit(timeoutMs: number, signal: AbortSignal): Promise<string | undefined>;
  /** Forget keys pressed before the question. */
  clear(): void;
}

const THANKS = { zh: '谢谢您的评价,再见。', en: 'Thank you for your rating. Goodbye.' };

/** Whether a call that ended this way is asked. */
export function surveyApplies(cfg: SurveyConfig | undefined, after: 'agent' | 'bot'): cfg is SurveyConfig {
  if (!cfg) return false;
  return after === 'agent' ? cfg.after_agent !== false : cfg.after_bot === true;
}

/** Whether a score triggers the low-score action. */
export function isLowScore(cfg: SurveyConfig, score: number): boolean {
  return cfg.low_score !== undefined && score <= (cfg.low_score.at_most ?? 2);
}

/**
 * Ask the survey question and read one key 1..5 (a key pressed during the question counts). A
 * wrong key gets the question once more; silence or a second wrong key is no answer (undefined).
 */
export async function askSurvey(io: SurveyIo, cfg: SurveyConfig, language: string, signal: AbortSignal): Promise<number | undefined> {
  const timeoutMs = durationOr(cfg.timeout, '8s');
  io.clear();
  for (let attempt = 0; attempt < 2 && !signal.aborted; attempt++) {
    await io.say(cfg.say, signal);
    const d = await io.nextDigit(timeoutMs, signal);
    if (d === undefined) return undefined;
    const score = Number(d);
    if (Number.isInteger(score) && score >= 1 && score <= SURVEY_SCALE) {
      if (!signal.aborted) await io.say(cfg.thanks ?? textIn(THANKS, language), signal);
      return score;
    }
  }
  return undefined;
}
