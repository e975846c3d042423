import type { KbVia } from '../bus/events.js';

/**
 * What the bot needs from a knowledge base (daemon/knowledge implements it; the bot does not import
 * it, so the dependency runs one way). Entries come in the call's language with config values
 * already filled into the answers.
 */
export interface KbEntryView {
  id: string;
  /** Short name read out in the common-questions menu. */
  title: string;
  answer: string;
  /** Question variants and keywords, for speech. */
  phrases: string[];
  /** Follow-up after the answer, as a menu shorthand (agent, queue:<id>, collect:<slot>, hangup, voicemail, menu), or ticket (a ticket for the call, then the menu). */
  then?: string;
  /** Offered in the common-questions menu. */
  menu: boolean;
}

export interface KnowledgeSource {
  entries(lang: 'zh' | 'en'): KbEntryView[];
  /** Menu entries' ids, most asked first. */
  menuOrder(): string[];
  synonyms(): Record<string, string[]>;
  readonly menuSize: number;
  readonly menuSay?: string;
}

export type KnowledgeEvent = { type: 'kb.answered'; entry: string; via: KbVia } | { type: 'kb.unanswered'; via: KbVia; text: string };

/** Key that reads the next page of the common-questions menu. */
export const NEXT_PAGE_KEY = '9';

/** The spoken common-questions menu for one page of entries. */
export function faqMenuText(page: KbEntryView[], zh: boolean, opts: { intro?: string; more: boolean }): string {
  const parts: string[] = [opts.intro ?? (zh ? '常见问题。' : 'Common questions.')];
  page.forEach((e, i) => parts.push(zh ? `${e.title}请按${i + 1}。` : `For ${e.title}, press ${i + 1}.`));
  if (opts.more) parts.push(zh ? `更多问题请按${NEXT_PAGE_KEY}。` : `For more questions, press ${NEXT_PAGE_KEY}.`);
  parts.push(zh ? '返回请按星号键。' : 'To go back, press star.');
  return parts.join(zh ? '' : ' ');
}
