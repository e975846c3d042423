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

/**
 * A fast ringback for dial-outs: 300 ms rings with 500 ms pauses (real: 1 s / 4 s), and timers to
 * match (gone 0.8 s > the pause; never 2 s). An answering callee picks up after 2 rings: ~2.2 s.
 */
export const TEST_RINGBACK = { emu: { ringbackOnMs: 300, ringbackOffMs: 500 }, line: { goneMs: 800, neverMs: 2000 } };

/** An emulated voice modem on a real socat tty pair and an analog line on it (not started). */
export async function rig(t: Teardown, emuOpts: Partial<AnalogEmulatorOptions> = {}, lineOpts: Partial<AnalogLineOptions> = {}): Promise<{ emu: AnalogModemEmulator; line: AnalogLine }> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-analog-'));
  const emu = await startAnalogEmulator({ dir, ringIntervalMs: 500, ...TEST_RINGBACK.emu, ...emuOpts });
  const line = createAnalogLine({ id: 'pstn1', port: emu.path, timeouts: TEST_TIMEOUTS, ringback: TEST_RINGBACK.line, ...lineOpts });
  t.teardown(async () => {
    await line.stop();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { emu, line };
}

export { offered, once, ready, waitFor } from '../gsm/emu.js';
