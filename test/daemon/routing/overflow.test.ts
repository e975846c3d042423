import t from 'tap';
import { testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

const BOT = `  greeting: "Welcome. Press 1 for billing, 3 for the night desk."
  language: en-US
  menu:
    "1": { queue: billing }
    "3": { queue: night }
  handoff:
    say: "Connecting you."
    default_queue: billing
    no_agent_say: "Sorry, nobody can take your call."
  voicemail: { say: "Leave a message." }`;

t.test('overflow after T seconds; no agent logged in → overflow, or voicemail', async (t) => {
  const p801 = await testPhone(t, { user: '801', answer: 'auto' });
  const p802 = await testPhone(t, { user: '802', answer: 'auto' });
  const box = await startBox({
    lines: 2,
    bot: BOT,
    agents: [phoneAgent(p801, '{ billing: 1 }'), phoneAgent(p802, '{ general: 1 }')],
    queues: `  - id: billing
    skill: billing
    ring_timeout: 3s
    overflow: { to: general, after: 3s }
  - id: general
    skill: general
    ring_timeout: 3s
  - id: night
    skill: night
    on_max_wait: voicemail`,
  });
  t.teardown(() => box.close());

  // 801 (billing) busy with A; B waits in billing and overflows to general after 3 s → 802.
  let from = mark(box);
  const a = await callAndPress(box, 0, '+8613800000001', '1');
  t.equal((await eventAfter(box, from, 'queue.connect', (l) => l.callId === a)).extension, '801');
  const b = await callAndPress(box, 1, '+8613800000002', '1');
  const ov = await eventAfter(box, from, 'queue.exit', (l) => l.callId === b);
  t.equal(ov.reason, 'overflow');
  t.equal(ov.to, 'general');
  t.ok(Number(ov.waitMs) >= 2900, `after 3 s (${String(ov.waitMs)} ms)`);
  // The call core acts on the router's overflow decision: the call now waits in general, and says why.
  const moved = await eventAfter(box, from, 'call.phase', (l) => l.callId === b && l.phase === 'queued' && (l.detail as { queue?: string }).queue === 'general');
  t.match(moved.detail, { reason: 'overflow', from: 'billing', why: 'timeout' }, 'the call moved to general: overflow after the wait');
  const cb = await eventAfter(box, from, 'queue.connect', (l) => l.callId === b);
  t.equal(cb.extension, '802', 'the overflow queue answered');
  await sleep(300);
  await hangUp(box, 0, a);
  await hangUp(box, 1, b);

  // 801 logs out: billing has nobody → straight to general.
  from = mark(box);
  await p801.dial(`sip:*52@127.0.0.1:${box.sipPort}`);
  await eventAfter(box, from, 'agent.state', (l) => l.extension === '801' && l.state === 'logged-out');
  await sleep(1500);
  const c = await callAndPress(box, 0, '+8613800000003', '1');
  const e = await eventAfter(box, from, 'queue.exit', (l) => l.callId === c);
  t.equal(e.reason, 'overflow', 'no agent logged in: overflow at once');
  t.ok(Number(e.waitMs) < 2000, `without waiting (${String(e.waitMs)} ms)`);
  t.equal((await eventAfter(box, from, 'queue.connect', (l) => l.callId === c)).extension, '802');
  await sleep(300);
  await hangUp(box, 0, c);

  // The night queue has nobody and no overflow: apology and voicemail.
  from = mark(box);
  const d = await callAndPress(box, 1, '+8613800000004', '3');
  t.equal((await eventAfter(box, from, 'queue.exit', (l) => l.callId === d)).reason, 'empty');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === d && l.phase === 'voicemail');
  t.pass('voicemail');
  await hangUp(box, 1, d);
});
