import { EventEmitter } from 'node:events';
import type { DtmfSource, Leg } from '../../drivers/line.js';
import { PortDtmf } from '../speech/dtmf-port.js';

/** Where a call takes its digits: what the line declares ('auto'), or always from the audio ('in-band'). */
export type DigitsMode = 'auto' | 'in-band';

/**
 * The caller's key presses from the one source the leg declares (Leg.dtmfSource): out-of-band
 * signals (modem tone reports, DLE codes, RFC 4733, SIP INFO) or, on lines without them, in-band
 * tones detected in the audio. Never both for one call (with lines[].dtmf: in-band, the audio
 * alone), so a key press cannot count twice and nothing is de-duplicated by timing. Digits typed
 * ahead of a prompt are kept in order until the dialog asks for them.
 */
export class CallerDigits {
  private readonly queue: string[] = [];
  private waiter: ((d: string | undefined) => void) | undefined;
  private inband: PortDtmf | undefined;
  private readonly listeners = new Set<(d: string) => void>();
  private readonly onLegDigit = (d: string, source: Exclude<DtmfSource, 'in-band'>): void => {
    // A SIP call without RFC 4733 whose phone sends INFO: from its first INFO digit on, INFO is the source.
    if (this.inband) {
      this.inband.close();
      this.inband = undefined;
      this.source = source;
    }
    this.push(d);
  };
  /** Where this call's digits come from. */
  source: DtmfSource;

  constructor(
    private readonly leg: Leg,
    mode: DigitsMode = 'auto',
    /** The in-band detector's floor per tone, dBm0 (lines[].dtmf_min_level); the detector's default when undefined. */
    minLevelDbm0?: number,
  ) {
    this.source = mode === 'in-band' ? 'in-band' : leg.dtmfSource;
    if (this.source === 'in-band') {
      if (leg.media) {
        this.inband = new PortDtmf(leg.media, minLevelDbm0 !== undefined ? { minLevelDbm0 } : {});
        this.inband.on('digit', (d) => this.push(d));
      }
      // A line forced to in-band ignores its reports; otherwise an out-of-band digit takes over (above).
      if (mode === 'auto') leg.on('dtmf', this.onLegDigit);
    } else leg.on('dtmf', this.onLegDigit);
  }

  private push(d: string): void {
    for (const l of this.listeners) l(d);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(d);
    } else this.queue.push(d);
  }

  /** The digits as 'digit' events (the voicemail recorder's stop key), until the returned emitter is released. */
  events(): EventEmitter<{ digit: [string] }> & { release(): void } {
    const em = new EventEmitter<{ digit: [string] }>();
    const off = this.onDigit((d) => em.emit('digit', d));
    return Object.assign(em, { release: off });
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
