import t from 'tap';
import { offered, once, ready, rig, waitFor } from './rig.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { FRAME_BYTES, toFrames } from '../../../drivers/media/format.js';
import { DLE, ETX } from '../../../drivers/analog/dle.js';
import type { Leg, LegEnd, LineAlarm, LineHealth } from '../../../drivers/line.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many frames carry `freq`, and whether they form one unbroken run. */
function run(frames: Buffer[], freq: number): { count: number; contiguous: boolean } {
  const idx = frames.map((f, i) => (toneLevel(f, freq) > 0.1 ? i : -1)).filter((i) => i >= 0);
  return { count: idx.length, contiguous: idx.length > 0 && idx[idx.length - 1]! - idx[0]! === idx.length - 1 };
}

/** A frame full of 0x10 bytes and their neighbours: every sample has a DLE in it. */
function dlePattern(seed: number): Buffer {
  const f = Buffer.alloc(FRAME_BYTES);
  for (let i = 0; i < FRAME_BYTES; i++) f[i] = i % 3 === 0 ? DLE : (i * 7 + seed) & 0xff;
  return f;
}

t.test('init: ATE0, voice class, caller ID, 16-bit linear at 8 kHz, ready', async (t) => {
  const { emu, line } = await rig(t);
  const health: LineHealth[] = [];
  line.on('health', (h) => health.push(h));
  await ready(line);
  const cmds = emu.commands.map((c) => c.line);
  for (const c of ['ATZ', 'ATE0', 'AT+FCLASS=8', 'AT+VCID=1', 'AT+VSM=?', 'AT+VSM=133,8000', 'AT+VLS=?']) t.ok(cmds.includes(c), `sent ${c}`);
  t.match(line.format, { cml: 133, kind: 's16' });
  t.equal(emu.chosenFormat.cml, 133, 'the modem has 16-bit linear selected');
  t.match(line.health(), { kind: 'analog', state: 'ready', inCall: false });
  t.ok(health.some((h) => h.state === 'ready'), 'health reported');
});

t.test('incoming call: caller ID, answer on ring 2, 3 s of audio both ways, DLE bytes intact, <DLE>5, busy-tone hang-up', async (t) => {
  const { emu, line } = await rig(t);
  await ready(line);

  let ringsAtAnswer = -1;
  emu.on('command', (c) => c === 'AT+VLS=1' && (ringsAtAnswer = emu.rings));
  const leg = await offered<Leg>(line, () => emu.ring('5551234', 'JOHN DOE'));
  t.same(leg.remote, { number: '5551234', name: 'JOHN DOE' }, 'caller ID from NMBR / NAME');
  t.equal(line.health().inCall, true);
  await leg.answer();
  t.equal(ringsAtAnswer, 2, 'went off hook on the second ring (rings_before_answer 2)');
  t.equal(leg.state, 'answered');
  const media = leg.media!;
  const got: Buffer[] = [];
  media.on('frame', (f) => got.push(f));
  const dtmf: [string, string][] = [];
  leg.on('dtmf', (d, src) => dtmf.push([d, src]));

  // 3 s each way: the caller says 440 Hz, we send 1 kHz; then DLE-laden patterns each way.
  emu.clearRecording();
  const fromUs = [dlePattern(1), dlePattern(2)];
  const fromCaller = [dlePattern(3), dlePattern(4)];
  emu.play(Buffer.concat([tone([440], 3000), ...fromCaller]));
  for (const f of [...toFrames(tone([1000], 3000)), ...fromUs]) media.write(Buffer.from(f));
  await sleep(3400);
  emu.dtmf('5', { inBand: false });
  await waitFor('dtmf', () => dtmf.length > 0, 2000);
  t.same(dtmf, [['5', 'dle']], '<DLE>5 → dtmf event from the modem, source dle');

  // The DLE patterns are noise-like and would count as tone frames: leave them out of the tone checks.
  const isPattern = (f: Buffer): boolean => [...fromUs, ...fromCaller].some((p) => p.equals(f));
  const inbound = run(got.filter((f) => !isPattern(f)), 440);
  t.equal(inbound.count, 150, 'all 150 caller frames arrived');
  t.ok(inbound.contiguous, 'caller audio has no gaps');
  t.ok(got.every((f) => f.length === FRAME_BYTES), '320-byte frames');
  const rec = emu.recording.map((r) => r.frame);
  const outbound = run(rec.filter((f) => !isPattern(f)), 1000);
  t.equal(outbound.count, 150, 'all 150 of our frames reached the modem');
  t.ok(outbound.contiguous, 'our audio has no gaps');
  const stats = emu.recordingStats();
  t.comment(`modem received ${stats.frames} frames over ${Math.round(stats.durationMs)} ms; worst lateness vs 50 Hz ${stats.maxLateMs} ms`);
  t.ok(stats.maxLateMs < 500, 'paced in real time');
  const idxIn = got.findIndex((f) => f.equals(fromCaller[0]!));
  t.ok(idxIn >= 0 && got[idxIn + 1]!.equals(fromCaller[1]!), 'caller frames full of 0x10 bytes arrived byte for byte');
  const idxOut = rec.findIndex((f) => f.equals(fromUs[0]!));
  t.ok(idxOut >= 0 && rec[idxOut + 1]!.equals(fromUs[1]!), 'our frames full of 0x10 bytes reached the modem byte for byte');

  const ended = once<LegEnd>(leg, 'ended');
  const t0 = performance.now();
  emu.hangup('busy');
  const end = await ended;
  const ms = performance.now() - t0;
  t.match(end, { by: 'remote', cause: 'normal', detail: /busy/ });
  t.ok(ms < 1000, `busy tone ended the leg in ${ms.toFixed(0)} ms`);
  t.ok(media.closed, 'media closed');
  await waitFor('on hook', () => emu.state === 'idle', 3000);
  t.ok(emu.dleFromDte.includes(ETX), 'left voice mode with <DLE><ETX>');
  t.equal(emu.commands.at(-1)?.line, 'AT+VLS=0', 'then went on hook with AT+VLS=0');
  t.equal(line.health().inCall, false);
  t.equal(line.health().state, 'ready');
});

