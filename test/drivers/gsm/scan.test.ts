import t from 'tap';
import { createGsmLine } from '../../../drivers/gsm/line.js';
import { ready, spawnEmulator, TEST_TIMEOUTS, waitFor } from './emu.js';
import type { LineAlarm } from '../../../drivers/line.js';

t.test('a modem configured by IMEI is found among candidate ports', async (t) => {
  const [e1, e2] = await Promise.all([
    spawnEmulator(t, ['--dialect', 'huawei', '--imei', '860000000000001']),
    spawnEmulator(t, ['--dialect', 'huawei', '--imei', '860000000000002']),
  ]);
  const candidatePorts = [
    { at: '/nonexistent/ttyUSB9', voice: '/nonexistent/ttyUSB8' },
    { at: e1.at, voice: e1.voice },
    { at: e2.at, voice: e2.voice },
  ];
  const line = createGsmLine({ id: 'by-imei', dialect: 'huawei', imei: '860000000000002', candidatePorts, timeouts: TEST_TIMEOUTS });
  t.teardown(() => line.stop());
  await ready(line);
  t.equal(line.health().imei, '860000000000002');
  const log2 = (await e2.send({ cmd: 'log' })).commands as string[];
  t.ok(log2.includes('AT+CLIP=1'), 'the matching modem was initialised');
  const log1 = (await e1.send({ cmd: 'log' })).commands as string[];
  t.notOk(log1.includes('AT+CLIP=1'), 'the other modem was only asked its IMEI');
  t.ok(log1.includes('AT+CGSN'));

  // A second line scanning the same ports skips the one held by the first (exclusive lock).
  const other = createGsmLine({ id: 'by-imei-2', dialect: 'huawei', imei: '860000000000001', candidatePorts, timeouts: TEST_TIMEOUTS });
  t.teardown(() => other.stop());
  await other.start();
  await waitFor('second ready', () => other.health().state === 'ready');
  t.equal(other.health().imei, '860000000000001');
  t.equal(line.health().state, 'ready', 'the first line was not disturbed');
});

t.test('an IMEI that is nowhere: line down with an alarm, retried', async (t) => {
  const line = createGsmLine({ id: 'lost', dialect: 'simcom', imei: '869999999999999', candidatePorts: [{ at: '/nonexistent/ttyUSB2' }], timeouts: TEST_TIMEOUTS });
  t.teardown(() => line.stop());
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await line.start();
  t.equal(line.health().state, 'down');
  t.match(line.health().reason, /imei-not-found/);
  t.ok(alarms.some((a) => a.code === 'line-down' && a.active));
  await waitFor('a retry', () => line.stats.reopens >= 1, 3000);
});
