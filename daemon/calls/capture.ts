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

/** A follow-up the bot asks a feature for (a knowledge entry's then: ticket); the hook returns what to say. */
export interface FollowUp extends Omit<Captured, 'slot'> {
  subject: string;
  entry: string;
}
export type FollowUpHook = (f: FollowUp) => Promise<Say[] | undefined>;

const followUps = new Map<string, FollowUpHook>();

export function onFollowUp(action: string, hook: FollowUpHook): () => void {
  followUps.set(action, hook);
  return () => void (followUps.get(action) === hook && followUps.delete(action));
}

/** Run the follow-up's hook within the time limit; nothing registered, a failure or a timeout gives nothing to say. */
export async function runFollowUp(action: string, f: FollowUp, timeoutMs = 3000, onError: (err: unknown) => void = () => {}): Promise<Say[]> {
  const hook = followUps.get(action);
  if (!hook) {
    onError(new Error(`nothing performs the follow-up "${action}"`));
    return [];
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    return (await Promise.race([hook(f), new Promise<undefined>((_, reject) => (timer = setTimeout(() => reject(new Error(`${action} follow-up timed out`)), timeoutMs)))])) ?? [];
  } catch (err) {
    onError(err);
    return [];
  } finally {
    clearTimeout(timer);
  }
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
