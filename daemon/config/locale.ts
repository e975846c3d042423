import type { BotConfig, Config } from './schema.js';

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

/**
 * The language one caller's call runs in (issue 15). The bot's texts are one language, or zh and en
 * versions ({ zh, en }); a caller whose language is known (customer record, CRM lookup) gets theirs
 * when the greeting has a version in it, else the bot's language. The bot's language tag is kept
 * when the caller's is the same language (en-GB for an en-US bot), so ASR models and voices stay as
 * configured.
 */
export function languageForCaller(bot: BotConfig, botLanguage: string, callerLanguage: string | undefined): string {
  if (!callerLanguage) return botLanguage;
  const family = (tag: string): 'zh' | 'en' | undefined => (tag.startsWith('zh') ? 'zh' : tag.startsWith('en') ? 'en' : undefined);
  const want = family(callerLanguage);
  if (!want || want === family(botLanguage)) return botLanguage;
  return typeof bot.greeting === 'object' && bot.greeting[want] !== undefined ? callerLanguage : botLanguage;
}

/** The TTS voice: speech.tts.voice for the bot's language, espeak-ng's own voice (cmn or en) for the other one. */
export function voiceFor(language: string, botLanguage: string, configured: string | undefined): string {
  const standard = textTable(language) === 'zh' ? 'cmn' : 'en';
  return language === botLanguage ? (configured ?? standard) : standard;
}

/** The TTS voice prompts in the bot's language are spoken in: speech.tts.voice, else cmn or en. */
export function promptVoice(cfg: Pick<Config, 'bot' | 'language' | 'speech'>): string {
  const lang = callLanguage(cfg);
  return voiceFor(lang, lang, cfg.speech?.tts?.voice);
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
