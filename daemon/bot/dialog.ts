import type { BotConfig, MenuActionConfig } from '../config/schema.js';
import type { HandoffReason } from '../bus/events.js';
import { durationOr } from '../config/duration.js';
import { DEFAULT_HANDOFF_PHRASES, PhraseMatcher, Synonyms, lexiconNegativity, normalize } from './understand.js';
import { NEXT_PAGE_KEY, faqMenuText, type KbEntryView, type KnowledgeEvent, type KnowledgeSource } from './knowledge.js';
import { callLanguage, textTable } from '../config/locale.js';
import { favourites, localText, offers, type MenuId, type Text } from './menu-offer.js';

/**
 * The bot's dialog as a pure state machine: inputs (a digit, a silence timeout, later an utterance)
 * in, a Step out (what to say, then what to do). No audio, no timers: the call runner plays the
 * prompts and feeds the inputs, so every flow can be unit-tested.
 */

export interface Say {
  text: string;
  /** A recorded prompt id (prompts_dir/<id>.wav) that wins over text-to-speech. */
  prompt?: string;
}

export type Next =
  | { kind: 'listen'; timeoutMs: number }
  | { kind: 'handoff'; queue?: string; reason: HandoffReason }
  | { kind: 'voicemail' }
  | { kind: 'hangup' };

export interface Step {
  say: Say[];
  next: Next;
  /** Something a feature does before the rest is said (a knowledge entry's then: ticket): its words go in at `at`. */
  followUp?: { action: 'ticket'; at: number; subject: string; entry: string };
}

/**
 * What the caller did. An utterance carries its transcript when ASR is running (absent otherwise)
 * and the emotion reading of it (scores by label; 'negative' is the model's negative share).
 */
export type Input = { kind: 'digit'; digit: string } | { kind: 'timeout' } | { kind: 'speech'; text?: string; confidence?: number; emotion?: { label: string; score: number; scores: Record<string, number> } };

type Understood = { kind: 'handoff' } | { kind: 'intent'; index: number } | { kind: 'faq'; index: number } | { kind: 'kb'; id: string };

type Keys = Record<string, MenuActionConfig>;
interface Menu {
  /** What offers the menu: its own text, then its labelled options (the caller's favourite first). */
  say: Say[];
  keys: Keys;
  path: string;
  /** The keys that open it from bot.menu through sub-menus ('' for bot.menu; none for the common-questions menu). */
  id?: MenuId;
  /** The common-questions menu: its entries in the order offered (fixed while it is open) and the page. */
  faq?: { ids: string[]; page: number };
}

interface Collecting {
  slot: string;
  digits: string;
  length?: number;
  min?: number;
  max?: number;
  then?: string;
}

export interface BotSummary {
  intent?: string;
  menuPath: string;
  slots: Record<string, string>;
  noMatch: number;
  noInput: number;
}

const DEFAULT_NO_MATCH_SAY = { zh: '对不起,我没有听懂。', en: 'Sorry, I did not understand that.' };
const DEFAULT_NO_INPUT_SAY = { zh: '您还在吗?', en: 'Are you still there?' };

export class BotSession {
  private readonly stack: Menu[] = [];
  private collecting: Collecting | undefined;
  private noMatch = 0;
  private noInput = 0;
  private intent: string | undefined;
  private readonly slots: Record<string, string> = {};
  private readonly path: string[] = [];
  private readonly zh: boolean;
  /** Built on the first utterance: most calls (DTMF only) never need it, and it costs more than the rest of the session. */
  private matcherBuilt: PhraseMatcher<Understood> | undefined;
  /** Utterances in a row whose emotion reading passed the handoff threshold. */
  private upset = 0;
  /** Asked "are you calling about <queue> again?": 1 goes there. */
  private confirmingRepeat: string | undefined;
  /** Knowledge-base entries in the call's language, by id. */
  private readonly kb = new Map<string, KbEntryView>();
  /** The caller's most-chosen key of each menu, from their earlier calls (personalised menus only). */
  private readonly favourite: Map<MenuId, string>;

