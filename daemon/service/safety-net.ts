import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';

export interface SafetyNetOptions {
  log: Logger;
  bus: Bus;
  /** Calls in progress, logged with each fault (what was at stake). */
  activeCalls?: () => number;
  /** The alarm clears after this long without another fault. */
  quietMs?: number;
  /** This many faults within stormWindowMs: something loops; exit so systemd restarts us. */
  stormLimit?: number;
  stormWindowMs?: number;
  exit?: (code: number) => void;
}

export const PROCESS_FAULT = 'process-fault';

/**
 * The last line of defence: an exception or rejection nothing caught would otherwise end the
 * process, and with it every call in progress. It is logged with its stack and context, raises
 * the `process-fault` alarm (cleared after a quiet period) and the daemon carries on: each call
 * already has its own error boundary (the call runner), so what failed was at most one call's
 * handler. A storm of faults (a loop) still exits, with status 70, for systemd to restart a clean
 * process. Returns a function that removes the handlers.
 */
export function installSafetyNet(o: SafetyNetOptions): () => void {
  const quietMs = o.quietMs ?? 10 * 60_000;
  const limit = o.stormLimit ?? 50;
  const windowMs = o.stormWindowMs ?? 10_000;
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let count = 0;
  let recent: number[] = [];
  let quiet: NodeJS.Timeout | undefined;

  const fault = (kind: 'uncaughtException' | 'unhandledRejection', err: unknown, origin?: string): void => {
    count++;
    const now = Date.now();
    recent = recent.filter((t) => now - t < windowMs);
    recent.push(now);
    const message = err instanceof Error ? err.message : String(err);
    o.log.error({ err, kind, ...(origin ? { origin } : {}), faults: count, activeCalls: o.activeCalls?.() }, `${kind}: nothing handled this error; the daemon keeps running`);
    try {
      o.bus.emit('alarm', { code: PROCESS_FAULT, source: 'daemon', severity: 'critical', active: true, message: `${count} unexpected error(s) since start; last: ${kind}: ${message}` });
    } catch {
      /* the alarm is best effort; the log line above is the record */
    }
    clearTimeout(quiet);
    quiet = setTimeout(() => o.bus.emit('alarm', { code: PROCESS_FAULT, source: 'daemon', severity: 'critical', active: false, message: `no unexpected error for ${Math.round(quietMs / 1000)} s` }), quietMs);
    quiet.unref();
    if (recent.length >= limit) {
      o.log.fatal({ faults: recent.length, windowMs }, 'too many unexpected errors in a row; exiting for a clean restart');
      exit(70);
    }
  };
  const onException = (err: Error, origin: string): void => fault('uncaughtException', err, origin);
  const onRejection = (reason: unknown): void => fault('unhandledRejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    clearTimeout(quiet);
  };
}
