import t from 'tap';
import type { ModemLeg } from '../../../drivers/modem/leg.js';
import { hearSecondPrompt, steadyRun, type SecondPrompt } from '../../helpers/line-echo.js';
import { emulatorAndLine, offered, ready } from './emu.js';

/**
 * A GSM module whose own echo canceller is off returns what the box sends: the emulator (on real
 * socat ttys) echoes it 12 dB down after its playout delay. `echo_cancel` on the line takes it out.
 */
async function echoCall(t: Tap, tailMs?: number): Promise<SecondPrompt> {
  const { emu, line } = await emulatorAndLine(t, { dialect: 'quectel', ringIntervalMs: 500, echoDb: -12 }, { id: `gsm-echo-${tailMs ?? 'off'}`, ...(tailMs ? { echoCancel: { tailMs } } : {}) });
  await ready(line);
  const leg = await offered<ModemLeg>(line, () => emu.ring('13912345678'));
  await leg.answer();
  return hearSecondPrompt(leg, emu);
}
type Tap = { teardown(fn: () => void | Promise<void>): void; comment(...args: unknown[]): unknown };

// Two lines side by side (half the wall time): the one without the canceller shows the test can fail.
t.test('GSM lines whose module echoes at -12 dB: without echo_cancel the echo reaches the call; with 128ms it is >= 20 dB down', async (t) => {
  const [off, on] = await Promise.all([
    echoCall(t),
    // A run whose echo path was disturbed (the delay moved) is run again (drivers/analog/README.md).
    steadyRun(t, () => echoCall(t, 128), (r) => r.erleDb >= 20),
  ]);
  t.ok(off.echoEnergy > 0 && on.echoEnergy > 0, 'the modules returned our audio');
  t.ok(off.erleDb < 3, `without echo_cancel the echo passes: ${off.erleDb.toFixed(1)} dB less than the line returned`);
  t.ok(on.erleDb >= 20, `with echo_cancel 128ms: ERLE ${on.erleDb.toFixed(1)} dB over the second prompt${on.disturbed ? ` (run ${on.run}; ${on.disturbed})` : ''}`);
});
