/**
 * Control-plane work that comes in bursts (50 INVITEs in one datagram batch, 50 call set-ups whose
 * prompts resolve at once) would run back to back in one stretch of the event loop, and the timers
 * that pace every call's audio (drivers/media/clock) would wait for all of it. Each piece of such
 * work awaits its turn here; turns are handed out in arrival order, in stretches of at most
 * `budgetMs` per event-loop iteration (setImmediate), so the timers run between stretches. One turn
 * per iteration would cap set-ups at the loop's iteration rate: under load (an iteration of a few
 * ms) that is below the rate calls arrive, and the queue, and every caller's wait for the 200, grows.
 * An idle loop hands out a turn at once.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly budgetMs = 2) {}

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
    setImmediate(() => this.stretch(performance.now()));
  }

  /**
   * Hand out the next turn; once its holder's synchronous part has run (the microtask queued after
   * its continuation), the next one follows while the stretch has time left.
   */
  private stretch(start: number): void {
    this.waiting.shift()?.();
    if (this.waiting.length === 0) {
      this.scheduled = false;
      return;
    }
    queueMicrotask(() => {
      if (performance.now() - start < this.budgetMs) this.stretch(start);
      else {
        this.scheduled = false;
        this.schedule();
      }
    });
  }
}
