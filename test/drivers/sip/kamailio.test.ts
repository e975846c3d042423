import t from 'tap';
import { once } from 'node:events';
import { startPbx, startPbxWithPhone } from '../../helpers/kamailio.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { answered, startBox } from '../../helpers/sip-box.js';
import type { LegEnd, LineAlarm } from '../../../drivers/line.js';

t.test('kamailio PBX with digest: the box registers, its INVITE is challenged (407) and reaches a registered phone', async (t) => {
  const { pbx, phone } = await startPbxWithPhone(t, { trunkPassword: 'secret-fd' });

  const box = await startBox({ trunk: { host: pbx.host, port: pbx.port, username: 'frontdesk', password: 'secret-fd', register: true } });
  t.teardown(() => box.stop());
  await waitFor(() => box.health().registered, 5000, 'registration');
  t.equal(box.health().state, 'ready');

  const leg = await box.dial('801', { displayName: 'Frontdesk' });
  await answered(leg);
  t.equal(leg.authRetries, 1, 'call through the proxy answered after one 407 challenge');
  await sleep(500);
  await leg.hangup();
  await phone.waitEvent('CALL_CLOSED', 5000);
  t.pass('BYE through the proxy (Record-Route) reached the phone');
});

t.test('a wrong trunk password: clear error, no retry storm', async (t) => {
  const pbx = await startPbx({ frontdesk: 'right' });
  t.teardown(() => pbx.stop());
  const box = await startBox({ trunk: { host: pbx.host, port: pbx.port, username: 'frontdesk', password: 'wrong', register: true, retryMs: 60_000 } });
  t.teardown(() => box.stop());
  const [alarm] = (await once(box, 'alarm')) as [LineAlarm];
  t.equal(alarm.code, 'registration-failed');
  t.match(alarm.message, /auth failed/);
  t.equal(box.health().registered, false);
  await sleep(1500);
  t.equal(box.registration!.attempts, 1, 'one REGISTER attempt (one challenge answered), then wait');
  const regs = (pbx.log().match(/REGISTER/g) ?? []).length;
  t.ok(regs <= 4, `kamailio saw few REGISTER lines (${regs})`);

  const leg = await box.dial('801');
  const [end] = (await once(leg, 'ended')) as [LegEnd];
  t.equal(end.cause, 'auth-failed', `INVITE with the wrong password ends auth-failed (${end.detail})`);
});

t.test('a PBX that challenges BYE: our BYE is sent again with the trunk credentials and ends the call', async (t) => {
  const { pbx, phone } = await startPbxWithPhone(t, { trunkPassword: 'secret-fd', challengeBye: true });
  const box = await startBox({ trunk: { host: pbx.host, port: pbx.port, username: 'frontdesk', password: 'secret-fd', register: true } });
  t.teardown(() => box.stop());
  await waitFor(() => box.health().registered, 5000, 'registration');

  const leg = await box.dial('801');
  await answered(leg);
  const callId = leg.callId;
  await sleep(300);
  await leg.hangup();
  await phone.waitEvent('CALL_CLOSED', 5000);
  await waitFor(() => pbx.log().includes(`BYE authenticated: user frontdesk call ${callId}`), 5000, 'authenticated BYE');
  t.match(pbx.log(), `BYE challenged: call ${callId}`, 'the PBX challenged our BYE');
  t.pass('the BYE answered the challenge with the trunk credentials, and the phone hung up');
});
