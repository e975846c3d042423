import { readFileSync } from 'node:fs';
import { koffi, koffiLoaded } from '../../drivers/ffi.js';
import type { Logger } from '../log.js';

/**
 * glibc's malloc_trim(0): give the pages of freed malloc memory back to the kernel. malloc keeps
 * what start-up, a config reload (its worker) or a burst of calls freed, scattered through its
 * arenas, where the top-of-heap trimming free() does cannot reach it: about 8 MB of a box's idle
 * RSS (npm run bench-memory). Only offered when koffi is loaded already (the systemd notifier loads
 * it under the service): loading it for this alone costs about 6 MB. Undefined when unavailable
 * (another libc, no koffi yet).
 */
export function mallocTrimmer(): (() => boolean) | undefined {
  if (!koffiLoaded()) return undefined;
  try {
    const trim = koffi().load('libc.so.6').func('int malloc_trim(size_t)') as (pad: number) => number;
    return () => trim(0) === 1;
  } catch {
    return undefined;
  }
}

/** This process's resident set size in MB, from /proc. */
function rssMb(): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

/** When the trims run: once start-up has settled, then while no call is up. */
export const TRIM_FIRST_MS = 5_000;
export const TRIM_EVERY_MS = 30_000;

/**
 * Trim once TRIM_FIRST_MS after start (its garbage, the config worker's), then every TRIM_EVERY_MS
 * while no call is in progress (during calls the pages would only be faulted back in). Returns a
 * stop function; a no-op where there is no trimmer.
 */
export function startIdleTrim(activeCalls: () => number, log: Logger, trim = mallocTrimmer()): () => void {
  if (!trim) return () => {};
  const run = (first: boolean): void => {
    if (!first && activeCalls() > 0) return;
    const before = rssMb();
    trim();
    const after = rssMb();
    if (first) log.info({ rssBeforeMb: before, rssAfterMb: after }, 'memory: freed malloc pages returned to the system');
    else log.debug({ rssBeforeMb: before, rssAfterMb: after }, 'memory: idle trim');
  };
  const first = setTimeout(() => run(true), TRIM_FIRST_MS);
  const every = setInterval(() => run(false), TRIM_EVERY_MS);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
