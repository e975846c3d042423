import t from 'tap';
import { offered, rig } from './rig.js';
import { hearSecondPrompt as secondPrompt, steadyRun, type SecondPrompt } from '../../helpers/line-echo.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { EnergyVad } from '../../../daemon/speech/vad/energy.js';
import { Endpointer } from '../../../daemon/speech/vad/endpointer.js';
import type { Leg } from '../../../drivers/line.js';

/** The speech worker's barge-in rule (energy VAD, 0.2 s start, 0.4 s barge-in) over what the box hears. */
function bargeIns(frames: Buffer[]): number {
  const vad = new EnergyVad();
  const ep = new Endpointer({ windowMs: 20, threshold: 0.5, startMs: 200, endSilenceMs: 700, bargeInMs: 400 });
  let n = 0;
  for (const f of frames) for (const e of ep.push(vad.process(new Int16Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.length))))) if (e.kind === 'barge-in') n++;
  return n;
}

/** Answer a call on a line whose modem echoes our audio at -12 dB; hear the second of two prompts. */
async function hearSecondPrompt(t: Tap, cancel: boolean, callerSays?: Buffer): Promise<SecondPrompt> {
  const { emu, line } = await rig(t, { echoDb: -12 }, { ringsBeforeAnswer: 1, ...(cancel ? { echoCancel: { tailMs: 128 } } : {}) });
  await line.start();
  const leg = await offered<Leg>(line, () => emu.ring('5551234'));
  await leg.answer();
  return secondPrompt(leg, emu, callerSays);
}

type Tap = { teardown(fn: () => void | Promise<void>): void };

t.test('without the canceller a prompt\'s own echo barges in (the test can fail)', async (t) => {
  const { heard } = await hearSecondPrompt(t, false);
  t.ok(bargeIns(heard) > 0, 'the echo at -12 dB reads as caller speech');
});

t.test('with the canceller the prompt\'s echo no longer barges in', async (t) => {
  // A run whose echo path was disturbed (the delay moved) is run again (drivers/analog/README.md).
  const { heard, erleDb, disturbed, run } = await steadyRun(t, () => hearSecondPrompt(t, true), (r) => bargeIns(r.heard) === 0);
  t.equal(bargeIns(heard), 0, `no barge-in from our own echo (ERLE ${erleDb.toFixed(1)} dB)${disturbed ? ` (run ${run}; ${disturbed})` : ''}`);
});

t.test('double talk: the caller talking over the prompt still comes through and still barges in', async (t) => {
  const caller = tone([700, 1100], 1500, -18);
  const { heard } = await hearSecondPrompt(t, true, caller);
  t.ok(bargeIns(heard) > 0, 'the caller barges in');
  const level = Math.max(...heard.map((f) => toneLevel(f, 700)));
  t.ok(level > 0.05, `the caller's voice passes the canceller (700 Hz level ${level.toFixed(3)})`);
});
