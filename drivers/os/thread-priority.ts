import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

/**
 * Make the calling thread (a worker doing control-plane work: config validation, KPIs) yield the
 * CPU to the main thread, which paces every call's audio. On a small box with two cores a worker
 * busy for a second otherwise competes with the main thread for the same core. Linux keeps a nice
 * value per thread: setpriority() on this thread's id (from /proc/thread-self) lowers only this
 * thread. Returns whether it worked; elsewhere (or without /proc) nothing changes.
 */
export function lowerThisThreadPriority(): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, constants.priority.PRIORITY_LOW);
    return true;
  } catch {
    return false;
  }
}
