import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');
let lib: Koffi | undefined;

/**
 * koffi (calls into C libraries), loaded on first use: it costs about 7 MB of memory, and most boxes
 * use it for one optional feature or none (systemd's notify socket, speexdsp's echo canceller).
 */
export function koffi(): Koffi {
  lib ??= createRequire(import.meta.url)('koffi') as Koffi;
  return lib;
}

/** Whether koffi is loaded already (a use that saves less than its cost can then run for free). */
export function koffiLoaded(): boolean {
  return lib !== undefined;
}
