import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import { ModemEmulator, type EmulatorOptions } from './modem.js';
import { serveControl } from './control.js';

export { ModemEmulator, type EmulatorOptions } from './modem.js';
export { handleControl, type ControlRequest } from './control.js';

export interface RunningEmulator {
  modem: ModemEmulator;
  /** Daemon-side tty paths and the control socket. */
  paths: { at: string; voice: string; control: string };
  close(): Promise<void>;
}

/** Create the tty pairs in opts.dir, start the modem and its control socket (<dir>/control.sock). */
export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  mkdirSync(opts.dir, { recursive: true });
  const modem = new ModemEmulator(opts);
  await modem.start();
  const control = `${opts.dir}/control.sock`;
  const server: Server = await serveControl(modem, control);
  return {
    modem,
    paths: { ...modem.paths, control },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await modem.close();
    },
  };
}
