import type { Leg } from '../../drivers/line.js';
import type { MediaPort } from '../../drivers/media/port.js';
import { Bridge } from './bridge.js';

/** One side of a conversation: its audio, and a signal that aborts when it hangs up. */
export interface Party {
  media: MediaPort;
  gone: AbortSignal;
}

/** A leg (with its media, once answered) as a party: gone once it has ended. */
export function legParty(leg: Leg, media: MediaPort): Party {
  const gone = new AbortController();
  if (leg.state === 'ended') gone.abort();
  else leg.once('ended', () => gone.abort());
  return { media, gone: gone.signal };
}

export type ConversationEnd<T> = { by: 'a' } | { by: 'b' } | { by: 'interrupt'; value: T };

export interface Conversation<T> {
  /** The two talking (a recording or a supervisor taps into it). */
  bridge: Bridge;
  /** Resolves when one side hangs up or `interrupt` resolves; the bridge is closed by then, the legs stay up. */
  ended: Promise<ConversationEnd<T>>;
}

/**
 * Let two parties talk until one of them hangs up (or something else ends the conversation, such as
 * a transfer). Every conversation the box connects goes through here: a caller with an agent, a
 * callback's customer with the agent, an originated call with its agent.
 */
export function converse<T = never>(a: Party, b: Party, interrupt?: Promise<T>): Conversation<T> {
  const bridge = new Bridge(a.media, b.media);
  const ended = new Promise<ConversationEnd<T>>((resolve) => {
    if (a.gone.aborted) return resolve({ by: 'a' });
    if (b.gone.aborted) return resolve({ by: 'b' });
    a.gone.addEventListener('abort', () => resolve({ by: 'a' }), { once: true });
    b.gone.addEventListener('abort', () => resolve({ by: 'b' }), { once: true });
    void interrupt?.then((value) => resolve({ by: 'interrupt', value })); // interrupt promises only resolve (a transfer request)
  }).finally(() => bridge.close());
  return { bridge, ended };
}

/**
 * Wait for an outbound leg to be answered: true once it is, false when it ends, `timeoutMs` passes or
 * `signal` aborts first.
 */
export function answerOf(leg: Leg, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    if (leg.state === 'answered') return resolve(true);
    if (leg.state === 'ended' || opts.signal?.aborted) return resolve(false);
    const done = (v: boolean): void => {
      clearTimeout(timer);
      leg.off('answered', yes);
      leg.off('ended', no);
      opts.signal?.removeEventListener('abort', no);
      resolve(v);
    };
    const yes = (): void => done(true);
    const no = (): void => done(false);
    const timer = opts.timeoutMs !== undefined ? setTimeout(no, opts.timeoutMs) : undefined;
    leg.once('answered', yes);
    leg.once('ended', no);
    opts.signal?.addEventListener('abort', no, { once: true });
  });
}
