import t from 'tap';
import { startPbxWithPhone } from '../../helpers/kamailio.js';
import { startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter } from '../../helpers/routing.js';
import { sleep, waitFor } from '../../helpers/net.js';

/**
 * kill -9 mid-call with the desk phone reached through a digest PBX (kamailio) that challenges BYE:
 * the restarted daemon's BYE for the dialog left open answers the 407 with the trunk credentials,
 * so the phone's call ends instead of sitting on a dead line.
 */
t.test('kill -9 mid-call through a PBX that challenges BYE: the BYE after the restart authenticates and ends the phone call', async (t) => {
  const { pbx, phone } = await startPbxWithPhone(t, { trunkPassword: 'fd-secret', answer: 'auto', challengeBye: true });
  const box = await startBox({
    agents: [{ extension: '801', extra: 'wrap_up: 0s' }],
    moreLines: `  - id: pbx\n    kind: sip\n    host: 127.0.0.1\n    port: ${pbx.port}\n    username: frontdesk\n    password: fd-secret`,
  });
  t.teardown(() => box.close());

  const since = phone.events.length;
  const id = await callAndPress(box, 0, '+8613800000021');
  await eventAfter(box, 0, 'queue.connect', (l) => l.callId === id, 20_000);
  await phone.waitEvent('CALL_ESTABLISHED', 10_000, since);
  await box.row<{ n: number }>('SELECT COUNT(*) AS n FROM open_dialogs', [], (r) => r.n > 0);
  await sleep(300);

  await box.restart();
  const bye = await box.event('BYE for a SIP dialog left open by the previous run', () => true, 20_000);
  t.equal(bye.status, 200, 'the BYE was accepted after the challenge');
  await waitFor(() => pbx.log().includes('BYE authenticated: user frontdesk'), 5000, 'authenticated BYE at the PBX');
  t.match(pbx.log(), 'BYE challenged', 'the PBX challenged it first');
  await phone.waitEvent('CALL_CLOSED', 10_000, since);
  t.pass('the desk phone got the BYE: its call is closed');
});
