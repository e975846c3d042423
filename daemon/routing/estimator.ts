/**
 * Expected wait from recent answered calls. Each answered call gives a sample of "wait per place in
 * the queue" (its wait divided by the position it joined at), so a caller joining at place 4 counts
 * as four places' worth of waiting, not as one long wait. The estimate for a position is the mean of
 * the last `window` samples times the position; undefined until a call has been answered.
 */
export class WaitEstimator {
  private readonly samples = new Map<string, number[]>();

  constructor(private readonly window = 20) {}

  answered(queue: string, waitMs: number, positionAtEntry: number): void {
    const list = this.samples.get(queue) ?? [];
    list.push(Math.max(0, waitMs) / Math.max(1, positionAtEntry));
    if (list.length > this.window) list.shift();
    this.samples.set(queue, list);
  }

  estimateMs(queue: string, position: number): number | undefined {
    const list = this.samples.get(queue);
    if (!list?.length) return undefined;
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    return Math.round(mean * Math.max(1, position));
  }
}
