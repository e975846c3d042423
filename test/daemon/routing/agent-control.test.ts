import t from 'tap';
import { testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';
import { rms } from '../../../drivers/audio/tones.js';

t.test('no answer → next agent; a miss auto-pauses; feature codes from the desk phones change routing', async (t) => {
  const p801 = await testPhone(t, { user: '801', answer: 'manual' });
  const p802 = await testPhone(t, { user: '802', answer: 'auto' });
  const box = await startBox({
    agents: [phoneAgent(p801), phoneAgent(p802)],
    queues: `  - id: general
    skill: general
    strategy: linear
    ring_timeout: 2s`,
    extra: 'routing:\n  auto_pause_after: 1\n',
  });
  t.teardown(() => box.close());

  // 801 is first in line but does not answer: 802 gets the call, 801 is paused.
  let from = mark(box);
  let id = await callAndPress(box, 0, '+8613800000001');
  await p801.waitEvent('CALL_INCOMING', 20_000);
  const miss = await eventAfter(box, from, 'agent.ring-no-answer', (l) => l.extension === '801');
  t.equal(miss.result, 'no-answer');
  const c = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
  t.equal(c.extension, '802', 'the next agent answered');
  const paused = await eventAfter(box, from, 'agent.state', (l) => l.extension === '801' && l.state === 'paused');
  t.match(paused.reason, /auto/, `801 auto-paused (${String(paused.reason)})`);
  await sleep(300);
  await hangUp(box, 0, id);
  await p801.waitEvent('CALL_CLOSED', 10_000);

  // *54 from 801: unpaused, with a spoken confirmation. *52 from 802: logged out.
  from = mark(box);
  const before801 = p801.events.length;
  await p801.dial(`sip:*54@127.0.0.1:${box.sipPort}`);
  await eventAfter(box, from, 'agent.state', (l) => l.extension === '801' && l.state === 'available');
  await p801.waitEvent('CALL_ESTABLISHED', 10_000, before801);
  await p801.waitEvent('CALL_CLOSED', 15_000, before801 + 1);
  const heard = await p801.heard();
  t.ok(rms(heard) > 200, `801 heard the confirmation (rms ${rms(heard).toFixed(0)})`);
  const before802 = p802.events.length;
  await p802.dial(`sip:*52@127.0.0.1:${box.sipPort}`);
  await eventAfter(box, from, 'agent.state', (l) => l.extension === '802' && l.state === 'logged-out');
  await p802.waitEvent('CALL_CLOSED', 15_000, before802);
  t.pass('802 logged out by feature code');
  await sleep(500);

  // Next call: only 801 can take it.
  from = mark(box);
  const inc = p801.events.length;
  id = await callAndPress(box, 0, '+8613800000002');
  await p801.waitEvent('CALL_INCOMING', 20_000, inc);
  await p801.accept();
  const c2 = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
  t.equal(c2.extension, '801', 'routing follows the feature codes');
  t.notOk(box.daemon.logs.slice(from).some((l) => l.msg === 'call.agent' && l.extension === '802'), '802 was not rung');
  await sleep(300);
  await hangUp(box, 0, id);

  // *53 with a reason code from 801: paused with that reason; nobody left → voicemail.
  from = mark(box);
  await sleep(500);
  await p801.dial(`sip:*532@127.0.0.1:${box.sipPort}`);
  const p = await eventAfter(box, from, 'agent.state', (l) => l.extension === '801' && l.state === 'paused');
  t.equal(p.reason, 'code 2');
  await sleep(1500);
  id = await callAndPress(box, 0, '+8613800000003');
  const exit = await eventAfter(box, from, 'queue.exit', (l) => l.callId === id);
  t.equal(exit.reason, 'empty', 'nobody logged in and unpaused: the queue is empty');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'voicemail');
  t.pass('no agent → voicemail (no overflow configured)');
  await hangUp(box, 0, id);
  const states = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM agent_state_log WHERE extension = '801' AND state = 'paused'", [], (r) => r.n >= 2);
  t.ok(states.n >= 2, 'pauses are in the agent state log (occupancy input)');
});

