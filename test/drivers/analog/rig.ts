import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnalogEmulator, type AnalogModemEmulator, type AnalogEmulatorOptions } from '../../../drivers/analog/emulator/index.js';
import { createAnalogLine, type AnalogLine, type AnalogLineOptions } from '../../../drivers/analog/line.js';

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

/** Fast timeouts for tests; production defaults are 1 s / 5 s / 40 s, 10 s keepalive, 8 s ring-gone. */
export const TEST_TIMEOUTS = { short: 1000, normal: 3000, long: 10_000, idlePingMs: 1500, ringGoneMs: 3000, reopenMinMs: 300, reopenMaxMs: 1500 };

/** An emulated voice modem on a real socat tty pair and an analog line on it (not started). */
export async function rig(t: Teardown, emuOpts: Partial<AnalogEmulatorOptions> = {}, lineOpts: Partial<AnalogLineOptions> = {}): Promise<{ emu: AnalogModemEmulator; line: AnalogLine }> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-analog-'));
  const emu = await startAnalogEmulator({ dir, ringIntervalMs: 500, ...emuOpts });
  const line = createAnalogLine({ id: 'pstn1', port: emu.path, timeouts: TEST_TIMEOUTS, ...lineOpts });
  t.teardown(async () => {
    await line.stop();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { emu, line };
}

export { once, waitFor } from '../gsm/emu.js';