  constructor(
    private readonly bot: BotConfig,
    /**
     * repeatQueue: the queue this caller was in on a recent call (bot.repeat_caller); menuHistory: the
     * menu paths of the caller's earlier calls, newest first (personalised menus).
     */
    private readonly opts: { language?: string; vip?: boolean; repeatQueue?: string; menuHistory?: readonly string[]; knowledge?: KnowledgeSource; onKnowledge?: (e: KnowledgeEvent) => void } = {},
  ) {
    this.zh = textTable(callLanguage({ bot }, opts.language)) === 'zh';
    for (const e of opts.knowledge?.entries(this.zh ? 'zh' : 'en') ?? []) this.kb.set(e.id, e);
    this.favourite = favourites(bot.menu ?? {}, opts.menuHistory ?? []);
    this.stack.push(this.openMenu(bot.greeting, bot.menu ?? {}, '', '', bot.menu_personalise === true));
  }

  private get matcher(): PhraseMatcher<Understood> {
    const bot = this.bot;
    // Handoff phrases first: on equal scores "转人工" beats an FAQ that happens to contain 人工.
    this.matcherBuilt ??= new PhraseMatcher<Understood>(
      [
        { value: { kind: 'handoff' }, phrases: [...(bot.handoff?.when?.phrases ?? []), ...DEFAULT_HANDOFF_PHRASES] },
        ...(bot.intents ?? []).map((it, index) => ({ value: { kind: 'intent' as const, index }, phrases: it.phrases })),
        ...(bot.faq ?? []).map((f, index) => ({ value: { kind: 'faq' as const, index }, phrases: f.ask })),
        ...[...this.kb.values()].map((e) => ({ value: { kind: 'kb' as const, id: e.id }, phrases: e.phrases })),
      ],
      new Synonyms(bot.synonyms ?? {}, this.opts.knowledge?.synonyms() ?? {}),
    );
    return this.matcherBuilt;
  }

  /** Every phrase the bot understands (for a recogniser grammar). */
  phrases(): string[] {
    return [...new Set([...(this.bot.handoff?.when?.phrases ?? []), ...DEFAULT_HANDOFF_PHRASES, ...(this.bot.intents ?? []).flatMap((i) => i.phrases), ...(this.bot.faq ?? []).flatMap((f) => f.ask), ...[...this.kb.values()].flatMap((e) => e.phrases)])];
  }

  private get listen(): Next {
    return { kind: 'listen', timeoutMs: durationOr(this.bot.no_input?.timeout, '8s') };
  }
  private get menu(): Menu {
    return this.stack[this.stack.length - 1]!;
  }

  /** A text in the call's language. */
  private t(text: Text | undefined): string {
    return localText(text, this.zh);
  }

  private says(text: Text | undefined): Say[] {
    const s = this.t(text);
    return s ? [{ text: s }] : [];
  }

  /** id: the keys that open this menu through sub-menus (its identity in the caller's history). */
  private openMenu(intro: Text, keys: Keys, path: string, id: MenuId, personalise: boolean): Menu {
    const offered = offers(keys, this.zh, personalise ? this.favourite.get(id) : undefined);
    return { say: [...this.says(intro), ...offered.map((o) => ({ text: o.text, ...(o.prompt ? { prompt: o.prompt } : {}) }))], keys, path, id };
  }

  /**
   * The first step: greeting and listen. VIP callers skip the greeting and go straight to the
   * queue (hearing bot.vip_greeting first when set), unless bot.handoff.when.vip is false.
   */
  start(): Step {
    if (this.opts.vip && this.bot.handoff?.when?.vip !== false) {
      this.intent = 'vip';
      return this.handoff(undefined, 'vip', this.says(this.bot.vip_greeting));
    }
    const r = this.bot.repeat_caller;
    if (r && this.opts.repeatQueue) {
      this.confirmingRepeat = this.opts.repeatQueue;
      const topic = r.topics?.[this.opts.repeatQueue] ?? this.opts.repeatQueue;
      return { say: [{ text: this.t(r.say).replace(/\{topic\}/g, topic) }], next: this.listen };
    }
    return { say: this.menu.say, next: this.listen };
  }

