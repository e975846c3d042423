import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/issues.js';
import type { Context, Extension, Prepared } from '../extension.js';
import type { KnowledgeSource } from '../bot/knowledge.js';
import { KnowledgeBase } from './kb.js';
import { suggestEntries } from './suggest.js';
import { registerKnowledgeWriters } from './writers.js';
import { callLanguage, textTable } from '../config/locale.js';

/** What the knowledge base offers other features (the services' `knowledge` port). */
export interface KnowledgeService {
  /** The knowledge base in force; undefined when none is configured. */
  current(): KnowledgeSource | undefined;
  /** Entries matching a text, best first. */
  search(text: string, max?: number): { id: string; title: string; answer: string; score: number }[];
}

/**
 * The knowledge base as a daemon feature: loads and checks the file, keeps it current (file change,
 * SIGHUP, config reload; an invalid file keeps the one in force and raises `knowledge-invalid`),
 * keeps the hit counts the common-questions menu is ordered by (read from the store at start, then
 * counted from `kb.answered` on the bus), and at handoff publishes `kb.suggested`: the entries that
 * match what the caller said or chose, for the agent's screen.
 */
export class KnowledgeExtension implements Extension, KnowledgeService {
  readonly name = 'knowledge';
  readonly writers = registerKnowledgeWriters;
  private ctx!: Context;
  private kb: KnowledgeBase | undefined;
  private file: string | undefined;
  private readonly hits = new Map<string, number>();
  private watcher: FSWatcher | undefined;
  private watchedFile: string | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly offs: (() => void)[] = [];
  /** What each call in progress said or chose, for suggestions at handoff. */
  private readonly heard = new Map<string, { texts: string[]; answered: string[] }>();
  private invalid = false;

  /** The knowledge base in force (for the call core); undefined when none is configured. */
  current(): KnowledgeSource | undefined {
    return this.kb;
  }

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    // A store that cannot be read now (not open yet) must not stop the daemon from starting.
    for (const r of await ctx.db.all<{ entry_id: string; hits: number }>('SELECT entry_id, hits FROM kb_hits').catch(() => [])) this.hits.set(r.entry_id, r.hits);
    const bus = ctx.bus;
    this.offs.push(
      bus.on('kb.answered', (e) => {
        this.hits.set(e.data.entry, (this.hits.get(e.data.entry) ?? 0) + 1);
        this.note(e.data.callId).answered.push(e.data.entry);
      }),
      bus.on('bot.turn', (e) => {
        if (e.data.input.kind === 'speech' && e.data.input.value) this.note(e.data.callId).texts.push(e.data.input.value);
      }),
      bus.on('handoff.requested', (e) => this.suggest(e.data.callId)),
      bus.on('call.ended', (e) => void this.heard.delete(e.data.callId)),
      ctx.services.knowledge.provide(this),
    );
    // A broken file at start stops the daemon like a broken config would (check-config catches both).
    await this.load(ctx.config());
  }

  private note(callId: string): { texts: string[]; answered: string[] } {
    let n = this.heard.get(callId);
    if (!n) this.heard.set(callId, (n = { texts: [], answered: [] }));
    return n;
  }

  private suggest(callId: string): void {
    const kb = this.kb;
    const n = this.heard.get(callId);
    if (!kb || !n) return;
    const cfg = this.ctx.config();
    const lang = textTable(callLanguage(cfg));
    const found = suggestEntries(kb.entries(lang), n.texts, kb.synonyms(), { answered: n.answered });
    if (!found.length) return;
    const data = { callId, entries: found.map((f) => ({ id: f.entry.id, title: f.entry.title, answer: f.entry.answer, score: f.score })) };
    this.ctx.log.info({ event: 'kb.suggested', ...data }, 'kb.suggested');
    this.ctx.bus.emit('kb.suggested', data);
  }

  /** Entries matching a text, best first (a search box). */
  search(text: string, max = 5): { id: string; title: string; answer: string; score: number }[] {
    const kb = this.kb;
    if (!kb) return [];
    const cfg = this.ctx.config();
    const lang = textTable(callLanguage(cfg));
    return suggestEntries(kb.entries(lang), [text], kb.synonyms(), { max, threshold: 0.5 }).map((f) => ({ id: f.entry.id, title: f.entry.title, answer: f.entry.answer, score: f.score }));
  }

  /** Load the knowledge base for a config; throws ConfigError (nothing changes) when it is invalid. */
  private async load(cfg: Config): Promise<void> {
    (await this.read(cfg))();
  }

  /** Read and check the file a config names; returns what puts it in force. Throws ConfigError when it is invalid. */
  private async read(cfg: Config): Promise<() => void> {
    const k = cfg.knowledge;
    if (!k) {
      return () => {
        this.kb = undefined;
        this.file = undefined;
        this.watch(undefined);
      };
    }
    // The loader (YAML parser, schema validator) only for a config that has a knowledge base.
    const { knowledgePath, loadKnowledgeFile } = await import('./load.js');
    const file = knowledgePath(this.ctx.daemon?.configFile?.() ?? `${process.cwd()}/frontdesk.yaml`, k.file);
    const loaded = await loadKnowledgeFile(file, cfg);
    return () => {
      const changed = loaded.hash !== this.kb?.hash || file !== this.file;
      this.kb = new KnowledgeBase(loaded.data, () => this.ctx.config(), (id) => this.hits.get(id) ?? 0, loaded.hash, k.menu);
      this.file = file;
      this.watch(file);
      this.setInvalid(false, '');
      if (changed) this.ctx.log.info({ file, entries: loaded.data.entries.length, hash: loaded.hash.slice(0, 12) }, 'knowledge base loaded');
    };
  }

  /** Re-read the file (a change on disk, SIGHUP); an invalid file keeps the one in force. */
  async reread(): Promise<void> {
    try {
      await this.load(this.ctx.config());
    } catch (err) {
      const errors = err instanceof ConfigError ? err.message.split('\n') : [String(err)];
      this.ctx.log.error({ errors, file: this.file }, 'knowledge base rejected; keeping the one in force');
      this.setInvalid(true, `${this.file}: ${errors[0] ?? ''}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`);
    }
  }

  private setInvalid(on: boolean, message: string): void {
    if (on === this.invalid) return;
    this.invalid = on;
    this.ctx.bus.emit('alarm', { code: 'knowledge-invalid', source: 'knowledge', severity: 'warning', active: on, message: on ? message : 'knowledge base valid again' });
  }

  /** Watch the directory (editors replace files by rename), debounced. */
  private watch(file: string | undefined): void {
    if (this.watcher && file === this.watchedFile) return;
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedFile = file;
    if (!file) return;
    try {
      const name = basename(file);
      const w = watch(dirname(file), (_ev, f) => {
        if (f && f.toString() !== name) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reread(), 300);
      });
      w.on('error', (err) => this.ctx.log.warn({ err }, 'knowledge base: cannot watch the file; changes apply on reload'));
      w.unref();
      this.watcher = w;
    } catch (err) {
      this.ctx.log.warn({ err, file }, 'knowledge base: cannot watch the file; changes apply on reload');
    }
  }

  /** A new config: the knowledge base must be valid with it (hours, queues, languages), or the reload is refused. */
  async prepare(next: Config): Promise<Prepared> {
    const apply = await this.read(next);
    return { commit: async () => apply() };
  }

  async stop(): Promise<void> {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    for (const off of this.offs.splice(0)) off();
  }
}
