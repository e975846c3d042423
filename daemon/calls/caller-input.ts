import type { Input } from '../bot/dialog.js';
import type { SpeechStream, Utterance } from '../speech/supervisor.js';
import type { CallerDigits } from './digits.js';

/** What can cut a prompt short: something queued already, or a live signal. */
export interface Interrupts {
  readonly pending: number;
  onDigit(l: (d: string) => void): () => void;
}

/** An utterance that is still being spoken when the listen timeout expires may finish this long after. */
const FINISH_UTTERANCE_MS = 15_000;

/**
 * Everything the caller does during the bot dialog, in arrival order: key presses (always) and
 * utterances (when the speech worker is up). Speech long enough to be barge-in interrupts a prompt
 * exactly as a key press does; without a speech stream, or while the worker is down, this is
 * CallerDigits and nothing more.
 */
export class CallerInput implements Interrupts {
  private readonly said: Input[] = [];
  private waiter: ((i: Input) => void) | undefined;
  private readonly bargeListeners = new Set<(d: string) => void>();
  private speaking = false;

  constructor(
    private readonly digits: CallerDigits,
    private readonly speech?: SpeechStream,
  ) {
    speech?.on('speech-start', () => (this.speaking = true));
    speech?.on('barge-in', () => {
      for (const l of this.bargeListeners) l('');
    });
    speech?.on('utterance', (u) => {
      this.speaking = false;
      const i = toInput(u);
      if (!i) return;
      if (this.waiter) this.waiter(i);
      else this.said.push(i);
    });
  }

  get pending(): number {
    return this.digits.pending + this.said.length;
  }

  /** Called on every digit and on barge-in speech (with '' as the digit). */
  onDigit(l: (d: string) => void): () => void {
    const off = this.digits.onDigit(l);
    this.bargeListeners.add(l);
    return () => {
      off();
      this.bargeListeners.delete(l);
    };
  }

  /** The next digit or utterance, or a timeout (extended while the caller is mid-sentence). */
  async next(timeoutMs: number, signal: AbortSignal): Promise<Input> {
    if (this.digits.pending > 0) {
      const d = await this.digits.next(0, signal);
      if (d !== undefined) return { kind: 'digit', digit: d };
    }
    const queued = this.said.shift();
    if (queued) return queued;
    if (signal.aborted) return { kind: 'timeout' };
    const stop = new AbortController();
    // Reasons given: abort() alone builds a DOMException with a stack (~30 µs, on every input of every call).
    const onAbort = (): void => stop.abort('call ended');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const heard = new Promise<Input>((resolve) => (this.waiter = resolve));
      const pressed = this.digits.next(timeoutMs, stop.signal).then((d): Input | undefined => (d === undefined ? undefined : { kind: 'digit', digit: d }));
      let r = await Promise.race([heard, pressed]);
      if (r === undefined && this.speaking && this.speech?.live && !signal.aborted) {
        // Timed out while the caller is still talking: let the sentence finish.
        r = await Promise.race([heard, new Promise<undefined>((res) => void setTimeout(() => res(undefined), FINISH_UTTERANCE_MS).unref()), new Promise<undefined>((res) => stop.signal.addEventListener('abort', () => res(undefined), { once: true }))]);
      }
      return r ?? { kind: 'timeout' };
    } finally {
      this.waiter = undefined;
      stop.abort('done');
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.bargeListeners.clear();
    this.speech?.close();
  }
}

/** An utterance as dialog input; undefined when there is nothing in it for the dialog. */
function toInput(u: Utterance): Input | undefined {
  const text = u.text?.trim();
  if (!text && !u.emotion) return undefined;
  return { kind: 'speech', ...(text ? { text } : {}), ...(u.confidence !== undefined ? { confidence: u.confidence } : {}), ...(u.emotion ? { emotion: { label: u.emotion.label, score: u.emotion.score, scores: u.emotion.scores } } : {}) };
}
