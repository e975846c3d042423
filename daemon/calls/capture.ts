import type { Say } from '../bot/dialog.js';

/**
 * What happens when the bot captures a detail the flow asked for: features (tickets) register a
 * hook here; the call runner awaits them and says what they return before the bot's next words
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

const hooks = new Set<CaptureHook>();

export function onCapture(hook: CaptureHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export async function runCaptureHooks(c: Captured, timeoutMs = 3000, onError: (err: unknown) => void = () => {}): Promise<Say[]> {
  const out: Say[] = [];
  for (const h of hooks) {
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
