import t from 'tap';
import type { ModemEmulator } from '../../../drivers/gsm/emulator/modem.js';
import type { GsmLine, GsmLineOptions } from '../../../drivers/gsm/line.js';
import type { DialectName } from '../../../drivers/gsm/dialects/types.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { toFrames } from '../../../drivers/media/format.js';
import type { ModemLeg } from '../../../drivers/modem/leg.js';
import type { LegEnd, LineAlarm, Sms } from '../../../drivers/line.js';
import { emulatorAndLine, offered, once, ready, waitFor } from './emu.js';

/**
 * The same GSM line code, in process: the emulator's AT and voice streams are handed to the line
 * through its injected port opener instead of socat ttys. Fast, and no child processes.
 */
function inProcess(t: { teardown(fn: () => Promise<void>): void }, dialect: DialectName, extra: Partial<GsmLineOptions> = {}): Promise<{ emu: ModemEmulator; line: GsmLine }> {
  return emulatorAndLine(t, { dialect, transport: 'stream', bootMs: 300 }, extra);
}

const commands = (emu: ModemEmulator): string[] => emu.commands.map((c) => c.line);

t.test('in process: quectel init, incoming call, audio both ways (through the line echo canceller), modem DTMF, our hang-up', async (t) => {
  // The module's own canceller is off here: the line's takes over, and double talk still passes the caller.
  const { emu, line } = await inProcess(t, 'quectel', { echoCancel: { tailMs: 64 } });
  await ready(line);
  t.match(line.health(), { imei: emu.id.imei, sim: 'ready', operator: emu.id.operator });
  const leg = await offered<ModemLeg>(line, () => emu.ring('13912345678'));
  t.equal(leg.remote.number, '13912345678', 'caller ID');
  await leg.answer();
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  const digits: string[] = [];
  leg.on('dtmf', (d) => digits.push(d));
  emu.play(tone([440], 1000));
  for (const f of toFrames(tone([1000], 1000))) leg.media!.write(f);
  await new Promise((r) => setTimeout(r, 1300));
  t.ok(got.filter((f) => toneLevel(f, 440) > 0.1).length >= 45, 'caller audio arrives');
  t.ok(emu.recording.filter((r) => toneLevel(r.frame, 1000) > 0.1).length >= 45, 'our audio reaches the modem');
  emu.dtmfUrc('5');
  await waitFor('dtmf', () => digits.length === 1);
  t.same(digits, ['5']);
  const ended = once<LegEnd>(leg, 'ended');
  await leg.hangup();
  t.same(await ended, { by: 'local', cause: 'normal' });
  t.ok(commands(emu).includes('AT+CHUP') && commands(emu).includes('AT+QPCMV=0'), 'hang-up and voice off sent');
  t.equal(line.health().inCall, false);
});

t.test('in process: dial out answered, then busy; the caller gives up before we answer', async (t) => {
  const { emu, line } = await inProcess(t, 'huawei');
  await ready(line);
  const leg = await line.dial('10086');
  await once(leg, 'answered');
  t.ok(leg.media, 'media up on answer');
  await leg.hangup();
  emu.dialOutcome = 'busy';
  const busy = await line.dial('10010');
  t.equal((await once<LegEnd>(busy, 'ended')).cause, 'busy');
  await t.rejects(line.dial('12;ATH'), { name: 'LineError', code: 'bad-number' }, 'a bad number is a typed LineError');
  const unanswered = await offered<ModemLeg>(line, () => emu.ring('+8610123456', false));
  t.equal(unanswered.remote.number, '+8610123456', 'caller ID from AT+CLCC');
  const ended = once<LegEnd>(unanswered, 'ended');
  emu.hangup();
  t.equal((await ended).cause, 'cancelled');
});

t.test('in process: an SMS arrives, is handed over, then deleted from the SIM', async (t) => {
  const { emu, line } = await inProcess(t, 'simcom');
  await ready(line);
  const got = once<Sms>(line, 'sms');
  emu.deliverSms('10086', 'Your balance is 12.30');
  t.match(await got, { from: '10086', text: 'Your balance is 12.30', lineId: line.id });
  await waitFor('deleted', () => emu.storedSms === 0);
  t.equal(line.stats.smsReceived, 1);
});

t.test('in process: a hung modem is reset once and is ready again; a call works afterwards', async (t) => {
  const { emu, line } = await inProcess(t, 'simcom');
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  await new Promise((r) => setTimeout(r, 300));
  emu.mute();
  await waitFor('reset', () => emu.resets.length === 1, 8000);
  await waitFor('ready again', () => line.health().state === 'ready' && alarms.some((a) => a.code === 'modem-reset' && !a.active), 10_000);
  t.equal(emu.resets.length, 1, 'one reset');
  t.equal(line.stats.reopens, 0, 're-initialised on the same ports after the boot URC, no reopen');
  const leg = await offered<ModemLeg>(line, () => emu.ring('10086'));
  await leg.answer();
  t.equal(leg.state, 'answered');
  await leg.hangup();
});
