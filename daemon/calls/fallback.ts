import type { Config } from '../config/schema.js';
import { reportConfigFault } from '../config/faults.js';
import { ConfigValueError } from '../bot/hours.js';
import type { Call } from './call.js';

/**
 * A step of the call failed because of something the config points at (a folder, a file) that
 * check-config could not see: the error names the key to fix and the step it broke.
 */
export class CallStepFault extends Error {
  constructor(
    readonly key: string,
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CallStepFault';
  }
}

/** The ways out of a broken call, best first; each ends the call itself when it can. */
export interface SafePaths {
  /** Someone (logged in, not paused) could take the call. */
  canHandOff(): boolean;
  /** Queue the caller for a person (nobody answers: the usual apology and voicemail). */
  handOff(): Promise<void>;
  voicemail(): Promise<void>;
  /** A polite goodbye. */
  goodbye(): Promise<void>;
}

/**
 * An unexpected error on the call path must not cost the caller: the operator gets a `config-error`
 * alarm naming the setting (or the step, when the cause is unknown) and a log line saying what to
 * fix, and the caller gets the best way out still open: a person, else voicemail (unless voicemail
 * is what broke), else a polite goodbye. The CDR keeps the fallback's outcome and `fault` says why.
 */
export async function takeSafePath(call: Call, err: unknown, cfg: Config, paths: SafePaths): Promise<void> {
  const step = err instanceof CallStepFault ? err.step : call.phase;
  const key = err instanceof CallStepFault || err instanceof ConfigValueError ? err.key : `step:${step}`;
  call.fault = key;
  const gone = (): boolean => call.gone.signal.aborted;
  const withAgent = step === 'queued' || step === 'ringing-agent' || step === 'connected';
  const tries = [
    { name: 'handoff', ok: () => !withAgent && paths.canHandOff(), run: () => paths.handOff(), outcome: 'transferred' as const },
    { name: 'voicemail', ok: () => step !== 'voicemail', run: () => paths.voicemail(), outcome: 'voicemail' as const },
    { name: 'goodbye', ok: () => true, run: () => paths.goodbye(), outcome: 'failed' as const },
  ];
  // Reported even when the caller has already gone: the fault is still there for the next one.
  const first = gone() ? undefined : tries.find((t) => t.ok());
  const where = !first ? 'the caller had hung up' : `callers get ${first.name === 'handoff' ? 'an agent' : first.name === 'voicemail' ? 'voicemail' : 'a polite goodbye'} instead`;
  reportConfigFault(cfg, key, `a call failed in its ${step} step (${err instanceof Error ? err.message : String(err)})`, where, { alarm: (a) => call.emit('alarm', a), log: call.log }, 'critical', err);
  for (const t of tries) {
    if (gone() || call.isEnded) break;
    if (!t.ok()) continue;
    call.log.warn({ fallback: t.name, fault: key }, 'call fault: taking the safe path');
    try {
      await t.run();
      if (!call.isEnded) await call.end(gone() ? 'abandoned' : t.outcome, gone() ? 'caller' : 'system', t.name === 'goodbye' ? 'config-fault' : undefined);
      return;
    } catch (next) {
      call.log.error({ err: next, fallback: t.name }, 'the safe path failed too; trying the next');
    }
  }
  if (!call.isEnded) await call.end(gone() ? 'abandoned' : 'failed', gone() ? 'caller' : 'system', 'config-fault');
}
