import t from 'tap';
import { offered, once, ready, rig, waitFor } from './rig.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import type { Leg, LegEnd } from '../../../drivers/line.js';

t.test('a modem that answers AT+VLS=1 and ATD with VCON: the call is answered and carries audio; dial-out too', async (t) => {
  const { emu, line } = await rig(t, { vlsVcon: true }, { ringsBeforeAnswer: 1 });
  await ready(line);
  const leg = await offered<Leg>(line, () => emu.ring('5551234'));
  const t0 = performance.now();
  await leg.answer();
  t.ok(performance.now() - t0 < 2000, 'answered at once (VCON is the answer, no 5 s timeout)');
  t.equal(leg.state, 'answered');
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  emu.play(tone([440], 600));
  await waitFor('caller audio', () => got.filter((f) => toneLevel(f, 440) > 0.1).length >= 20, 3000);
  await leg.hangup();
  t.equal(line.health().state, 'ready', 'no line-down');
  const out = await line.dial('5559876');
  if (out.state !== 'answered') await once(out, 'answered', 8000);
  t.equal(out.state, 'answered', 'dial-out: VCON to the off-hook and VCON as the callee-answered result of ATD');
  const outAudio: Buffer[] = [];
  out.media!.on('frame', (f) => outAudio.push(f));
  emu.play(tone([440], 600));
  await waitFor('callee audio', () => outAudio.filter((f) => toneLevel(f, 440) > 0.1).length >= 20, 3000);
  await out.hangup();
});

t.test('hang-up into silence: <DLE>s repeated ends the call on the configured repeat; <DLE>q counts too', async (t) => {
  const { emu, line } = await rig(t, {}, { ringsBeforeAnswer: 1, silenceHangupEvents: 2 });
  emu.silenceEveryMs = 500;
  await ready(line);
  let incoming = once<Leg>(line, 'incoming');
  emu.ring('5551234');
  let leg = await incoming;
  await leg.answer();
  let ended = once<LegEnd>(leg, 'ended');
  const t0 = performance.now();
  emu.hangup('silence');
  const end = await ended;
  const ms = performance.now() - t0;
  t.match(end, { by: 'remote', cause: 'silence', detail: /<DLE>s silence x2/ });
  t.ok(ms >= 400 && ms < 2000, `ended on the second <DLE>s, ${ms.toFixed(0)} ms after the first`);
  await waitFor('on hook', () => emu.state === 'idle', 3000);

  incoming = once<Leg>(line, 'incoming');
  emu.ring('5551234');
  leg = await incoming;
  await leg.answer();
  // One <DLE>s is not enough here (2 configured): the call stays up.
  emu.dleEvent('s');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(leg.state, 'answered', 'one <DLE>s of two: still up');
  emu.dleEvent('5');
  ended = once<LegEnd>(leg, 'ended');
  emu.dleEvent('s');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(leg.state, 'answered', 'a key press in between starts the count again');
  emu.hangup('quiet');
  // <DLE>q counts like <DLE>s: the second event in a row.
  t.match(await ended, { by: 'remote', cause: 'silence', detail: /<DLE>q quiet/ });
});
