import type { MediaPort } from '../../drivers/media/port.js';
import type { Logger } from '../log.js';
import { PromptPlayer, type FrameSource } from '../speech/player.js';
import type { PromptResolver } from '../speech/prompts.js';
import type { Interrupts } from './caller-input.js';
import type { Say } from '../bot/dialog.js';

/**
 * Says things to one leg: resolves each prompt (recorded WAV or TTS), plays it, and lets a key
 * press or caller speech (barge-in) cut it short (the input stays queued for the dialog). A prompt that cannot be produced is
 * logged and skipped rather than leaving the caller in silence forever.
 */
export class Speaker {
  readonly player: PromptPlayer;

  constructor(
    private readonly port: MediaPort,
    private readonly prompts: PromptResolver,
    private readonly voice: string,
    private readonly log: Logger,
  ) {
    this.player = new PromptPlayer(port);
  }

  /** Play the items in order. Returns 'interrupted' if a digit, the signal or hang-up cut it short. */
  async say(items: readonly Say[], signal: AbortSignal, digits?: Interrupts): Promise<'done' | 'interrupted'> {
    for (const item of items) {
      if (signal.aborted || this.port.closed) return 'interrupted';
      if (digits && digits.pending > 0) return 'interrupted';
      let pcm: Buffer;
      try {
        pcm = await this.prompts.resolve({ text: item.text, voice: this.voice, ...(item.prompt ? { id: item.prompt } : {}) });
      } catch (err) {
        this.log.error({ err, text: item.text }, 'prompt unavailable; skipping it');
        continue;
      }
      const r = await this.play(pcm, signal, digits);
      if (r === 'interrupted') return r;
    }
    return 'done';
  }

  /** Play audio (a prompt, a beep, ringback); a digit interrupts when `digits` is given. */
  async play(audio: Buffer | FrameSource, signal: AbortSignal, digits?: Interrupts): Promise<'done' | 'interrupted'> {
    // An abort that came while the prompt was being synthesised must not let it play afterwards.
    if (signal.aborted) return 'interrupted';
    const stop = new AbortController();
    // Reasons given: abort() alone builds a DOMException with a stack (~30 µs).
    const onAbort = (): void => stop.abort('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    const off = digits?.onDigit(() => stop.abort('digit'));
    try {
      return await this.player.play(audio, { signal: stop.signal });
    } finally {
      off?.();
      signal.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    this.player.stop();
  }
}
