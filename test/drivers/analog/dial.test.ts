import t from 'tap';
import { once, ready, rig, waitFor } from './rig.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import type { LegEnd, LineAlarm } from '../../../drivers/line.js';

t.test('dial-out waits for the callee: ringing through the ringback, answered once it stops (AT+VRA / AT+VRN)', async (t) => {
  const { emu, line } = await rig(t);
  await ready(line);
  const cmds = emu.commands.map((c) => c.line);
  t.ok(cmds.includes('AT+VRA=8') && cmds.includes('AT+VRN=2'), 'ringback timers set at init (0.8 s gone, 2 s never)');
  t.equal(line.answerDetection, true);

  emu.answerAfterRingbacks = 3;
  const t0 = performance.now();
  const leg = await line.dial('5551234', { timeoutMs: 15_000 });
  t.equal(leg.state, 'ringing', 'ringing while ATD runs');
  await waitFor('second ringback', () => emu.ringbacks >= 2, 5000);
  t.equal(leg.state, 'ringing', 'still ringing at the second ring (the pause between rings is no answer)');
  t.notOk(emu.commands.some((c) => c.line === 'AT+VTR'), 'no voice while the callee has not answered');
  await once(leg, 'answered', 10_000);
  const took = performance.now() - t0;
  t.equal(emu.ringbacks, 3, 'answered after the third ring');
  // 300 ms dialling + 3 rings of 300 ms + 2 pauses of 500 ms + 800 ms of silence after the last ring.
  t.ok(took >= 2900, `answered when the ringback had been gone for ringback_gone (${Math.round(took)} ms after dialling)`);
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  emu.play(tone([440], 600));
  await waitFor('callee audio', () => got.filter((f) => toneLevel(f, 440) > 0.1).length >= 20, 3000);
  await leg.hangup();
  await waitFor('on hook', () => emu.state === 'idle', 3000);
});

t.test('busy ends the dial as busy; a callee who never answers ends as no-answer at the ring timeout: ATD aborted, modem on hook, next dial works', async (t) => {
  const { emu, line } = await rig(t);
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  emu.dialOutcomes.set('5550001', 'busy');
  emu.dialOutcomes.set('5550002', 'no-answer');

  const busy = await line.dial('5550001', { timeoutMs: 10_000 });
  const busyEnd = busy.end ?? (await once<LegEnd>(busy, 'ended', 5000));
  t.match(busyEnd, { by: 'network', cause: 'busy' }, 'BUSY → busy');
  await waitFor('free after busy', () => emu.state === 'idle' && !line.health().inCall, 3000);

  const t0 = performance.now();
  const silent = await line.dial('5550002', { timeoutMs: 2500 });
  t.equal(silent.state, 'ringing');
  const end = await once<LegEnd>(silent, 'ended', 8000);
  const took = performance.now() - t0;
  t.match(end, { by: 'local', cause: 'no-answer' }, 'ended no-answer at the ring timeout');
  t.ok(took >= 2400 && took < 5000, `after the 2.5 s ring timeout (${Math.round(took)} ms)`);
  t.ok(emu.ringbacks >= 2, `the callee's phone rang (${emu.ringbacks} rings)`);
  await waitFor('modem on hook', () => emu.state === 'idle' && emu.dialAborts === 1, 3000);
  t.pass('the pending ATD was aborted by a character and the modem went on hook');
  await waitFor('line free', () => !line.health().inCall, 3000);
  const after = emu.commands.map((c) => c.line).slice(emu.commands.findIndex((c) => c.line === 'ATD5550002;'));
  t.notOk(after.includes('AT+VTR'), 'no voice was started for the unanswered call');

  emu.answerAfterRingbacks = 1;
  const next = await line.dial('5550003', { timeoutMs: 10_000 });
  await once(next, 'answered', 8000);
  t.equal(emu.dialled, '5550003', 'the next dial goes out and is answered');
  await next.hangup();
  t.same(alarms, [], 'no line-down, no reset');
  t.equal(line.stats.timeouts, 0, 'no AT command timed out');
});

t.test('a modem without the ringback timers still dials; its dial-outs count as answered once dialled', async (t) => {
  const { emu, line } = await rig(t, { noRingbackTimers: true });
  await ready(line);
  t.equal(line.answerDetection, false, 'AT+VRA refused: no answer detection');
  emu.dialOutcome = 'no-answer';
  const leg = await line.dial('5551234', { timeoutMs: 10_000 });
  await once(leg, 'answered', 5000);
  t.equal(emu.ringbacks, 0, 'answered without waiting for the callee (the documented limit of such modems)');
  await leg.hangup();
});
