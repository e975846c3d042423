/**
 * Who is served first among waiting callers. Pure, so the ordering is unit-tested apart from calls.
 *
 * Order: VIP callers first, then repeat callers (called within priority.repeat_caller_within), then
 * everyone else; within a class, the longest wait first. A caller resuming an abandoned place
 * (priority.resume_abandoned_within) keeps the entry time of the call they hung up, so they are back
 * exactly where they were, ahead of everyone who joined after them.
 */
export interface Waiting {
  vip: boolean;
  repeat: boolean;
  /** Entry time that counts for the order (ms epoch); a resumed caller's original one. */
  since: number;
  /** Tie-breaker: arrival order. */
  seq: number;
}

export function compareWaiting(a: Waiting, b: Waiting): number {
  return rank(b) - rank(a) || a.since - b.since || a.seq - b.seq;
}

function rank(w: Waiting): number {
  return (w.vip ? 2 : 0) + (w.repeat ? 1 : 0);
}

/** 1-based position of `who` among `all` (which must contain it). */
export function positionOf<T extends Waiting>(who: T, all: readonly T[]): number {
  return [...all].sort(compareWaiting).indexOf(who) + 1;
}

/** Remembered places of callers who hung up while waiting, for abandoned-resume. */
export class AbandonedPlaces {
  private readonly places = new Map<string, { queue: string; since: number; at: number }>();

  remember(caller: string, queue: string, since: number, at: number): void {
    this.places.set(caller, { queue, since, at });
  }

  /** The old place if the caller hung up no longer than withinMs ago (used once). */
  take(caller: string, withinMs: number, now: number): { queue: string; since: number } | undefined {
    const p = this.places.get(caller);
    if (!p) return undefined;
    this.places.delete(caller);
    return now - p.at <= withinMs ? { queue: p.queue, since: p.since } : undefined;
  }

  prune(olderThanMs: number, now: number): void {
    for (const [k, p] of this.places) if (now - p.at > olderThanMs) this.places.delete(k);
  }
}
