import type { BotConfig, MenuActionConfig } from '../config/schema.js';
import type { HandoffReason } from '../bus/events.js';
import { durationOr } from '../config/duration.js';
import { DEFAULT_HANDOFF_PHRASES, PhraseMatcher, Synonyms, lexiconNegativity } from './understand.js';

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
}

/**
 * What the caller did. An utterance carries its transcript when ASR is running (absent otherwise)
 * and the emotion reading of it (scores by label; 'negative' is the model's negative share).
 */
export type Input = { kind: 'digit'; digit: string } | { kind: 'timeout' } | { kind: 'speech'; text?: string; confidence?: number; emotion?: { label: string; score: number; scores: Record<string, number> } };

type Understood = { kind: 'handoff' } | { kind: 'intent'; index: number } | { kind: 'faq'; index: number };

type Keys = Record<string, MenuActionConfig>;
interface Menu {
  say: string;
  keys: Keys;
  path: string;
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
  private readonly matcher: PhraseMatcher<Understood>;
  /** Utterances in a row whose emotion reading passed the handoff threshold. */
  private upset = 0;
  /** Asked "are you calling about <queue> again?": 1 goes there. */
  private confirmingRepeat: string | undefined;

  constructor(
    private readonly bot: BotConfig,
    /** repeatQueue: the queue this caller was in on a recent call (bot.repeat_caller). */
    private readonly opts: { language?: string; vip?: boolean; repeatQueue?: string } = {},
  ) {
    this.zh = (opts.language ?? bot.language ?? 'zh-CN').startsWith('zh');
    this.stack.push({ say: bot.greeting, keys: bot.menu ?? {}, path: '' });
    // Handoff phrases first: on equal scores "转人工" beats an FAQ that happens to contain 人工.
    this.matcher = new PhraseMatcher<Understood>(
      [
        { value: { kind: 'handoff' }, phrases: [...(bot.handoff?.when?.phrases ?? []), ...DEFAULT_HANDOFF_PHRASES] },
        ...(bot.intents ?? []).map((it, index) => ({ value: { kind: 'intent' as const, index }, phrases: it.phrases })),
        ...(bot.faq ?? []).map((f, index) => ({ value: { kind: 'faq' as const, index }, phrases: f.ask })),
      ],
      new Synonyms(bot.synonyms ?? {}),
    );
  }

  /** Every phrase the bot understands (for a recogniser grammar). */
  phrases(): string[] {
    return [...new Set([...(this.bot.handoff?.when?.phrases ?? []), ...DEFAULT_HANDOFF_PHRASES, ...(this.bot.intents ?? []).flatMap((i) => i.phrases), ...(this.bot.faq ?? []).flatMap((f) => f.ask)])];
  }

  private get listen(): Next {
    return { kind: 'listen', timeoutMs: durationOr(this.bot.no_input?.timeout, '8s') };
  }
  private get menu(): Menu {
    return this.stack[this.stack.length - 1]!;
  }

