import type { Leg } from '../../drivers/line.js';
import { PortDtmf } from '../speech/dtmf-port.js';

/**
 * The caller's key presses, from wherever they arrive: in-band tones on the leg's audio (GSM and
 * analog lines) and out-of-band signals (RFC 4733, SIP INFO, modem tone detection). Digits typed
 * ahead of a prompt are kept in order until the dialog asks for them.
 */
export class CallerDigits {
  private readonly queue: string[] = [];
  private waiter: ((d: string | undefined) => void) | undefined;
  private readonly inband: PortDtmf | undefined;
  private readonly listeners = new Set<(d: string) => void>();
  private readonly onLegDigit = (d: string): void => this.push(d);
  /** Recent digits (for dedup when a line reports a tone both in band and out of band). */
  private last: { d: string; at: number } | undefined;

  constructor(private readonly leg: Leg) {
    if (leg.media) {
      this.inband = new PortDtmf(leg.media);
      this.inband.on('digit', (d) => this.push(d));
    }
    leg.on('dtmf', this.onLegDigit);
  }

  private push(d: string): void {
    const now = Date.now();
    if (this.last && this.last.d === d && now - this.last.at < 80) return;
    this.last = { d, at: now };
    for (const l of this.listeners) l(d);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(d);
    } else this.queue.push(d);
  }

  /** Called for every digit as it arrives (barge-in). */
  onDigit(l: (d: string) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** The next digit, or undefined after timeoutMs or when the signal aborts. */
  next(timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const d = this.queue.shift();
    if (d !== undefined) return Promise.resolve(d);
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (v: string | undefined): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(v);
      };
      const onAbort = (): void => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = done;
    });
  }

  clear(): void {
    this.queue.length = 0;
  }

  close(): void {
    this.inband?.close();
    this.leg.off('dtmf', this.onLegDigit);
    this.listeners.clear();
    this.waiter?.(undefined);
  }
}