  input(ev: Input): Step {
    if (this.confirmingRepeat !== undefined) {
      const q = this.confirmingRepeat;
      this.confirmingRepeat = undefined;
      if (ev.kind === 'digit' && ev.digit === '1') {
        this.intent = `repeat:${q}`;
        return this.handoff(q, 'menu', []);
      }
      // Anything else: the usual menu; a key other than 2 counts as a menu choice at once.
      if (ev.kind !== 'digit' || ev.digit === '2') return { say: this.menu.say, next: this.listen };
    }
    if (ev.kind === 'timeout') return this.onTimeout();
    if (ev.kind === 'speech') return this.onSpeech(ev);
    this.noInput = 0;
    if (this.collecting) return this.collectDigit(ev.digit);
    if (this.menu.faq && ev.digit !== '0') return this.faqKey(ev.digit);
    const action = this.menu.keys[ev.digit];
    if (action === undefined) {
      // "0 for a human at any time", unless the installer gave 0 another meaning.
      if (ev.digit === '0') return this.act('agent', '0');
      return this.noMatchStep();
    }
    this.noMatch = 0;
    return this.act(action, ev.digit);
  }

  /** What a transcript would be understood as, without acting on it: 'kb:<id>', 'intent:<id>', 'faq:<n>', 'handoff' (for check-config). */
  understand(text: string): string | undefined {
    const u = this.matcher.match(text)?.value;
    if (!u) return undefined;
    return u.kind === 'handoff' ? 'handoff' : u.kind === 'kb' ? `kb:${u.id}` : u.kind === 'intent' ? `intent:${this.bot.intents![u.index]!.id}` : `faq:${u.index}`;
  }

  summary(): BotSummary {
    return { ...(this.intent ? { intent: this.intent } : {}), menuPath: this.path.join('>'), slots: { ...this.slots }, noMatch: this.noMatch, noInput: this.noInput };
  }

  // ---- speech ------------------------------------------------------------------------------------

  private onSpeech(ev: Extract<Input, { kind: 'speech' }>): Step {
    const text = ev.text?.trim() ?? '';
    const rule = this.bot.handoff?.when?.emotion;
    if (rule && this.bot.handoff && (ev.emotion || text)) {
      // The model's score for the configured label (its negative share when it has no such
      // label, e.g. the arousal-only baseline), combined with negative words in the transcript.
      const acoustic = ev.emotion ? (ev.emotion.scores[rule.label] ?? ev.emotion.scores['negative'] ?? 0) : 0;
      const score = Math.max(acoustic, text ? lexiconNegativity(text) : 0);
      this.upset = score > rule.above ? this.upset + 1 : 0;
      if (this.upset >= (rule.for ?? 2)) {
        this.intent ??= 'emotion';
        return this.handoff(undefined, 'emotion', []);
      }
    }
    // Speech heard but not transcribed (no ASR for this call): nothing to understand, keep listening.
    if (!text) return { say: [], next: this.listen };
    this.noInput = 0;
    if (this.collecting) return this.noMatchStep();
    const m = this.matcher.match(text);
    if (!m) {
      if (this.kb.size) this.opts.onKnowledge?.({ type: 'kb.unanswered', via: 'speech', text: normalize(text) });
      return this.noMatchStep();
    }
    this.noMatch = 0;
    const u = m.value;
    if (u.kind === 'handoff') {
      this.intent = 'agent';
      return this.handoff(undefined, 'requested', []);
    }
    if (u.kind === 'intent') {
      const it = this.bot.intents![u.index]!;
      this.intent = it.id;
      const say = this.says(it.say);
      if (it.queue) return this.handoff(it.queue, 'menu', say);
      return this.shorthand('menu', say);
    }
    if (u.kind === 'kb') return this.answer(this.kb.get(u.id)!, 'speech');
    const f = this.bot.faq![u.index]!;
    this.intent = `faq:${f.ask[0]}`;
    return this.shorthand(f.then ?? 'menu', this.says(f.say));
  }

  // ---- actions -----------------------------------------------------------------------------------

