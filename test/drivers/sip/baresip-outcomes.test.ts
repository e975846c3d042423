import t from 'tap';
import { once } from 'node:events';
import { startPhone } from '../../helpers/baresip.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { answered, startBox } from '../../helpers/sip-box.js';
import type { LegEnd } from '../../../drivers/line.js';

t.test('CANCEL while ringing: the phone stops ringing, the leg ends cancelled', async (t) => {
  const phone = await startPhone({ user: '811', answer: 'manual' });
  t.teardown(() => phone.stop());
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
  const phone = await startPhone({ user: '812', answer: 'busy' });
  t.teardown(() => phone.stop());
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  const [end] = (await once(leg, 'ended')) as [LegEnd];
  t.equal(end.cause, 'busy', `ended ${JSON.stringify(end)}`);
  t.match(end.detail, /^486/);
});

t.test('no answer: the dial timeout cancels the call', async (t) => {
  const phone = await startPhone({ user: '813', answer: 'manual' });
  t.teardown(() => phone.stop());
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

t.test('blind transfer by REFER: the box transfers phone A to phone B and sees NOTIFY 200', async (t) => {
  const a = await startPhone({ user: '821', answer: 'auto' });
  const b = await startPhone({ user: '822', answer: 'auto' });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(a.uri);
  await answered(leg);
  await sleep(300);
  const result = await leg.transfer(b.uri, 15_000);
  t.same(result, { ok: true, status: 200 }, 'final sipfrag 200');
  t.equal(leg.state, 'ended', 'our leg is hung up after a successful transfer');
  await b.waitEvent('CALL_ESTABLISHED', 5000);
  t.pass('phone B is talking to phone A');
});

t.test('the phone transfers the box (REFER to us): the box calls the target and reports progress', async (t) => {
  const a = await startPhone({ user: '831', answer: 'auto' });
  const b = await startPhone({ user: '832', answer: 'auto' });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const box = await startBox();
  t.teardown(() => box.stop());
  const legs: string[] = [];
  box.on('incoming', (leg) => {
    legs.push(leg.id);
    void leg.answer();
  });
  await a.dial(`sip:bot@127.0.0.1:${box.ua.port}`);
  await a.waitEvent('CALL_ESTABLISHED', 5000);
  const inbound = await waitFor(() => [...(box as unknown as { legs: Set<import('../../../drivers/sip/leg.js').SipLeg> }).legs][0], 5000, 'inbound leg');
  const referred = new Promise<string>((resolve) => {
    inbound.sip.on('refer', (r) => {
      r.accept();
      void box.dial(r.target).then(async (next) => {
        await answered(next);
        r.notify(200, 'OK');
        resolve(r.target);
      });
    });
  });
  await a.transfer(b.uri);
  const target = await referred;
  t.equal(target.replace(/;.*$/, ''), b.uri, 'REFER named phone B');
  await b.waitEvent('CALL_ESTABLISHED', 5000);
  const [end] = (await (inbound.state === 'ended' ? Promise.resolve([inbound.endInfo]) : once(inbound, 'ended'))) as [LegEnd];
  t.equal(end.by, 'remote', 'phone A hung up after the NOTIFY 200');
});
