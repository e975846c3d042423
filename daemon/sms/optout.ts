/** Words that stop SMS to a number (China's 退订/TD convention, and the usual English ones). */
export const DEFAULT_OPT_OUT_WORDS = ['退订', 'TD', 'T', 'STOP', 'UNSUBSCRIBE'];

/**
 * Is this reply an opt-out? The whole message, trimmed, case-insensitive, with trailing punctuation
 * ignored: "退订", "stop!" yes; "please don't stop" no (a sentence mentioning the word is not a request).
 */
export function optOutWord(text: string, words: readonly string[]): string | undefined {
  const t = text.trim().replace(/[\s.!。!]+$/u, '').toUpperCase();
  return words.find((w) => w.toUpperCase() === t);
}
