import t from 'tap';
import { startBox } from '../../helpers/box.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { RawUac, type RawCall } from '../../helpers/raw-sip.js';

/**
 * A burst of INVITEs more than the RTP port range holds, against the real daemon on a SIP trunk line:
 * the calls that fit are answered, the rest get 503 + Retry-After at once (never 603, never a call
 * that rang and was then refused), a call already up keeps its audio through it all, and every call
 * that ended normally is recorded as what it was (hung up in the greeting), none as failed.
 */
const BURST = 30;

t.test('a burst beyond the RTP ports: 503 + Retry-After, audio goes on, normal calls recorded as such', async (t) => {
  const pbx = await RawUac.open();
  t.teardown(() => pbx.close());
  // 24 ports: 12 even ones (RTP), and a call needs two free to be taken (its own and an agent's).
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }], rtpPorts: 24, moreLines: `  - id: trunk1\n    kind: sip\n    host: 127.0.0.1\n    port: ${pbx.port}`, sip: '  retry_after: 4' });
  t.teardown(() => box.close());
  await pbx.ready(box.sipPort);

  const first = await RawUac.open();
  const burst = await RawUac.open();
  t.teardown(() => (first.close(), burst.close()));
  const up = first.invite(box.sipPort, 'bot', '+8613800000300');
  await first.response(up, (s) => s === 200);
  first.ack(up);
  await waitFor(() => first.rtpPackets > 10, 10_000, 'audio on the call already up');

  const audio0 = first.rtpPackets;
  const t0 = performance.now();
  const calls: RawCall[] = [];
  for (let i = 0; i < BURST; i++) calls.push(burst.invite(box.sipPort, 'bot', `+86138000004${String(i).padStart(2, '0')}`));
  await waitFor(() => calls.every((c) => burst.responses(c).some((m) => m.status! >= 200)), 20_000, 'a final response to every INVITE of the burst');
  const finals = calls.map((c) => burst.responses(c).find((m) => m.status! >= 200)!);
  const answered = calls.filter((_, i) => finals[i]!.status === 200);
  const refused = finals.filter((m) => m.status !== 200);
  for (const c of answered) burst.ack(c);
  t.ok(answered.length >= 6 && answered.length <= 11, `the calls the ports hold were answered (${answered.length})`);
  t.equal(answered.length + refused.length, BURST);
  t.same([...new Set(refused.map((m) => m.status))], [503], 'every other INVITE: 503 Service Unavailable (not 603, not 500)');
  t.ok(refused.every((m) => /\r\nRetry-After: 4\r\n/.test(m.text)), 'each with the configured Retry-After');
  const rangAndRefused = calls.filter((c, i) => finals[i]!.status === 503 && burst.responses(c).some((m) => m.status === 180));
  t.equal(rangAndRefused.length, 0, 'refused at once, not after ringing');

  await sleep(1000);
  const rate = ((first.rtpPackets - audio0) * 1000) / (performance.now() - t0);
  t.ok(rate >= 25, `the call already up kept its audio through the burst (${rate.toFixed(0)} packets/s, 50 sent)`);
  const alarm = await box.row<{ active: number; message: string }>("SELECT active, message FROM alarms WHERE code = 'sip-overload' AND source = 'trunk1'", [], () => true);
  t.match(alarm, { active: 1, message: /RTP ports exhausted/ }, `sip-overload alarm: ${alarm.message}`);

  // Everyone hangs up at once, in the greeting: recorded as what happened (abandoned, left in the bot).
  first.bye(up);
  for (const c of answered) burst.bye(c);
  await waitFor(() => answered.every((c) => burst.responses(c, 'BYE').some((m) => m.status === 200)) && first.responses(up, 'BYE').some((m) => m.status === 200), 10_000, 'every BYE answered');
  const ended = answered.length + 1;
  await box.row<{ n: number }>('SELECT count(*) AS n FROM calls WHERE ended_at IS NOT NULL', [], (r) => r.n >= ended, 20_000);
  const records = await box.row<{ n: number; rows: string }>("SELECT count(*) AS n, group_concat(outcome || '/' || hung_up_by || '/' || coalesce(cause, '-')) AS rows FROM calls", [], () => true);
  t.equal(records.n, ended, 'a record for every call taken, none for the INVITEs refused before a call existed');
  t.same([...new Set(records.rows.split(','))], ['abandoned/caller/left-in-bot'], 'every call recorded as what it was; none failed');

  // The ports are free again: the next call is taken.
  const again = first.invite(box.sipPort, 'bot', '+8613800000399');
  t.equal((await first.response(again, (s) => s >= 200)).status, 200, 'taken again once the calls ended');
  first.ack(again);
  first.bye(again);
  await first.response(again, (s) => s >= 200, 'BYE');
});
