import t from 'tap';
import { lineFor, ready, spawnEmulator, waitFor } from './emu.js';
import type { LineAlarm } from '../../../drivers/line.js';

for (const dialect of ['huawei', 'quectel', 'simcom'] as const) {
  t.test(`${dialect}: initialises to ready and reports its health`, async (t) => {
    const emu = await spawnEmulator(t, ['--dialect', dialect, '--imei', '860000000000042', '--csq', '21', '--operator', 'CHINA UNICOM']);
    const line = lineFor(t, emu, dialect);
    await line.start();
    const h = await waitFor('ready', () => line.health().state === 'ready' && line.health());
    t.equal(h.kind, 'gsm');
    t.equal(h.imei, '860000000000042', 'IMEI from AT+CGSN');
    t.equal(h.imsi, '460001234567890', 'IMSI from AT+CIMI');
    t.equal(h.iccid, '89860012345678901234', 'ICCID from the dialect query');
    t.equal(h.operator, 'CHINA UNICOM');
    t.equal(h.signalDbm, -113 + 2 * 21, 'CSQ 21 → -71 dBm');
    t.equal(h.registration, 'home');
    t.equal(h.sim, 'ready');
    t.equal(h.inCall, false);
    const log = (await emu.send({ cmd: 'log' })).commands as string[];
    t.ok(log.includes('ATE0') && log.includes('AT+CLIP=1') && log.includes('AT+CMGF=0'), 'common init sent');
    const own = { huawei: 'AT^CVOICE?', quectel: 'AT+QINDCFG="ccinfo",1,0', simcom: 'AT+CICCID' }[dialect];
    t.ok(log.includes(own), `dialect init (${own}) sent`);
  });
}

t.test('SIM missing: alarm and down, not a crash; SIM inserted later → ready', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei', '--sim', 'missing']);
  const line = lineFor(t, emu, 'huawei');
  const alarms: LineAlarm[] = [];
  line.on('alarm', (a) => alarms.push(a));
  await line.start();
  await waitFor('sim-missing alarm', () => alarms.find((a) => a.code === 'sim-missing' && a.active));
  t.equal(line.health().state, 'down');
  t.equal(line.health().sim, 'missing');
  t.equal(line.health().imei, '867223020000001', 'identity still reported without a SIM');
  await emu.send({ cmd: 'sim', state: 'ready' });
  await waitFor('ready after SIM inserted', () => line.health().state === 'ready', 8000);
  t.ok(alarms.find((a) => a.code === 'sim-missing' && !a.active), 'alarm cleared');
});

t.test('SIM PIN from config unlocks the SIM', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'quectel', '--sim', 'pin', '--pin', '4321']);
  const line = lineFor(t, emu, 'quectel', { simPin: '4321' });
  await ready(line);
  const log = (await emu.send({ cmd: 'log' })).commands as string[];
  t.ok(log.includes('AT+CPIN="4321"'), 'PIN sent');
});