  private act(action: MenuActionConfig, key: string): Step {
    this.path.push(key);
    if (typeof action === 'string') return this.shorthand(action, []);
    const say: Say[] = [];
    if (action.say || action.prompt) say.push({ text: this.t(action.say), ...(action.prompt ? { prompt: action.prompt } : {}) });
    if (action.queue) {
      this.intent = `queue:${action.queue}`;
      return this.handoff(action.queue, 'menu', say);
    }
    if (action.menu) {
      const parent = this.menu.id;
      const sub = this.openMenu(action.menu.say, action.menu.keys, this.path.join('>'), parent ? `${parent}>${key}` : key, action.menu.personalise === true);
      this.stack.push(sub);
      return { say: [...say, ...sub.say], next: this.listen };
    }
    this.intent ??= `menu:${this.path.join('>')}`;
    return this.shorthand(action.then ?? 'menu', say);
  }

  private shorthand(s: string, say: Say[]): Step {
    if (s === 'agent') {
      this.intent = 'agent';
      return this.handoff(undefined, 'requested', say);
    }
    if (s.startsWith('queue:')) {
      this.intent = s;
      return this.handoff(s.slice(6), 'menu', say);
    }
    if (s === 'hangup') return { say: [...say, ...this.goodbye()], next: { kind: 'hangup' } };
    if (s === 'voicemail') return { say, next: { kind: 'voicemail' } };
    if (s === 'repeat') return { say: [...say, ...this.menu.say], next: this.listen };
    if (s === 'back') {
      if (this.stack.length > 1) this.stack.pop();
      return { say: [...say, ...this.menu.say], next: this.listen };
    }
    if (s.startsWith('collect:')) return this.startCollect(s.slice(8), say);
    if (s === 'faq') return this.openFaq(say);
    // 'menu': back to the current menu, inviting the next choice.
    return { say: [...say, ...this.says(this.bot.menu_prompt)], next: this.listen };
  }

  private handoff(queue: string | undefined, reason: HandoffReason, say: Say[]): Step {
    const q = queue ?? this.bot.handoff?.default_queue;
    return { say, next: { kind: 'handoff', ...(q ? { queue: q } : {}), reason } };
  }

  private goodbye(): Say[] {
    return this.says(this.bot.goodbye);
  }

  private noMatchStep(): Step {
    this.noMatch++;
    const limit = this.bot.handoff?.when?.no_match ?? 2;
    const sorry = this.t(this.bot.no_match_say) || (this.zh ? DEFAULT_NO_MATCH_SAY.zh : DEFAULT_NO_MATCH_SAY.en);
    if (this.noMatch >= limit && this.bot.handoff) {
      this.intent ??= 'no-match';
      return this.handoff(undefined, 'no-match', [{ text: sorry }]);
    }
    return { say: [{ text: sorry }, ...this.menu.say], next: this.listen };
  }

  private onTimeout(): Step {
    if (this.collecting) {
      const c = this.collecting;
      if (c.digits.length >= (c.min ?? c.length ?? 1)) return this.finishCollect();
    }
    this.noInput++;
    const repeats = this.bot.no_input?.repeats ?? 2;
    if (this.noInput > repeats) {
      if (this.bot.handoff && this.bot.handoff.when?.no_input !== undefined) {
        this.intent ??= 'no-input';
        return this.handoff(undefined, 'no-input', []);
      }
      return { say: this.goodbye(), next: { kind: 'hangup' } };
    }
    const prompt = this.t(this.bot.no_input?.say) || (this.zh ? DEFAULT_NO_INPUT_SAY.zh : DEFAULT_NO_INPUT_SAY.en);
    const again = this.collecting ? [{ text: this.collectPrompt() }] : this.menu.say;
    return { say: [{ text: prompt }, ...again], next: this.listen };
  }

  // ---- knowledge base: answers and the common-questions menu ----------------------------------------

