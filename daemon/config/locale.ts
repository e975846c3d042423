import type { Config } from './schema.js';

/** The language calls are run in when the config names none (bot.language, then language). */
export const DEFAULT_LANGUAGE = 'zh-CN';

/** The language of calls under a config: bot.language, else the box's language, else zh-CN. `override`: a caller's own (CRM, VIP list). */
export function callLanguage(cfg: Pick<Config, 'bot' | 'language'>, override?: string): string {
  return override ?? cfg.bot.language ?? cfg.language ?? DEFAULT_LANGUAGE;
}

/** Which of the two built-in text tables a language uses. */
export function textTable(lang: string): 'zh' | 'en' {
  return lang.startsWith('zh') ? 'zh' : 'en';
}

/** The text of a table for a language (the zh table for any zh-*, else en). */
export function textIn<Z, E = Z>(texts: { readonly zh: Z; readonly en: E }, lang: string): Z | E {
  return textTable(lang) === 'zh' ? texts.zh : texts.en;
}

/** The TTS voice prompts are spoken in: speech.tts.voice, else by the call language (espeak-ng's cmn or en). */
export function promptVoice(cfg: Pick<Config, 'bot' | 'language' | 'speech'>): string {
  return cfg.speech?.tts?.voice ?? (textTable(callLanguage(cfg)) === 'zh' ? 'cmn' : 'en');
}

/** The locale in force, for features that hold a config getter (handed to extensions as a service). */
export interface Locale {
  /** The language of calls (see callLanguage). */
  language(): string;
  /** The built-in text table for it. */
  table(): 'zh' | 'en';
}

export function localeOf(config: () => Pick<Config, 'bot' | 'language'>): Locale {
  return { language: () => callLanguage(config()), table: () => textTable(callLanguage(config())) };
}