  /**
   * The first step: greeting and listen. VIP callers skip the greeting and go straight to the
   * queue (hearing bot.vip_greeting first when set), unless bot.handoff.when.vip is false.
   */
  start(): Step {
    if (this.opts.vip && this.bot.handoff?.when?.vip !== false) {
      this.intent = 'vip';
      return this.handoff(undefined, 'vip', this.bot.vip_greeting ? [{ text: this.bot.vip_greeting }] : []);
    }
    const r = this.bot.repeat_caller;
    if (r && this.opts.repeatQueue) {
      this.confirmingRepeat = this.opts.repeatQueue;
      const topic = r.topics?.[this.opts.repeatQueue] ?? this.opts.repeatQueue;
      return { say: [{ text: r.say.replace(/\{topic\}/g, topic) }], next: this.listen };
    }
    return { say: [{ text: this.bot.greeting }], next: this.listen };
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
      if (ev.kind !== 'digit' || ev.digit === '2') return { say: [{ text: this.bot.greeting }], next: this.listen };
    }
    if (ev.kind === 'timeout') return this.onTimeout();
    if (ev.kind === 'speech') return this.onSpeech(ev);
    this.noInput = 0;
    if (this.collecting) return this.collectDigit(ev.digit);
    const action = this.menu.keys[ev.digit];
    if (action === undefined) {
      // "0 for a human at any time", unless the installer gave 0 another meaning.
      if (ev.digit === '0') return this.act('agent', '0');
      return this.noMatchStep();
    }
    this.noMatch = 0;
    return this.act(action, ev.digit);
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
    if (!m) return this.noMatchStep();
    this.noMatch = 0;
    const u = m.value;
    if (u.kind === 'handoff') {
      this.intent = 'agent';
      return this.handoff(undefined, 'requested', []);
    }
    if (u.kind === 'intent') {
      const it = this.bot.intents![u.index]!;
      this.intent = it.id;
      const say: Say[] = it.say ? [{ text: it.say }] : [];
      if (it.queue) return this.handoff(it.queue, 'menu', say);
      return this.shorthand('menu', say);
    }
    const f = this.bot.faq![u.index]!;
    this.intent = `faq:${f.ask[0]}`;
    return this.shorthand(f.then ?? 'menu', [{ text: f.say }]);
  }

  // ---- actions -----------------------------------------------------------------------------------

  private act(action: MenuActionConfig, key: string): Step {
    this.path.push(key);
    if (typeof action === 'string') return this.shorthand(action, []);
    const say: Say[] = [];
    if (action.say || action.prompt) say.push({ text: action.say ?? '', ...(action.prompt ? { prompt: action.prompt } : {}) });
    if (action.queue) {
      this.intent = `queue:${action.queue}`;
      return this.handoff(action.queue, 'menu', say);
    }
    if (action.menu) {
      this.stack.push({ say: action.menu.say, keys: action.menu.keys as Keys, path: this.path.join('>') });
      return { say: [...say, { text: action.menu.say }], next: this.listen };
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
    if (s === 'repeat') return { say: [...say, { text: this.menu.say }], next: this.listen };
    if (s === 'back') {
      if (this.stack.length > 1) this.stack.pop();
      return { say: [...say, { text: this.menu.say }], next: this.listen };
    }
    if (s.startsWith('collect:')) return this.startCollect(s.slice(8), say);
    // 'menu': back to the current menu, inviting the next choice.
    return { say: [...say, ...(this.bot.menu_prompt ? [{ text: this.bot.menu_prompt }] : [])], next: this.listen };
  }

  private handoff(queue: string | undefined, reason: HandoffReason, say: Say[]): Step {
    const q = queue ?? this.bot.handoff?.default_queue;
    return { say, next: { kind: 'handoff', ...(q ? { queue: q } : {}), reason } };
  }

  private goodbye(): Say[] {
    return this.bot.goodbye ? [{ text: this.bot.goodbye }] : [];
  }

  private noMatchStep(): Step {
    this.noMatch++;
    const limit = this.bot.handoff?.when?.no_match ?? 2;
    const sorry = this.bot.no_match_say ?? (this.zh ? DEFAULT_NO_MATCH_SAY.zh : DEFAULT_NO_MATCH_SAY.en);
    if (this.noMatch >= limit && this.bot.handoff) {
      this.intent ??= 'no-match';
      return this.handoff(undefined, 'no-match', [{ text: sorry }]);
    }
    return { say: [{ text: sorry }, { text: this.menu.say }], next: this.listen };
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
    const prompt = this.bot.no_input?.say ?? (this.zh ? DEFAULT_NO_INPUT_SAY.zh : DEFAULT_NO_INPUT_SAY.en);
    const again = this.collecting ? this.collectPrompt() : this.menu.say;
    return { say: [{ text: prompt }, { text: again }], next: this.listen };
  }

  // ---- slot capture ------------------------------------------------------------------------------

  private startCollect(slot: string, say: Say[]): Step {
    const spec = this.bot.collect?.[slot];
    if (!spec) return { say: [...say, { text: this.menu.say }], next: this.listen };
    this.collecting = { slot, digits: '', ...(spec.length ? { length: spec.length } : {}), ...(spec.min_length ? { min: spec.min_length } : {}), ...(spec.max_length ? { max: spec.max_length } : {}), ...(spec.then ? { then: spec.then } : {}) };
    return { say: [...say, { text: spec.say }], next: this.listen };
  }

  private collectPrompt(): string {
    return this.bot.collect?.[this.collecting!.slot]?.say ?? '';
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
