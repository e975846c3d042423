import t from 'tap';
import { testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

const BOT = `  greeting: "Welcome. Press 0 for a person, or 4 for your adviser."
  language: en-US
  menu:
    "0": agent
    "4": { queue: loyal }
    "5": { queue: all }
  handoff:
    say: "Connecting you."
    default_queue: general
  voicemail: { say: "Leave a message." }`;

t.test('round-robin over a series of calls; the sticky agent gets the returning caller; ring-all', async (t) => {
  const p801 = await testPhone(t, { user: '801', answer: 'auto' });
  const p802 = await testPhone(t, { user: '802', answer: 'auto' });
  const box = await startBox({
    agents: [phoneAgent(p801), phoneAgent(p802)],
    bot: BOT,
    queues: `  - id: general
    skill: general
    strategy: round-robin
    ring_timeout: 3s
  - id: loyal
    skill: general
    strategy: longest-idle
    ring_timeout: 3s
    sticky_agent: { within: 30d, wait_for_them: 10s }
  - id: all
    skill: general
    strategy: ring-all
    ring_timeout: 3s`,
  });
  t.teardown(() => box.close());

  const served: string[] = [];
  for (const n of ['+8613800000001', '+8613800000002', '+8613800000003']) {
    const from = mark(box);
    const id = await callAndPress(box, 0, n);
    const c = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
    served.push(String(c.extension));
    await sleep(500);
    await hangUp(box, 0, id);
    await sleep(500);
  }
  t.same(served, ['801', '802', '801'], 'round-robin: 801, 802, then 801 again');

  // A new caller to the longest-idle queue reaches 802 (801 served last); calling again, the caller
  // returns to 802 although 801 is now the longest idle: the sticky agent.
  const X = '+8613811112222';
  let from = mark(box);
  let id = await callAndPress(box, 0, X, '4');
  let c = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
  t.equal(c.extension, '802', 'first call: longest idle (802)');
  await sleep(500);
  await hangUp(box, 0, id);
  await sleep(800);
  from = mark(box);
  id = await callAndPress(box, 0, X, '4');
  const enter = await eventAfter(box, from, 'queue.enter', (l) => l.callId === id);
  t.ok((enter.priority as string[]).includes('sticky'), 'the returning caller is marked sticky');
  c = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
  t.equal(c.extension, '802', 'second call: the agent who served them last, not the longest idle (801)');
  await hangUp(box, 0, id);

  // ring-all: both phones ring at once, one gets the caller, the other's ringing is cancelled.
  await sleep(800);
  from = mark(box);
  id = await callAndPress(box, 0, '+8613800000009', '5');
  c = await eventAfter(box, from, 'queue.connect', (l) => l.callId === id);
  const rang = box.daemon.logs.slice(from).filter((l) => l.msg === 'call.agent' && l.callId === id && l.result === 'ringing').map((l) => String(l.extension));
  t.same(rang.sort(), ['801', '802'], 'ring-all: both phones rang');
  t.ok(['801', '802'].includes(String(c.extension)), `${String(c.extension)} answered first and got the caller`);
  await sleep(500);
  await hangUp(box, 0, id);
  const cdrs = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE outcome = 'transferred'", [], (r) => r.n === 6);
  t.equal(cdrs.n, 6);
});
