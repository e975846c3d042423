import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineFor, offered, once, ready, spawnEmulator } from './emu.js';
import { readWav } from '../../../drivers/audio/wav.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { FRAME_BYTES, toFrames } from '../../../drivers/media/format.js';
import type { ModemLeg as GsmLeg } from '../../../drivers/modem/leg.js';
import type { LegEnd, Sms } from '../../../drivers/line.js';

/** Indices of frames carrying `freq`, and whether they form one unbroken run. */
function run(frames: Buffer[], freq: number): { count: number; contiguous: boolean } {
  const idx = frames.map((f, i) => (toneLevel(f, freq) > 0.1 ? i : -1)).filter((i) => i >= 0);
  return { count: idx.length, contiguous: idx.length > 0 && idx[idx.length - 1]! - idx[0]! === idx.length - 1 };
}

t.test('huawei: caller ID → answer → 10 s of audio both ways, SMS mid-call, caller hang-up', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei']);
  const line = lineFor(t, emu, 'huawei');
  await ready(line);

  const leg = await offered<GsmLeg>(line, () => emu.send({ cmd: 'ring', number: '+8613812345678' }));
  t.equal(leg.remote.number, '+8613812345678', 'caller ID from +CLIP');
  t.equal(leg.direction, 'inbound');
  await leg.answer();
  t.equal(leg.state, 'answered');
  const media = leg.media!;
  t.ok(media, 'media port up');
  const got: Buffer[] = [];
  media.on('frame', (f) => got.push(f));

  // 10 s each way: the caller says 440 Hz, we send 1 kHz.
  await emu.send({ cmd: 'clear-recording' });
  await emu.send({ cmd: 'play', tone: [440], ms: 10_000 });
  for (const f of toFrames(tone([1000], 10_000))) media.write(f);

  // An SMS arrives half way through the call.
  await new Promise((r) => setTimeout(r, 5000));
  const sms = once<Sms>(line, 'sms');
  await emu.send({ cmd: 'sms', from: '+8613700000001', text: '通话中的短信' });
  t.equal((await sms).text, '通话中的短信', 'SMS received mid-call');
  await new Promise((r) => setTimeout(r, 6000));

  t.equal(leg.state, 'answered', 'the call is untouched by the SMS');
  const inbound = run(got, 440);
  t.equal(inbound.count, 500, 'all 500 caller frames arrived at the daemon');
  t.ok(inbound.contiguous, 'caller audio has no gaps');
  t.ok(got.every((f) => f.length === FRAME_BYTES));

  const dir = mkdtempSync(join(tmpdir(), 'fd-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stats = await emu.send({ cmd: 'recording' });
  await emu.send({ cmd: 'save-recording', file: join(dir, 'rec.wav') });
  const rec = await readWav(join(dir, 'rec.wav'));
  const recFrames = toFrames(Buffer.from(rec.samples.buffer, rec.samples.byteOffset, rec.samples.byteLength));
  const outbound = run(recFrames, 1000);
  t.equal(outbound.count, 500, 'all 500 daemon frames arrived at the modem');
  t.ok(outbound.contiguous, 'daemon audio has no gaps (no lost frames, no silence inserted)');
  t.comment(`modem received ${String(stats.frames)} frames over ${Math.round(stats.durationMs as number)} ms; worst lateness vs a 50 Hz schedule ${String(stats.maxLateMs)} ms`);
  t.ok((stats.maxLateMs as number) < 1000, 'no frame came late enough for a listener to notice a gap');

  const ended = once<LegEnd>(leg, 'ended');
  const t0 = performance.now();
  await emu.send({ cmd: 'hangup' });
  const end = await ended;
  const ms = performance.now() - t0;
  t.equal(end.by, 'remote');
  t.ok(ms < 1000, `caller hang-up ended the leg in ${ms.toFixed(0)} ms`);
  t.ok(media.closed, 'media port closed');
  t.equal(line.health().inCall, false);
  t.equal((await emu.send({ cmd: 'status' })).storedSms, 0, 'SMS deleted from the SIM once handled');
});
