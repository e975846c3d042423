import type { Say } from '../bot/dialog.js';

/**
 * What happens when the bot captures a detail the flow asked for: features (tickets) add a
 * hook to the app's CaptureHooks; the call runner awaits them and says what they return before the bot's next words
 * ("your ticket number is ..."). A hook that fails or takes too long is skipped, never the call.
 */
export interface Captured {
  callId: string;
  caller?: string;
  lineId: string;
  slot: string;
  slots: Record<string, string>;
}

export type CaptureHook = (c: Captured) => Promise<Say[] | undefined>;

/** The capture hooks of one app (a service: tickets add theirs, the call runner runs them). */
export class CaptureHooks {
  private readonly hooks = new Set<CaptureHook>();

  add(hook: CaptureHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  async run(c: Captured, timeoutMs = 3000, onError: (err: unknown) => void = () => {}): Promise<Say[]> {
    const out: Say[] = [];
    for (const h of this.hooks) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const r = await Promise.race([h(c), new Promise<undefined>((_, reject) => (timer = setTimeout(() => reject(new Error('capture hook timed out')), timeoutMs)))]);
        if (r) out.push(...r);
      } catch (err) {
        onError(err);
      } finally {
        clearTimeout(timer);
      }
    }
    return out;
  }
}
