import type { DecodedSms } from './pdu.js';

/** A complete message and the SIM slots its parts occupied (to delete once it is handled). */
export interface AssembledSms {
  from: string;
  text: string;
  timestamp?: string;
  slots: number[];
}

interface Pending {
  parts: Map<number, { text: string; slot: number }>;
  total: number;
  first: DecodedSms;
  since: number;
}

/**
 * Joins concatenated SMS parts. Bounded: at most `maxPending` incomplete messages; the oldest is
 * given up (its parts stay on the SIM, so nothing is lost for a later scan).
 */
export class SmsAssembler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly maxPending = 32) {}

  add(part: DecodedSms, slot: number): AssembledSms | null {
    const c = part.concat;
    if (!c || c.total <= 1) return this.done(part, part.text, [slot]);
    const key = `${part.address}|${c.ref}|${c.total}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= this.maxPending) {
        const oldest = [...this.pending.entries()].sort((a, b) => a[1].since - b[1].since)[0];
        if (oldest) this.pending.delete(oldest[0]);
      }
      p = { parts: new Map(), total: c.total, first: part, since: Date.now() };
      this.pending.set(key, p);
    }
    p.parts.set(c.seq, { text: part.text, slot });
    if (c.seq === 1) p.first = part;
    if (p.parts.size < p.total) return null;
    this.pending.delete(key);
    const seqs = [...p.parts.keys()].sort((a, b) => a - b);
    return this.done(p.first, seqs.map((s) => p.parts.get(s)!.text).join(''), seqs.map((s) => p.parts.get(s)!.slot));
  }

  private done(part: DecodedSms, text: string, slots: number[]): AssembledSms {
    const r: AssembledSms = { from: part.address, text, slots };
    if (part.timestamp) r.timestamp = part.timestamp;
    return r;
  }
}
