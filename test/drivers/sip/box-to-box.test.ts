import t from 'tap';
import { once } from 'node:events';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { answered, collect, play, startBox } from '../../helpers/sip-box.js';
import type { InboundSipLeg } from '../../../drivers/sip/leg-inbound.js';
import type { LegEnd } from '../../../drivers/line.js';

t.test('SIP over TCP between two boxes, with audio', async (t) => {
  const a = await startBox({ transports: ['udp', 'tcp'] });
  const b = await startBox({ transports: ['udp', 'tcp'] });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const inbound = new Promise<InboundSipLeg>((resolve) =>
    b.once('incoming', (leg) => {
      void leg.answer();
      resolve(leg as InboundSipLeg);
    }),
  );
  const leg = await a.dial(`sip:bot@127.0.0.1:${b.ua.port};transport=tcp`);
  await answered(leg);
  const far = await inbound;
  const heard = collect(far);
  play(leg, tone([900], 1500, -10));
  await sleep(1200);
  t.ok(toneLevel(heard().subarray(3200), 900) > 0.05, 'audio over a TCP-signalled call');
  const ended = once(far, 'ended');
  await leg.hangup();
  t.equal(((await ended) as [LegEnd])[0].by, 'remote', 'BYE over TCP');
});

t.test('digest server: a stranger calling with credentials is authenticated; the leg knows the user', async (t) => {
  const b = await startBox({ allowFrom: [], users: { '701': 'pw701' } });
  const a = await startBox({ trunk: { host: '127.0.0.1', port: b.ua.port, username: '701', password: 'pw701' } });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const inbound = new Promise<InboundSipLeg>((resolve) => b.once('incoming', (leg) => resolve(leg as InboundSipLeg)));
  const leg = await a.dial('bot');
  const far = await inbound;
  t.equal(far.authenticatedUser, '701', 'authenticated extension recorded for the toll-fraud guard');
  t.equal(leg.authRetries, 1, 'one 401 challenge answered');
  await far.answer();
  await answered(leg);
  await leg.hangup();

  const bad = await startBox({ trunk: { host: '127.0.0.1', port: b.ua.port, username: '701', password: 'nope' } });
  t.teardown(() => bad.stop());
  const badLeg = await bad.dial('bot');
  const [end] = (await once(badLeg, 'ended')) as [LegEnd];
  t.match(end.detail, /^403/, `wrong password ends with 403 (${end.detail})`);
  await waitFor(() => b.activeLegs === 0, 2000, 'no leg on the callee');
});
