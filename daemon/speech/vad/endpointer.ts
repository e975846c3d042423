/**
 * Endpointing: turns per-window speech probabilities into utterances. Speech for `startMs` starts
 * one (its onset is dated back to where the run began); `bargeInMs` of it from the onset says the
 * caller is talking over a prompt; `endSilenceMs` of silence ends it. Hysteresis (a lower
 * threshold to stay in speech than to enter it) keeps soft syllable ends from splitting words.
 */

export interface EndpointerOptions {
  windowMs: number;
  threshold: number;
  startMs: number;
  endSilenceMs: number;
  bargeInMs: number;
  /** An utterance is cut here even if the caller keeps talking. Default 15000. */
  maxMs?: number;
}

export type EndpointEvent = { kind: 'start'; atMs: number } | { kind: 'barge-in' } | { kind: 'end'; durationMs: number; endMs: number };

export class Endpointer {
  private run = 0;
  private speaking = false;
  private onset = 0;
  private silence = 0;
  private bargedIn = false;
  private t = 0;
  private readonly stay: number;

  constructor(private readonly o: EndpointerOptions) {
    this.stay = Math.max(0.05, o.threshold - 0.15);
  }

  get inSpeech(): boolean {
    return this.speaking;
  }

  /** Position, ms, after the windows pushed so far. */
  get nowMs(): number {
    return this.t;
  }

  push(p: number): EndpointEvent[] {
    const w = this.o.windowMs;
    this.t += w;
    const out: EndpointEvent[] = [];
    if (!this.speaking) {
      this.run = p >= this.o.threshold ? this.run + w : 0;
      if (this.run >= this.o.startMs) {
        this.speaking = true;
        this.onset = this.t - this.run;
        this.silence = 0;
        this.bargedIn = false;
        out.push({ kind: 'start', atMs: this.onset });
      }
    } else if (p >= this.stay) {
      this.silence = 0;
    } else {
      this.silence += w;
    }
    if (this.speaking) {
      const len = this.t - this.onset;
      if (!this.bargedIn && this.silence === 0 && len >= this.o.bargeInMs) {
        this.bargedIn = true;
        out.push({ kind: 'barge-in' });
      }
      if (this.silence >= this.o.endSilenceMs || len >= (this.o.maxMs ?? 15_000)) {
        this.speaking = false;
        this.run = 0;
        out.push({ kind: 'end', durationMs: len - this.silence, endMs: this.t - this.silence });
      }
    }
    return out;
  }
}
