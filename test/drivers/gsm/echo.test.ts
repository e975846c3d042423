import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModemEmulator } from '../../../drivers/gsm/emulator/modem.js';
import { createGsmLine } from '../../../drivers/gsm/line.js';
import type { ModemLeg } from '../../../drivers/modem/leg.js';
import { hearSecondPrompt, steadyRun, type SecondPrompt } from '../../helpers/line-echo.js';
import { TEST_TIMEOUTS, once, waitFor } from './emu.js';

/**
 * A GSM module whose own echo canceller is off returns what the box sends: the emulator (on real
 * socat ttys) echoes it 12 dB down after its playout delay. `echo_cancel` on the line takes it out.
 */
async function echoCall(t: Tap, tailMs?: number): Promise<SecondPrompt> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-gsm-echo-'));
  const emu = new ModemEmulator({ dialect: 'quectel', dir, ringIntervalMs: 500, echoDb: -12 });
  await emu.start();
  const line = createGsmLine({ id: 'gsm-echo', dialect: 'quectel', atPort: emu.paths.at, voicePort: emu.paths.voice, timeouts: TEST_TIMEOUTS, ...(tailMs ? { echoCancel: { tailMs } } : {}) });
  t.teardown(async () => {
    await line.stop();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await line.start();
  await waitFor('ready', () => line.health().state === 'ready');
  const incoming = once<ModemLeg>(line, 'incoming');
  emu.ring('13912345678');
  const leg = await incoming;
  await leg.answer();
  return hearSecondPrompt(leg, emu);
}
type Tap = { teardown(fn: () => void | Promise<void>): void; comment(...args: unknown[]): unknown };

t.test('GSM line without echo_cancel: the echo at -12 dB reaches the call (the test below can fail)', async (t) => {
  const { erleDb, echoEnergy } = await echoCall(t);
  t.ok(echoEnergy > 0, 'the module returned our audio');
  t.ok(erleDb < 3, `the echo passes: ${erleDb.toFixed(1)} dB less than the line returned`);
});

t.test('GSM line with echo_cancel 128ms: the echo reaching the call is >= 20 dB down', async (t) => {
  // A run whose echo path was disturbed (the delay moved) is run again (drivers/analog/README.md).
  const { erleDb, disturbed, run } = await steadyRun(t, () => echoCall(t, 128), (r) => r.erleDb >= 20);
  t.ok(erleDb >= 20, `ERLE ${erleDb.toFixed(1)} dB over the second prompt${disturbed ? ` (run ${run}; ${disturbed})` : ''}`);
});