  private answer(e: KbEntryView, via: 'speech' | 'menu'): Step {
    this.opts.onKnowledge?.({ type: 'kb.answered', entry: e.id, via });
    // then: ticket — the answer, the ticket's number (opened by the tickets feature), then the menu.
    const step = e.then === 'ticket' ? { ...this.shorthand('menu', [{ text: e.answer }]), followUp: { action: 'ticket' as const, at: 1, subject: e.title, entry: e.id } } : this.shorthand(e.then ?? 'menu', [{ text: e.answer }]);
    // A hand-off after the answer keeps the question as the reason the agent sees.
    this.intent = `kb:${e.id}`;
    return step;
  }

  /** Open the menu with the most-asked entries first; the order stays fixed while the caller is in it. */
  private openFaq(say: Say[]): Step {
    const ids = (this.opts.knowledge?.menuOrder() ?? []).filter((id) => this.kb.has(id));
    if (ids.length === 0) return { say: [...say, ...this.menu.say], next: this.listen };
    const menu: Menu = { say: [], keys: {}, path: this.path.join('>'), faq: { ids, page: 0 } };
    this.stack.push(menu);
    this.setFaqPage(menu, 0);
    return { say: [...say, ...menu.say], next: this.listen };
  }

  private setFaqPage(menu: Menu, page: number): void {
    const size = this.opts.knowledge?.menuSize ?? 5;
    const ids = menu.faq!.ids;
    menu.faq!.page = page;
    const entries = ids.slice(page * size, page * size + size).map((id) => this.kb.get(id)!);
    menu.say = [{ text: faqMenuText(entries, this.zh, { ...(this.opts.knowledge?.menuSay ? { intro: this.opts.knowledge.menuSay } : {}), more: ids.length > size }) }];
  }

  private faqKey(d: string): Step {
    const menu = this.menu;
    const { ids, page } = menu.faq!;
    const size = this.opts.knowledge?.menuSize ?? 5;
    if (d === '*') {
      this.path.push(d);
      return this.shorthand('back', []);
    }
    if (d === NEXT_PAGE_KEY && ids.length > size) {
      this.path.push(d);
      this.setFaqPage(menu, (page + 1) * size < ids.length ? page + 1 : 0);
      return { say: menu.say, next: this.listen };
    }
    const n = Number(d);
    const id = n >= 1 && n <= size ? ids[page * size + n - 1] : undefined;
    if (id === undefined) {
      // A key that offers nothing: the caller's question is not among the ones read out.
      this.opts.onKnowledge?.({ type: 'kb.unanswered', via: 'menu', text: `key ${d}` });
      return this.noMatchStep();
    }
    this.noMatch = 0;
    this.path.push(d);
    return this.answer(this.kb.get(id)!, 'menu');
  }

  // ---- slot capture ------------------------------------------------------------------------------

  private startCollect(slot: string, say: Say[]): Step {
    const spec = this.bot.collect?.[slot];
    if (!spec) return { say: [...say, ...this.menu.say], next: this.listen };
    this.collecting = { slot, digits: '', ...(spec.length ? { length: spec.length } : {}), ...(spec.min_length ? { min: spec.min_length } : {}), ...(spec.max_length ? { max: spec.max_length } : {}), ...(spec.then ? { then: spec.then } : {}) };
    return { say: [...say, ...this.says(spec.say)], next: this.listen };
  }

  private collectPrompt(): string {
    return this.t(this.bot.collect?.[this.collecting!.slot]?.say);
  }

  private collectDigit(d: string): Step {
    const c = this.collecting!;
    if (d === '#') return c.digits.length >= (c.min ?? c.length ?? 1) ? this.finishCollect() : this.noMatchStep();
    if (d === '*') {
      c.digits = '';
      return { say: [{ text: this.collectPrompt() }], next: this.listen };
    }
    c.digits += d;
    if ((c.length && c.digits.length >= c.length) || (c.max && c.digits.length >= c.max)) return this.finishCollect();
    return { say: [], next: this.listen };
  }

  private finishCollect(): Step {
    const c = this.collecting!;
    this.collecting = undefined;
    if (c.length && c.digits.length !== c.length) {
      return this.noMatchStep();
    }
    this.slots[c.slot] = c.digits;
    return this.shorthand(c.then ?? 'menu', []);
  }
}
