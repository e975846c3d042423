import { join } from 'node:path';
import { silence, tone } from '../../drivers/audio/tones.js';
import type { Config, QueueConfig } from '../config/schema.js';
import type { Say } from '../bot/dialog.js';
import { reportConfigFault } from '../config/faults.js';
import { loadPromptWav } from '../speech/prompts.js';
import { loopSource } from '../speech/player.js';
import type { Announcement } from '../routing/router.js';
import type { WaitingCaller } from './ring.js';
import type { Call } from './call.js';
import type { Speaker } from './speak.js';

/** The hold music when the installer recorded none: a soft three-note chime, then quiet. */
export const CHIME_FREQS = [523, 659, 784] as const;
export function defaultHoldMusic(): Buffer {
  const parts: Buffer[] = [];
  for (const f of CHIME_FREQS) parts.push(tone([f], 240, -24), silence(60));
  parts.push(silence(1600));
  return Buffer.concat(parts);
}

const TEXTS = {
  en: {
    position: (n: number) => (n <= 1 ? 'You are next in line.' : `You are number ${n} in the queue.`),
    estimate: (min: number) => (min < 1 ? 'Your expected wait is less than a minute.' : `Your expected wait is about ${min} ${min === 1 ? 'minute' : 'minutes'}.`),
    offer: 'To be called back instead of waiting, press 1. You keep your place.',
    callbackOk: 'Thank you. We will call you back on this number as soon as someone is free. Goodbye.',
    callbackAtMax: 'Sorry to keep you waiting. We will call you back on this number as soon as someone is free. Goodbye.',
  },
  zh: {
    position: (n: number) => (n <= 1 ? '下一位就是您。' : `您现在排在第${n}位。`),
    estimate: (min: number) => (min < 1 ? '预计等待不到一分钟。' : `预计等待约${min}分钟。`),
    offer: '如需稍后回电,请按1,您的排队位置会保留。',
    callbackOk: '好的,客服空闲后会立即给您回电,再见。',
    callbackAtMax: '抱歉让您久等了,客服空闲后会立即给您回电,再见。',
  },
};

export type WaitTexts = (typeof TEXTS)['en'];
/** The waiting texts in the call's language. */
export function waitTexts(language: string): WaitTexts {
  return language.startsWith('zh') ? TEXTS.zh : TEXTS.en;
}

/** What the caller is told about their place, as the router decided: position, expected wait, the callback offer. */
export function announcement(a: Announcement, t: WaitTexts): Say[] {
  const items: Say[] = [];
  if (a.sayPosition) items.push({ text: t.position(a.position) });
  if (a.estimateMs !== undefined) items.push({ text: t.estimate(Math.round(a.estimateMs / 60_000)) });
  if (a.callbackOffer) items.push({ text: t.offer });
  return items;
}

async function holdMusicFor(q: QueueConfig, cfg: Config, call: Call): Promise<Buffer> {
  if (q.hold_music && cfg.speech?.prompts_dir) {
    const file = join(cfg.speech.prompts_dir, `${q.hold_music}.wav`);
    try {
      const pcm = await loadPromptWav(file);
      // A recording with no audio in it (truncated) cannot be looped: treated like a missing one.
      if (pcm.length === 0) throw new Error('the recording holds no audio');
      return pcm;
    } catch (err) {
      // A missing recording falls back to the chime rather than silence, and says what to fix.
      const key = `queues[${cfg.queues?.indexOf(q) ?? -1}].hold_music`;
      reportConfigFault(cfg, key, `${file} cannot be played`, 'callers hear the default chime', { alarm: (a) => call.emit('alarm', a), log: call.log }, 'warning', err);
    }
  }
  return defaultHoldMusic();
}

export interface WaitingOptions {
  config: () => Config;
  /** The queue the caller waits in (its hold music). */
  queue: string;
  /** Said first: the hand-off announcement. */
  first?: Say[];
  texts: WaitTexts;
  signal: AbortSignal;
  /** Tells the router an announcement was said (or dropped). */
  announced: (id: number) => void;
}

/**
 * What a queued caller hears until an agent answers, as the router decides (calls/ring.ts passes its
 * decisions here): the hand-off announcement, then each announcement the router decides (position,
 * expected wait, callback offer), with the queue's hold music in between; an overflow switches to
 * the new queue's music. It decides nothing itself: an announcement not yet begun when a phone
 * starts ringing is dropped, because the router's later decision (ring) supersedes it. Each
 * announcement said is a `queue.announce` event, so the call's timeline shows what was said and when.
 */
export class WaitingAudio implements WaitingCaller {
  private pending: Announcement | undefined;
  private queue: string;
  private music: AbortController | undefined;

  constructor(
    private readonly call: Call,
    private readonly speaker: Speaker,
    private readonly o: WaitingOptions,
  ) {
    this.queue = o.queue;
  }

  announce(a: Announcement): void {
    const before = this.pending;
    this.pending = a;
    if (before) this.o.announced(before.id);
    this.music?.abort();
  }

  ringing(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) this.o.announced(p.id);
  }

  moved(to: string): void {
    this.queue = to;
    this.music?.abort();
  }

  /** Plays until the signal aborts (an agent answered, the caller left or the router gave up). */
  async run(): Promise<void> {
    const { signal } = this.o;
    if (this.o.first?.length) await this.speaker.say(this.o.first, signal);
    while (!signal.aborted) {
      const a = this.pending;
      if (a) {
        this.pending = undefined;
        try {
          this.call.emit('queue.announce', { callId: this.call.id, queue: a.queue, position: a.position, ...(a.estimateMs !== undefined ? { estimateMs: a.estimateMs } : {}), callbackOffered: a.callbackOffer });
          await this.speaker.say(announcement(a, this.o.texts), signal);
        } finally {
          this.o.announced(a.id);
        }
        continue;
      }
      const music = new AbortController();
      this.music = music;
      const stop = (): void => music.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        const cfg = this.o.config();
        const pcm = await holdMusicFor(cfgQueue(cfg, this.queue), cfg, this.call);
        await this.speaker.play(loopSource(pcm), music.signal);
      } finally {
        this.music = undefined;
        signal.removeEventListener('abort', stop);
      }
    }
  }
}

function cfgQueue(cfg: Config, id: string): QueueConfig {
  return cfg.queues?.find((q) => q.id === id) ?? { id };
}
