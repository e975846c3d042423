/**
 * Control-plane work that comes in bursts (50 INVITEs in one datagram batch, 50 call set-ups whose
 * prompts resolve at once) would run back to back in one stretch of the event loop, and the timers
 * that pace every call's audio (drivers/media/clock) would wait for all of it. Each piece of such
 * work awaits its turn here; turns are handed out one per event-loop iteration (setImmediate), so
 * the timers run between any two of them. An idle loop hands out a turn at once.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves when it is this caller's turn (FIFO). */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    // An immediate queued from inside an immediate runs in the next iteration: after the timers.
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      this.schedule();
    });
  }
}

/** The daemon's one lane for call set-ups. */
export const callSetupTurns = new Turns();
