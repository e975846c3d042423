import t from 'tap';
import { startBox } from '../../helpers/sip-box.js';
import { RawUac } from '../../helpers/raw-sip.js';
import { freePort } from '../../helpers/net.js';

/** Admission control in the SIP line itself: RTP ports and CPU (event-loop lag) run out → 503 + Retry-After. */

t.test('no RTP ports left for a new call: 503 + Retry-After, the call already up is untouched', async (t) => {
  const rtp = await freePort(4, 41000, 49000);
  // Two even ports: one call holds one, and a new call needs two (its own and its agent's).
  const box = await startBox({ rtpPorts: { min: rtp, max: rtp + 3 }, retryAfterS: 9 });
  t.teardown(() => box.stop());
  box.on('incoming', (leg) => void leg.answer().catch(() => undefined));
  const uac = await RawUac.open();
  t.teardown(() => uac.close());
  const first = uac.invite(box.ua.port);
  t.equal((await uac.response(first, (s) => s >= 200)).status, 200, 'first call answered');
  uac.ack(first);
  const second = uac.invite(box.ua.port);
  const refused = await uac.response(second, (s) => s >= 200);
  t.equal(refused.status, 503, 'second call: 503');
  t.match(refused.text, /\r\nRetry-After: 9\r\n/);
  t.equal(box.overload.refused.ports, 1, 'counted as RTP port exhaustion');
  t.equal(box.activeLegs, 1, 'no leg was made for it; the first call is still up');
  uac.bye(first);
  await uac.response(first, (s) => s >= 200, 'BYE');
});

t.test('a CPU-starved process (event loop blocked) refuses new calls with 503', async (t) => {
  const box = await startBox({ retryAfterS: 3 });
  t.teardown(() => box.stop());
  box.on('incoming', (leg) => void leg.answer().catch(() => undefined));
  const uac = await RawUac.open();
  t.teardown(() => uac.close());
  await uac.ready(box.ua.port);
  const call = uac.invite(box.ua.port);
  // Keep the loop busy for 2.5 s: the INVITE waits in the socket meanwhile, like under a real overload.
  const until = performance.now() + 2500;
  while (performance.now() < until) {
    /* busy */
  }
  const res = await uac.response(call, (s) => s >= 200);
  t.equal(res.status, 503, `refused while the loop was late (${Math.round(box.overload.lag)} ms smoothed lag)`);
  t.equal(box.overload.refused.cpu, 1);
  t.match(res.text, /\r\nRetry-After: 3\r\n/);
});