t.test('loop current drop and dial tone end the call; our hang-up leaves voice mode and goes on hook', async (t) => {
  const { emu, line } = await rig(t, {}, { ringsBeforeAnswer: 1 });
  await ready(line);

  for (const how of ['loop', 'dialtone'] as const) {
    const leg = await offered<Leg>(line, () => emu.ring('5550001'));
    await leg.answer();
    await sleep(300);
    const ended = once<LegEnd>(leg, 'ended');
    const t0 = performance.now();
    emu.hangup(how);
    const end = await ended;
    const ms = performance.now() - t0;
    t.equal(end.by, 'remote');
    t.ok(ms < 1000, `${how}: leg ended in ${ms.toFixed(0)} ms`);
    await waitFor('on hook', () => emu.state === 'idle' && !emu.voiceOn, 3000);
    t.pass(`${how}: modem back on hook`);
  }

  // The daemon hangs up.
  const leg = await offered<Leg>(line, () => emu.ring(undefined));
  t.same(leg.remote, {}, 'withheld number: unknown caller');
  await leg.answer();
  await sleep(300);
  emu.dleFromDte.length = 0;
  const mark = emu.commands.length;
  await leg.hangup();
  t.equal(leg.state, 'ended');
  t.same(emu.dleFromDte, [ETX], 'sent <DLE><ETX> to leave voice mode');
  t.same(emu.commands.slice(mark).map((c) => c.line), ['AT+VLS=0'], 'then AT+VLS=0');
  t.equal(emu.state, 'idle', 'modem on hook');
  t.equal(line.health().state, 'ready');
  // The line still takes commands: a keepalive goes through after the call.
  await waitFor('keepalive', () => emu.commands.slice(mark + 1).some((c) => c.line === 'AT'), 4000);
  t.pass('command mode works after the call');
});

t.test('dial out: off hook, ATD, full-duplex voice; busy', async (t) => {
  const { emu, line } = await rig(t);
  await ready(line);
  const leg = await line.dial('+5551234');
  t.equal(leg.direction, 'outbound');
  if (leg.state !== 'answered') await once(leg, 'answered', 8000);
  t.equal(emu.dialled, '5551234', 'dialled the digits');
  const cmds = emu.commands.map((c) => c.line);
  t.ok(cmds.indexOf('AT+VLS=1') < cmds.indexOf('ATD5551234;') && cmds.indexOf('ATD5551234;') < cmds.indexOf('AT+VTR'), 'AT+VLS=1, ATD5551234;, AT+VTR in order');
  emu.clearRecording();
  for (const f of toFrames(tone([1000], 1000))) leg.media!.write(Buffer.from(f));
  // Paced at 50 frames/s: a second, plus however late a loaded machine delivers the last frames.
  await waitFor('tone sent and recorded', () => leg.media!.queued === 0 && run(emu.recording.map((r) => r.frame), 1000).count >= 50, 5000);
  await sleep(100);
  t.equal(run(emu.recording.map((r) => r.frame), 1000).count, 50, 'audio reaches the callee');
  await leg.hangup();
  t.equal(emu.state, 'idle');

  emu.dialOutcome = 'busy';
  const busy = await line.dial('5559999');
  if (busy.state !== 'ended') await once<LegEnd>(busy, 'ended', 3000);
  t.match(busy.end, { by: 'network', cause: 'busy' }, 'BUSY to ATD ends the leg as busy');
  await waitFor('idle', () => emu.state === 'idle' && line.health().inCall === false, 3000);
  t.pass('line free again');
});

t.test('a µ-law-only modem: G.711 both ways', async (t) => {
  const { emu, line } = await rig(t, { formats: ['131,"8-BIT ULAW",(8000)', '132,"ADPCM (IMA)",(8000)'] });
  await ready(line);
  t.match(line.format, { cml: 131, kind: 'ulaw' });
  const leg = await offered<Leg>(line, () => emu.ring('5551234'));
  await leg.answer();
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  emu.clearRecording();
  emu.play(tone([440], 1000));
  for (const f of toFrames(tone([1000], 1000))) leg.media!.write(Buffer.from(f));
  await waitFor('tones both ways', () => leg.media!.queued === 0 && run(got, 440).count >= 50 && run(emu.recording.map((r) => r.frame), 1000).count >= 50, 5000);
  await sleep(100);
  t.equal(run(got, 440).count, 50, '440 Hz from the caller, 50 frames');
  t.equal(run(emu.recording.map((r) => r.frame), 1000).count, 50, '1 kHz to the caller, 50 frames');
  await leg.hangup();
});

t.test('port unplugged: call ends, line down with alarm, back when the modem returns', async (t) => {
  const { emu, line } = await rig(t);
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  const leg = await offered<Leg>(line, () => emu.ring('5551234'));
  await leg.answer();
  const ended = once<LegEnd>(leg, 'ended');
  await emu.unplug();
  t.match(await ended, { by: 'network', cause: 'line-down' });
  await waitFor('down', () => line.health().state === 'down', 3000);
  t.match(alarms, [{ code: 'line-down', active: true }]);
  await emu.replug();
  await waitFor('ready again', () => line.health().state === 'ready', 8000);
  t.match(alarms.at(-1), { code: 'line-down', active: false }, 'alarm cleared');
  t.ok(line.stats.reopens >= 1, `reopened (${line.stats.reopens} attempts)`);
});
