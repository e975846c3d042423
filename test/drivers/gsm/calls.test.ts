import t from 'tap';
import { lineFor, offered, once, ready, spawnEmulator, waitFor } from './emu.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { toFrames } from '../../../drivers/media/format.js';
import type { ModemLeg as GsmLeg } from '../../../drivers/modem/leg.js';
import type { LegEnd } from '../../../drivers/line.js';

const HANGUP = { huawei: ['AT+CHUP'], quectel: ['AT+CHUP', 'AT+QPCMV=0'], simcom: ['AT+CHUP', 'AT+CPCMREG=0'] } as const;
const VOICE_ON = { huawei: 'AT^DDSETEX=2', quectel: 'AT+QPCMV=1,0', simcom: 'AT+CPCMREG=1' } as const;

for (const dialect of ['quectel', 'simcom', 'huawei'] as const) {
  t.test(`${dialect}: incoming call, audio both ways, modem DTMF, daemon hang-up`, async (t) => {
    const emu = await spawnEmulator(t, ['--dialect', dialect]);
    const line = lineFor(t, emu, dialect);
    await ready(line);
    const leg = await offered<GsmLeg>(line, () => emu.send({ cmd: 'ring', number: '13912345678' }));
    t.equal(leg.remote.number, '13912345678', 'caller ID');
    await leg.answer();
    const got: Buffer[] = [];
    leg.media!.on('frame', (f) => got.push(f));
    const digits: string[] = [];
    leg.on('dtmf', (d, src) => digits.push(`${d}/${src}`));
    await emu.send({ cmd: 'play', tone: [440], ms: 1000 });
    for (const f of toFrames(tone([1000], 1000))) leg.media!.write(f);
    await new Promise((r) => setTimeout(r, 1400));
    t.ok(got.filter((f) => toneLevel(f, 440) > 0.1).length >= 45, 'caller audio arrives');
    const stats = await emu.send({ cmd: 'recording' });
    t.ok((stats.frames as number) >= 50, 'our audio arrives at the modem');
    if (dialect !== 'huawei') {
      // Quectel and SIMCom detect DTMF in the modem and report a URC (Huawei: in-band only).
      await emu.send({ cmd: 'play', dtmf: '5#' });
      await waitFor('dtmf', () => digits.length === 2);
      t.same(digits, ['5/modem', '#/modem']);
    }
    await leg.sendDtmf('7');
    const ended = once<LegEnd>(leg, 'ended');
    await leg.hangup();
    t.same(await ended, { by: 'local', cause: 'normal' });
    const log = (await emu.send({ cmd: 'log' })).commands as string[];
    t.ok(log.includes(VOICE_ON[dialect]), `voice switched on with ${VOICE_ON[dialect]}`);
    for (const c of HANGUP[dialect]) t.ok(log.includes(c), `hang-up sends ${c}`);
    t.ok(log.includes(dialect === 'huawei' ? 'AT^DTMF=1,7' : 'AT+VTS=7'), 'DTMF out in the dialect');
    t.equal(line.health().inCall, false);
  });
}

t.test('huawei: no +CLIP after RING → caller ID from AT+CLCC', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei']);
  const line = lineFor(t, emu, 'huawei');
  await ready(line);
  const leg = await offered<GsmLeg>(line, () => emu.send({ cmd: 'ring', number: '+8610123456', clip: false }));
  t.equal(leg.remote.number, '+8610123456');
  const ended = once<LegEnd>(leg, 'ended');
  await emu.send({ cmd: 'hangup' });
  t.equal((await ended).cause, 'cancelled', 'caller gave up before we answered');
});

t.test('dial out: answered, then busy', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'quectel']);
  const line = lineFor(t, emu, 'quectel');
  await ready(line);
  const leg = await line.dial('10086');
  t.equal(leg.direction, 'outbound');
  await once(leg, 'answered');
  t.ok(leg.media, 'media up on answer');
  await leg.hangup();
  await emu.send({ cmd: 'dial-outcome', outcome: 'busy' });
  const leg2 = await line.dial('10010');
  const end = await once<LegEnd>(leg2, 'ended');
  t.equal(end.cause, 'busy');
  const log = (await emu.send({ cmd: 'log' })).commands as string[];
  t.ok(log.includes('ATD10086;') && log.includes('ATD10010;'));
});
