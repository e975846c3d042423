import t from 'tap';
import { lineFor, offered, once, ready, spawnEmulator, waitFor } from './emu.js';
import type { ModemLeg as GsmLeg } from '../../../drivers/modem/leg.js';
import type { LineAlarm } from '../../../drivers/line.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('interleaved URCs inside the AT+CSQ answer, and garbage bytes, do not disturb the line', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei', '--csq', '25']);
  const line = lineFor(t, emu, 'huawei', { timeouts: { healthIntervalMs: 500 } });
  await ready(line);
  const before = ((await emu.send({ cmd: 'log' })).next as number) ?? 0;
  await emu.send({ cmd: 'interleave', urc: '^RSSI:9' });
  await emu.send({ cmd: 'interleave', urc: '+CREG: 5,"1A2B","0C3D"' });
  await sleep(1200);
  const log = ((await emu.send({ cmd: 'log', since: before })).commands as string[]);
  t.ok(log.includes('AT+CSQ'), 'health poll ran with URCs inside the reply');
  t.equal(line.health().state, 'ready');
  t.equal(line.health().signalDbm, -113 + 50, '+CSQ still parsed (the ^RSSI did not replace it)');

  // Junk without line ends (longer than any line), then junk with line ends and NULs.
  await emu.send({ cmd: 'garbage', bytes: 64_000 }); // (the tokenizer unit test pushes a megabyte)
  await emu.send({ cmd: 'garbage', bytes: 2000, lineEnds: true });
  await sleep(300);
  const leg = await offered<GsmLeg>(line, () => emu.send({ cmd: 'ring', number: '+8613800000007' }));
  t.equal(leg.remote.number, '+8613800000007', 'calls still come in after the garbage');
  await leg.hangup();
  t.equal(line.health().state, 'ready');
  t.equal(line.stats.reopens, 0, 'no reopen was needed');
});

t.test('modem stops answering → AT+CFUN=1,1, reopen, ready again', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'quectel']);
  const line = lineFor(t, emu, 'quectel');
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  await sleep(500); // let the start-up SMS listing (a long-class command) finish first
  const t0 = performance.now();
  await emu.send({ cmd: 'mute' });
  await waitFor('down', () => line.health().state === 'down', 8000);
  t.ok(alarms.some((a) => a.code === 'modem-reset' && a.active), 'modem-reset alarm raised');
  await waitFor('ready again', () => line.health().state === 'ready', 15_000);
  const ms = performance.now() - t0;
  t.comment(`hung modem detected, reset and back to ready in ${ms.toFixed(0)} ms (test timeouts: ping after 1.5 s idle, 1 s short class)`);
  const log = (await emu.send({ cmd: 'log' })).commands as string[];
  t.ok(log.includes('AT+CFUN=1,1'), 'reset command sent');
  t.ok(alarms.some((a) => a.code === 'modem-reset' && !a.active), 'alarm cleared on recovery');
  t.ok(line.stats.resets >= 1);
});

t.test('port disappears (USB unplug) and returns → down with alarm, back within 20 s', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'simcom']);
  const line = lineFor(t, emu, 'simcom', { timeouts: { reopenMaxMs: 5000 } });
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await ready(line);
  const t0 = performance.now();
  await emu.send({ cmd: 'unplug', ms: 3000 });
  await waitFor('down', () => line.health().state === 'down', 5000);
  const downMs = performance.now() - t0;
  t.ok(alarms.some((a) => a.code === 'line-down' && a.active), 'line-down alarm');
  await waitFor('back', () => line.health().state === 'ready', 20_000);
  const backMs = performance.now() - t0;
  t.comment(`down noticed after ${downMs.toFixed(0)} ms; ready ${backMs.toFixed(0)} ms after unplug (device absent 3000 ms)`);
  t.ok(backMs < 20_000, 'line back within 20 s');
  t.ok(alarms.some((a) => a.code === 'line-down' && !a.active), 'alarm cleared');
  // The rebooted modem works: a call comes in.
  const incoming = once<GsmLeg>(line, 'incoming');
  await emu.send({ cmd: 'ring', number: '10086' });
  t.equal((await incoming).remote.number, '10086');
});
