import type { BotConfig } from '../config/schema.js';

/**
 * The language a call runs in (issue 15). The bot's texts are one language, or zh and en versions
 * ({ zh, en }); a caller whose language is known (customer record, CRM lookup) gets theirs when the
 * greeting has a version in it, else the bot's language. The bot's language tag is kept when the
 * caller's is the same language (en-GB for an en-US bot), so ASR models and voices stay as configured.
 */
export function callLanguage(bot: BotConfig, botLanguage: string, callerLanguage: string | undefined): string {
  if (!callerLanguage) return botLanguage;
  const family = (tag: string): 'zh' | 'en' | undefined => (tag.startsWith('zh') ? 'zh' : tag.startsWith('en') ? 'en' : undefined);
  const want = family(callerLanguage);
  if (!want || want === family(botLanguage)) return botLanguage;
  return typeof bot.greeting === 'object' && bot.greeting[want] !== undefined ? callerLanguage : botLanguage;
}

/** The TTS voice: speech.tts.voice for the bot's language, espeak-ng's own voice for the other one. */
export function voiceFor(language: string, botLanguage: string, configured: string | undefined): string {
  const standard = language.startsWith('zh') ? 'cmn' : 'en';
  return language === botLanguage ? (configured ?? standard) : standard;
}
