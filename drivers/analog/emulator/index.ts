import { mkdirSync } from 'node:fs';
import { AnalogModemEmulator, type AnalogEmulatorOptions } from './modem.js';

export { AnalogModemEmulator, DEFAULT_VSM, type AnalogEmulatorOptions, type FarEndGone, type RecordedFrame } from './modem.js';

/** Create the tty pair in opts.dir and start the modem; `path` is what the line's `port` points at. */
export async function startAnalogEmulator(opts: AnalogEmulatorOptions): Promise<AnalogModemEmulator> {
  mkdirSync(opts.dir, { recursive: true });
  const modem = new AnalogModemEmulator(opts);
  await modem.start();
  return modem;
}
