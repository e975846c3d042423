import t from 'tap';
import { once } from 'node:events';
import { testPhone } from '../../helpers/baresip.js';
import { startBox } from '../../helpers/sip-box.js';
import type { LegEnd } from '../../../drivers/line.js';

t.test('CANCEL while ringing: the phone stops ringing, the leg ends cancelled', async (t) => {
  const phone = await testPhone(t, { user: '811', answer: 'manual' });
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  await once(leg, 'ringing');
  await phone.waitEvent('CALL_INCOMING');
  const ended = once(leg, 'ended');
  await leg.hangup();
  const [end] = (await ended) as [LegEnd];
  t.same({ by: end.by, cause: end.cause }, { by: 'local', cause: 'cancelled' });
  await phone.waitEvent('CALL_CLOSED', 5000);
  t.pass('phone saw the call closed');
});

t.test('a busy phone: 486 ends the leg with cause busy', async (t) => {
  const phone = await testPhone(t, { user: '812', answer: 'busy' });
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  const [end] = (await once(leg, 'ended')) as [LegEnd];
  t.equal(end.cause, 'busy', `ended ${JSON.stringify(end)}`);
  t.match(end.detail, /^486/);
});

t.test('no answer: the dial timeout cancels the call', async (t) => {
  const phone = await testPhone(t, { user: '813', answer: 'manual' });
  const box = await startBox();
  t.teardown(() => box.stop());
  const t0 = Date.now();
  const leg = await box.dial(phone.uri, { timeoutMs: 1500 });
  const [end] = (await once(leg, 'ended')) as [LegEnd];
  t.equal(end.cause, 'no-answer', `ended ${JSON.stringify(end)}`);
  t.ok(Date.now() - t0 >= 1400, 'after the timeout');
  await phone.waitEvent('CALL_CLOSED', 5000);
});

t.test('a call to a port where nobody listens fails cleanly (Timer B)', async (t) => {
  const box = await startBox({ timers: { t1: 50, t2: 400, t4: 500 } });
  t.teardown(() => box.stop());
  const leg = await box.dial('sip:nobody@127.0.0.1:9');
  const [end] = (await once(leg, 'ended')) as [LegEnd];
  t.same({ cause: end.cause, detail: end.detail }, { cause: 'failed', detail: 'timeout' });
});
