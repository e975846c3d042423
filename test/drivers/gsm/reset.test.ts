import t from 'tap';
import type { ModemEmulator } from '../../../drivers/gsm/emulator/modem.js';
import type { GsmLine } from '../../../drivers/gsm/line.js';
import type { ModemLeg } from '../../../drivers/modem/leg.js';
import type { LineAlarm } from '../../../drivers/line.js';
import { emulatorAndLine, offered, once, ready, waitFor } from './emu.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The emulator on real socat ttys, in this process so the test sees every command as it arrives. */
async function onTtys(t: { teardown(fn: () => Promise<void>): void }, bootMs = 1500): Promise<{ emu: ModemEmulator; line: GsmLine; alarms: LineAlarm[] }> {
  const { emu, line } = await emulatorAndLine(t, { dialect: 'quectel', bootMs });
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  await waitFor('start-up SMS listing', () => emu.commands.some((c) => c.line === 'AT+CMGL=4'));
  await sleep(300);
  return { emu, line, alarms };
}

t.test('hung modem: noticed within 5 s of its first missed answer, one reset per boot, ready again, a call works', async (t) => {
  const { emu, line, alarms } = await onTtys(t);
  let firstMissed: number | undefined;
  emu.on('command', () => (firstMissed ??= performance.now()));
  emu.mute();
  await waitFor('reset', () => emu.resets.length > 0, 8000);
  const noticedMs = emu.resets[0]! - firstMissed!;
  t.ok(noticedMs < 5000, `reset ${noticedMs.toFixed(0)} ms after the first unanswered command`);
  t.ok(alarms.some((a) => a.code === 'modem-reset' && a.active), 'modem-reset alarm raised');
  await waitFor('ready again', () => line.health().state === 'ready', 15_000);
  const bootEnd = emu.resets[0]! + 100 + 1500;
  t.equal(emu.resets.length, 1, 'exactly one AT+CFUN=1,1');
  t.notOk(
    emu.commands.some((c) => c.at > emu.resets[0]! + 1 && c.at < bootEnd - 50),
    'nothing sent to the modem while it booted',
  );
  t.ok(alarms.some((a) => a.code === 'modem-reset' && !a.active), 'alarm cleared once ready');
  const leg = await offered<ModemLeg>(line, () => emu.ring('13800000001'));
  t.equal(leg.remote.number, '13800000001');
  await leg.answer();
  t.equal(leg.state, 'answered', 'a call after the reset is answered');
  await leg.hangup();
});

t.test('a modem still hung after its reset is not reset again in a loop; it comes back when it answers', async (t) => {
  const { emu, line } = await onTtys(t, 500);
  emu.mute(undefined, true);
  await waitFor('reset', () => emu.resets.length > 0, 8000);
  // Several reopen rounds (backoff 0.3 → 1.5 s) go by; the reset backoff (20 s in the test profile) holds.
  await sleep(7000);
  t.equal(line.health().state, 'down', 'the line is down meanwhile');
  t.equal(emu.resets.length, 1, `one reset in 7 s (${line.stats.reopens} reopens tried)`);
  t.ok(line.stats.reopens >= 1, 'it kept trying (reopen, handshake)');
  emu.unmute();
  await waitFor('ready again', () => line.health().state === 'ready', 10_000);
  t.equal(emu.resets.length, 1, 'still one reset');
});

t.test('a RING while a command goes unanswered is not lost, and the talking modem is not reset', async (t) => {
  const { emu, line, alarms } = await onTtys(t);
  // The next command (the idle keepalive) is answered 2.5 s late; the caller rings meanwhile.
  emu.delay('AT', 2500);
  const incoming = once<ModemLeg>(line, 'incoming');
  emu.once('command', () => emu.ring('13800000002'));
  const leg = await incoming;
  t.equal(leg.remote.number, '13800000002', 'the call was offered');
  await sleep(3000); // past the late answer
  t.equal(emu.resets.length, 0, 'no reset');
  t.notOk(alarms.some((a) => a.code === 'modem-reset'), 'no modem-reset alarm');
  t.ok(line.stats.timeouts >= 1, 'the late answer did time out');
  await leg.answer();
  t.equal(leg.state, 'answered');
  await leg.hangup();
});
