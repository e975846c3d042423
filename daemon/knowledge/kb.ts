import type { Config, KnowledgeConfig } from '../config/schema.js';
import type { KbEntryView, KnowledgeSource } from '../bot/knowledge.js';
import { fillPlaceholders } from './placeholders.js';

export type KbLang = 'zh' | 'en';
export const KB_LANGS: readonly KbLang[] = ['zh', 'en'];

/** One entry as the installer wrote it (YAML, or a CSV row). */
export interface KbEntry {
  id: string;
  title?: Partial<Record<KbLang, string>>;
  ask: Partial<Record<KbLang, string[]>>;
  keywords?: string[];
  answer: Partial<Record<KbLang, string>>;
  then?: string;
  menu?: boolean;
}

export interface KbFile {
  languages?: KbLang[];
  synonyms?: Record<string, string[]>;
  entries: KbEntry[];
}

/**
 * A loaded, valid knowledge base as the bot sees it. Hit counts come from outside (the store, kept
 * current from the bus) so the menu order follows what callers actually ask.
 */
export class KnowledgeBase implements KnowledgeSource {
  readonly menuSize: number;
  readonly menuSay?: string;

  constructor(
    readonly data: KbFile,
    /** The config in force, read per call (placeholders). */
    private readonly config: () => Config,
    private readonly hits: (id: string) => number,
    /** sha256 of the file. */
    readonly hash: string,
    menu: KnowledgeConfig['menu'] = {},
  ) {
    this.menuSize = menu.size ?? 5;
    if (menu.say) this.menuSay = menu.say;
  }

  entries(lang: KbLang, now = new Date()): KbEntryView[] {
    const cfg = this.config();
    return this.data.entries.map((e) => {
      const answer = e.answer[lang] ?? e.answer[lang === 'zh' ? 'en' : 'zh'] ?? '';
      const ask = e.ask[lang] ?? [];
      return {
        id: e.id,
        title: e.title?.[lang] ?? ask[0] ?? e.id,
        answer: fillPlaceholders(answer, cfg, lang, now),
        phrases: [...ask, ...(e.keywords ?? [])],
        ...(e.then ? { then: e.then } : {}),
        menu: e.menu !== false,
      };
    });
  }

  /** Menu entries, most asked first; equal counts keep the file's order. */
  menuOrder(): string[] {
    return this.data.entries
      .map((e, i) => ({ e, i, n: this.hits(e.id) }))
      .filter((x) => x.e.menu !== false)
      .sort((a, b) => b.n - a.n || a.i - b.i)
      .map((x) => x.e.id);
  }

  synonyms(): Record<string, string[]> {
    return this.data.synonyms ?? {};
  }
}
