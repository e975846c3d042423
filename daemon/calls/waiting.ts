import { join } from 'node:path';
import { silence, tone } from '../../drivers/audio/tones.js';
import type { Config, QueueConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Say } from '../bot/dialog.js';
import { reportConfigFault } from '../config/faults.js';
import { loadPromptWav } from '../speech/prompts.js';
import { loopSource } from '../speech/player.js';
import type { Ticket } from '../routing/router.js';
import type { Call } from './call.js';
import type { CallerDigits } from './digits.js';
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
export function waitTexts(cfg: Config): WaitTexts {
  const lang = cfg.bot.language ?? cfg.language ?? 'zh-CN';
  return lang.startsWith('zh') ? TEXTS.zh : TEXTS.en;
}

/** What the caller is told about their place: position, expected wait, the callback offer. */
export function announcement(q: QueueConfig, position: number, estimateMs: number | undefined, offer: boolean, t: WaitTexts): Say[] {
  const items: Say[] = [];
  if (q.announce?.position !== false) items.push({ text: t.position(position) });
  if (q.announce?.wait_estimate !== false && estimateMs !== undefined) items.push({ text: t.estimate(Math.round(estimateMs / 60_000)) });
  if (offer) items.push({ text: t.offer });
  return items;
}

async function holdMusicFor(q: QueueConfig, cfg: Config, call: Call): Promise<Buffer> {
  if (q.hold_music && cfg.speech?.prompts_dir) {
    const file = join(cfg.speech.prompts_dir, `${q.hold_music}.wav`);
    try {
      return await loadPromptWav(file);
    } catch (err) {
      // A missing recording falls back to the chime rather than silence, and says what to fix.
      const key = `queues[${cfg.queues?.indexOf(q) ?? -1}].hold_music`;
      reportConfigFault(cfg, key, `${file} cannot be played`, 'callers hear the default chime', { alarm: (a) => call.emit('alarm', a), log: call.log }, 'warning', err);
    }
  }
  return defaultHoldMusic();
}

/**
 * What a queued caller hears until an agent answers: the handoff announcement, then their position
 * and expected wait (skipped while an agent's phone is already ringing for them) with hold music in
 * between, repeated every announce.every; the callback offer when `offer()` says the caller may
 * have one (the queue offers callbacks and the caller's number may be dialled). Each announcement is a `queue.announce` event, so the
 * call's timeline shows what was said and when.
 */
export async function playWhileWaiting(call: Call, speaker: Speaker, ticket: Ticket, opts: { config: () => Config; offer: () => boolean; first?: Say[]; signal: AbortSignal; digits?: CallerDigits }): Promise<void> {
  const { signal } = opts;
  if (opts.first?.length) await speaker.say(opts.first, signal);
  while (!signal.aborted && !ticket.done) {
    const cfg = opts.config();
    const q = cfgQueue(cfg, ticket.queue);
    if (!ticket.ringing) {
      const position = ticket.position();
      const estimateMs = ticket.estimateMs();
      const offer = opts.offer();
      const items = announcement(q, position, estimateMs, offer, waitTexts(cfg));
      if (items.length && position > 0) {
        call.emit('queue.announce', { callId: call.id, queue: ticket.queue, position, ...(estimateMs !== undefined ? { estimateMs } : {}), callbackOffered: offer });
        await speaker.say(items, signal);
      }
    }
    if (signal.aborted || ticket.done) return;
    const pause = new AbortController();
    const stop = (): void => pause.abort();
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(stop, durationOr(q.announce?.every, '45s'));
    try {
      await speaker.play(loopSource(await holdMusicFor(q, cfg, call)), pause.signal);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}

function cfgQueue(cfg: Config, id: string): QueueConfig {
  return cfg.queues?.find((q) => q.id === id) ?? { id };
}
