import t from 'tap';
import { pino } from 'pino';
import { createSipLine } from '../../../drivers/sip/trunk-line.js';
import type { LineAlarm } from '../../../drivers/line.js';
import { freePort, waitFor } from '../../helpers/net.js';

const quiet = pino({ level: 'silent' });

t.test('a trunk that is not registered with pings the PBX with OPTIONS: down with an alarm when it goes away, up when it is back', async (t) => {
  const pbxPort = await freePort(2);
  const boxPort = await freePort(2);
  const rtp = await freePort(20, 30000, 39000);
  const makePbx = () => createSipLine({ id: 'pbx', listen: { host: '127.0.0.1', port: pbxPort }, allowFrom: ['127.0.0.1/32'], rtpPorts: { min: rtp, max: rtp + 9 }, logger: quiet });
  let pbx = makePbx();
  await pbx.start();
  const box = createSipLine({
    id: 'trunk',
    listen: { host: '127.0.0.1', port: boxPort },
    allowFrom: ['127.0.0.1/32'],
    rtpPorts: { min: rtp + 10, max: rtp + 19 },
    timers: { t1: 50, t2: 400, t4: 500 }, // Timer F = 64·T1 = 3.2 s
    trunk: { host: '127.0.0.1', port: pbxPort, username: 'box', password: '', keepaliveMs: 500 },
    logger: quiet,
  });
  const alarms: LineAlarm[] = [];
  box.on('alarm', (a) => alarms.push(a));
  await box.start();
  t.teardown(async () => {
    await box.stop();
    await pbx.stop();
  });

  await waitFor(() => box.keepalive?.up === true, 5000, 'PBX reachable');
  t.equal(box.health().state, 'ready');

  await pbx.stop();
  await waitFor(() => box.health().state === 'down', 15_000, 'trunk down');
  t.match(box.health().reason, /PBX unreachable: 408/);
  t.match(alarms.at(-1), { code: 'trunk-unreachable', active: true });

  pbx = makePbx();
  await pbx.start();
  await waitFor(() => box.health().state === 'ready', 15_000, 'trunk back');
  t.match(alarms.at(-1), { code: 'trunk-unreachable', active: false });
  t.ok(box.keepalive!.pings >= 3, `${box.keepalive!.pings} OPTIONS sent`);
});
