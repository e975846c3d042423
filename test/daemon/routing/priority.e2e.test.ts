import t from 'tap';
import { testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

const A = '+8613800000011';
const B = '+8613800000022';
const C = '+8613800000033';
const VIP = '+8613900000099';

t.test('abandoned-resume restores the place; a VIP jumps the queue', async (t) => {
  const p801 = await testPhone(t, { user: '801', answer: 'auto' });
  const box = await startBox({
    lines: 4,
    agents: [phoneAgent(p801)],
    queues: `  - id: general
    skill: general
    ring_timeout: 3s
    max_wait: 3m
    announce: { every: 30s }`,
    extra: `priority:\n  vip_numbers: ["${VIP}"]\n  resume_abandoned_within: 2m\n`,
  });
  t.teardown(() => box.close());

  const from = mark(box);
  const a = await callAndPress(box, 0, A);
  await eventAfter(box, from, 'queue.connect', (l) => l.callId === a);
  const b = await callAndPress(box, 1, B);
  t.equal((await eventAfter(box, from, 'queue.enter', (l) => l.callId === b)).position, 1, 'B waits at place 1');
  const c = await callAndPress(box, 2, C);
  t.equal((await eventAfter(box, from, 'queue.enter', (l) => l.callId === c)).position, 2, 'C at place 2');

  // B hangs up and calls back: back at place 1, ahead of C.
  await hangUp(box, 1, b);
  const ab = await eventAfter(box, from, 'queue.abandon', (l) => l.callId === b);
  t.equal(ab.position, 1, 'abandon logged with the position');
  t.ok(Number(ab.waitMs) > 0, 'and the wait');
  await sleep(1000);
  const b2 = await callAndPress(box, 1, B);
  const again = await eventAfter(box, from, 'queue.enter', (l) => l.callId === b2);
  t.equal(again.position, 1, 'B resumes at place 1');
  t.same(again.priority, ['resume']);

  // A VIP joins last and goes first.
  const v = await callAndPress(box, 3, VIP);
  const ve = await eventAfter(box, from, 'queue.enter', (l) => l.callId === v);
  t.equal(ve.position, 1, 'the VIP is next');
  t.ok((ve.priority as string[]).includes('vip'));

  // 801 frees up three times: VIP, then B, then C.
  const order: string[] = [];
  const names: Record<string, string> = { [v]: 'vip', [b2]: 'B', [c]: 'C' };
  const lineOf: Record<string, number> = { [v]: 3, [b2]: 1, [c]: 2 };
  let current = a;
  let currentLine = 0;
  for (let i = 0; i < 3; i++) {
    const m = mark(box);
    await sleep(300);
    await hangUp(box, currentLine, current);
    const next = await eventAfter(box, m, 'queue.connect', () => true, 30_000);
    order.push(names[String(next.callId)] ?? String(next.callId));
    current = String(next.callId);
    currentLine = lineOf[current]!;
    await eventAfter(box, m, 'call.phase', (l) => l.callId === current && l.phase === 'connected');
  }
  t.same(order, ['vip', 'B', 'C'], 'served in priority order');
  await hangUp(box, currentLine, current);
  const cdr = await box.row<{ outcome: string }>('SELECT outcome FROM calls WHERE id = ?', [b], (r) => Boolean(r.outcome));
  t.equal(cdr.outcome, 'abandoned', "the first B call's CDR says abandoned");
  const log = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM queue_log WHERE event IN ('enter', 'connect', 'abandon')", [], (r) => r.n >= 10);
  t.ok(log.n >= 10, `queue_log has the enter/connect/abandon rows (${log.n})`);
});
