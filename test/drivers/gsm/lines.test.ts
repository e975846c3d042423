import t from 'tap';
import { lineFor, once, ready, spawnEmulator, waitFor } from './emu.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { toFrames } from '../../../drivers/media/format.js';
import type { ModemLeg as GsmLeg } from '../../../drivers/modem/leg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('no keepalive while a dial is pending', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei']);
  const line = lineFor(t, emu, 'huawei');
  await ready(line);
  // The start-up SMS listing goes out right at ready; on a loaded machine it can reach the modem late.
  for (let i = 0; i < 40 && !((await emu.send({ cmd: 'log' })).commands as string[]).includes('AT+CMGL=4'); i++) await sleep(100);
  await emu.send({ cmd: 'dial-outcome', outcome: 'no-answer' });
  await emu.send({ cmd: 'delay', command: 'ATD', ms: 2500 });
  const before = (await emu.send({ cmd: 'log' })).next as number;
  const leg = await line.dial('10010');
  await sleep(3500); // far beyond the 1.5 s idle ping of the test profile
  const log = (await emu.send({ cmd: 'log', since: before })).commands as string[];
  // A keepalive may legitimately go out between taking `before` and the dial; only what follows ATD counts.
  const dialAt = log.indexOf('ATD10010;');
  t.ok(dialAt >= 0, 'the dial reached the modem');
  t.same(log.slice(dialAt), ['ATD10010;'], 'nothing but the dial went to the modem while it was pending');
  await leg.hangup();
  // The 1.5 s idle ping comes back; allow for a loaded machine rather than a fixed sleep.
  let after: string[] = [];
  for (let i = 0; i < 40 && !after.includes('AT'); i++) {
    await sleep(250);
    after = (await emu.send({ cmd: 'log', since: before })).commands as string[];
  }
  t.ok(after.includes('AT'), 'keepalive resumes once the call attempt is over');
});

t.test('two lines: a failing line never disturbs the call on the other', async (t) => {
  const [ea, eb] = await Promise.all([spawnEmulator(t, ['--dialect', 'huawei']), spawnEmulator(t, ['--dialect', 'quectel'])]);
  const a = lineFor(t, ea, 'huawei');
  const b = lineFor(t, eb, 'quectel');
  await Promise.all([a.start(), b.start()]);
  await waitFor('both ready', () => a.health().state === 'ready' && b.health().state === 'ready');
  const incoming = once<GsmLeg>(a, 'incoming');
  await ea.send({ cmd: 'ring', number: '+8613811111111' });
  const leg = await incoming;
  await leg.answer();
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  await ea.send({ cmd: 'clear-recording' });
  await ea.send({ cmd: 'play', tone: [440], ms: 6000 });
  for (const f of toFrames(tone([1000], 6000))) leg.media!.write(f);

  // Line B: hangs, then vanishes, then returns.
  await eb.send({ cmd: 'mute' });
  await waitFor('b down', () => b.health().state === 'down', 8000);
  await eb.send({ cmd: 'unplug', ms: 1000 });
  await sleep(6500);
  t.equal(leg.state, 'answered', 'the call on line A is still up');
  const idx = got.map((f, i) => (toneLevel(f, 440) > 0.1 ? i : -1)).filter((i) => i >= 0);
  t.equal(idx.length, 300, 'line A received every caller frame');
  t.equal(idx[idx.length - 1]! - idx[0]!, idx.length - 1, 'with no gap');
  const stats = await ea.send({ cmd: 'recording' });
  t.ok((stats.frames as number) >= 300, 'line A kept sending');
  t.comment(`line A modem received ${String(stats.frames)} frames, worst lateness ${String(stats.maxLateMs)} ms, while line B failed`);
  await waitFor('b back', () => b.health().state === 'ready', 15_000);
  t.equal(a.health().state, 'ready');
  await leg.hangup();
});
