/**
 * Reopening a serial device after a failure, with backoff: the first try after `minMs`, each next
 * one twice as late up to `maxMs`, back to `minMs` once an open succeeds. At most one reopen is ever
 * pending, so a burst of failures (port closed, then a timeout) schedules one attempt, not several.
 */
export class Reopener {
  private delay: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly reopen: () => void,
  ) {
    this.delay = minMs;
  }

  /** Schedule a reopen unless one is already pending; returns the delay used. */
  schedule(): number | undefined {
    if (this.timer) return undefined;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, this.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reopen();
    }, delay);
    return delay;
  }

  /** The device is open again: the next failure starts from minMs. */
  succeeded(): void {
    this.delay = this.minMs;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
