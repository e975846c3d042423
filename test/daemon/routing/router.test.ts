import t from 'tap';
import { EventEmitter } from 'node:events';
import type { EndCause, Leg, LegEvents, LegState } from '../../../drivers/line.js';
import type { Config } from '../../../daemon/config/schema.js';
import { AgentPool } from '../../../daemon/routing/agents.js';
import { Router, type EnterRequest } from '../../../daemon/routing/router.js';
import { serveTicket, type Served } from '../../../daemon/calls/ring.js';
import pino from 'pino';

/** A desk phone as the router sees it: answers after `answerMs`, never, or 486. */
type Behaviour = { answerMs: number } | 'never' | 'busy';

class FakeLeg extends EventEmitter<LegEvents> implements Leg {
  readonly id = Math.random().toString(36).slice(2);
  readonly lineId = 'desk';
  readonly direction = 'outbound' as const;
  state: LegState = 'ringing';
  media = null;
  readonly dtmfSource = 'in-band' as const;
  constructor(readonly remote: { number: string }) {
    super();
  }
  async answer(): Promise<void> {}
  async sendDtmf(): Promise<void> {}
  async hangup(cause: EndCause = 'normal'): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.emit('ended', { by: 'local', cause });
  }
}

function rig(yaml: { agents: { extension: string; skills?: Record<string, number>; logged_in?: boolean }[]; queues: Config['queues']; priority?: Config['priority']; routing?: Config['routing'] }) {
  const config = { site: 's', node: 'n', lines: [], bot: { greeting: 'hi' }, agents: yaml.agents.map((a) => ({ name: a.extension, wrap_up: '0s', skills: { general: 1 }, ...a })), queues: yaml.queues, ...(yaml.priority ? { priority: yaml.priority } : {}), routing: yaml.routing ?? {} } as unknown as Config;
  const behaviour = new Map<string, Behaviour>();
  const rung: string[] = [];
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const agents = new AgentPool(config.agents!, () => {}, { autoPauseAfter: () => config.routing?.auto_pause_after ?? 3 });
  const router = new Router({
    config: () => config,
    agents,
    log: pino({ level: 'silent' }),
    tickMs: 20,
    emit: (type, data) => events.push({ type, data: data as unknown as Record<string, unknown> }),
  });
  // The call core's side: the router decides whom to ring; serveTicket rings these scripted phones.
  const dialAgent = async (agent: { extension: string }) => {
    rung.push(agent.extension);
    const leg = new FakeLeg({ number: agent.extension });
    const b = behaviour.get(agent.extension) ?? { answerMs: 10 };
    if (b === 'busy') setTimeout(() => ((leg.state = 'ended'), leg.emit('ended', { by: 'remote', cause: 'busy' })), 5);
    else if (b !== 'never')
      setTimeout(() => {
        if (leg.state !== 'ringing') return;
        leg.state = 'answered';
        leg.emit('answered');
      }, b.answerMs);
    return leg;
  };
  const serve = (ticket: ReturnType<Router['enter']>) => serveTicket(ticket, { dialAgent, briefing: {}, log: pino({ level: 'silent' }) });
  let n = 0;
  const call = (o: Partial<EnterRequest> = {}) => {
    const gone = new AbortController();
    const ticket = router.enter({ kind: 'call', callId: `c${++n}`, caller: `+86100${n}`, queue: 'general', vip: false, repeat: false, signal: gone.signal, ...o });
    return { ticket, gone, result: serve(ticket) };
  };
  /** Serve the call for `ms`, then hang up (the agent becomes free again). */
  const talk = async (r: Served, ms = 5): Promise<string | undefined> => {
    if (r.kind !== 'agent') return undefined;
    await new Promise((res) => setTimeout(res, ms));
    await r.leg.hangup();
    agents.callEnded(r.extension, ms);
    return r.extension;
  };
  return { config, agents, router, behaviour, rung, events, call, serve, talk, close: () => (router.close(), agents.close()) };
}

// The router's tick is unref'd (it must not keep the daemon alive); keep this test process alive.
const keepAlive = setInterval(() => {}, 1000);
t.teardown(() => clearInterval(keepAlive));

const four = [{ extension: '801' }, { extension: '802' }, { extension: '803' }, { extension: '804' }];
const q = (o: Record<string, unknown> = {}) => [{ id: 'general', skill: 'general', ring_timeout: '200ms', max_wait: '10s', ...o }] as Config['queues'];

async function series(strategy: string, calls: number, talkMs: (i: number) => number = () => 5): Promise<string[]> {
  const r = rig({ agents: four, queues: q({ strategy }) });
  const served: string[] = [];
  for (let i = 0; i < calls; i++) {
    const { result } = r.call();
    served.push((await r.talk(await result, talkMs(i)))!);
    await new Promise((res) => setTimeout(res, 3));
  }
  r.close();
  return served;
}

t.test('each strategy over a scripted series of calls', async (t) => {
  t.same(await series('linear', 4), ['801', '801', '801', '801'], 'linear: always the first free agent');
  t.same(await series('round-robin', 6), ['801', '802', '803', '804', '801', '802'], 'round-robin: in turn, wrapping');
  t.same(await series('longest-idle', 5), ['801', '802', '803', '804', '801'], 'longest-idle: the one free longest');
  t.same(await series('fewest-calls', 5), ['801', '802', '803', '804', '801'], 'fewest-calls: everybody once, then again');
  // Talk times 40, 5, 5, 5 ms: after one round 801 has the most talk time and is last in line.
  const ltt = await series('least-talk-time', 6, (i) => (i === 0 ? 40 : 5));
  t.same(ltt.slice(0, 4), ['801', '802', '803', '804']);
  t.not(ltt[4], '801', 'least-talk-time: the agent with the longest talk is not next');
  const rnd = await series('random', 24);
  t.equal(new Set(rnd).size, 4, `random: every agent got calls (${rnd.join(' ')})`);

  const r = rig({ agents: four, queues: q({ strategy: 'ring-all' }) });
  r.behaviour.set('801', 'never');
  r.behaviour.set('802', { answerMs: 60 });
  r.behaviour.set('803', { answerMs: 20 });
  r.behaviour.set('804', 'never');
  const res = await r.call().result;
  t.equal(res.kind === 'agent' && res.extension, '803', 'ring-all: the first to answer wins');
  t.same([...r.rung].sort(), ['801', '802', '803', '804'], 'ring-all: all phones rang at once');
  await new Promise((res) => setTimeout(res, 50));
  t.equal(r.agents.get('801')!.misses, 0, 'the others were cancelled, not counted as misses');
  r.close();
});

t.test('VIP jumps the queue; repeat callers before the rest', async (t) => {
  const r = rig({ agents: [{ extension: '801' }], queues: q() });
  t.teardown(r.close);
  r.behaviour.set('801', { answerMs: 10 });
  const first = r.call();
  const busy = await first.result; // 801 busy with the first caller
  const a = r.call();
  const b = r.call({ repeat: true });
  const vip = r.call({ vip: true });
  t.equal(vip.ticket.position(), 1, 'the VIP is next');
  t.equal(b.ticket.position(), 2, 'then the repeat caller');
  t.equal(a.ticket.position(), 3);
  const order: string[] = [];
  for (const x of [a, b, vip]) void x.result.then(async (res) => (order.push(x === vip ? 'vip' : x === b ? 'repeat' : 'plain'), r.talk(res)));
  await r.talk(busy);
  await Promise.all([a.result, b.result, vip.result]);
  await new Promise((res) => setTimeout(res, 30));
  t.same(order, ['vip', 'repeat', 'plain']);
});

t.test('abandoned-resume gets the old place; abandon is logged with position and wait', async (t) => {
  const r = rig({ agents: [{ extension: '801' }], queues: q(), priority: { resume_abandoned_within: '1m' } });
  t.teardown(r.close);
  const busy = await r.call().result;
  const early = r.call({ caller: '+8613900000077' });
  await new Promise((res) => setTimeout(res, 20));
  const later = r.call();
  t.equal(later.ticket.position(), 2);
  early.gone.abort();
  await early.result;
  const ab = r.events.find((e) => e.type === 'queue.abandon')!;
  t.equal(ab.data.position, 1);
  t.ok((ab.data.waitMs as number) >= 15);
  const back = r.call({ caller: '+8613900000077' });
  t.equal(back.ticket.position(), 1, 'back in front of the caller who came after');
  t.same(r.events.filter((e) => e.type === 'queue.enter').at(-1)!.data.priority, ['resume']);
  await r.talk(busy);
  const res = await back.result;
  t.equal(res.kind, 'agent');
  later.gone.abort();
});

t.test('sticky agent: waits for the last agent up to wait_for_them, then anyone', async (t) => {
  const r = rig({ agents: [{ extension: '801' }, { extension: '802' }], queues: q({ sticky_agent: { within: '30d', wait_for_them: '300ms' } }) });
  t.teardown(r.close);
  const busy802 = await r.call({ sticky: { extension: '802', waitMs: 300 } }).result;
  t.equal(busy802.kind === 'agent' && busy802.extension, '802', 'the returning caller goes to their agent although 801 is idle longer');
  const c = r.call({ sticky: { extension: '802', waitMs: 200 } });
  const t0 = Date.now();
  void (async () => {
    await new Promise((res) => setTimeout(res, 100));
    await r.talk(busy802);
  })();
  const res = await c.result;
  t.equal(res.kind === 'agent' && res.extension, '802', 'waited for 802 to free up');
  t.ok(Date.now() - t0 >= 90, 'instead of taking 801 at once');
  await r.talk(res);
  const busy = await r.call({ sticky: { extension: '802', waitMs: 50 } }).result; // 802 again
  const d = r.call({ sticky: { extension: '802', waitMs: 50 } });
  const res2 = await d.result;
  t.equal(res2.kind === 'agent' && res2.extension, '801', 'after wait_for_them anyone will do');
  await r.talk(busy);
});

t.test('no answer → next agent; ring_rounds exhausted → exit; N misses → auto-pause', async (t) => {
  const r = rig({ agents: [{ extension: '801' }, { extension: '802' }], queues: q({ strategy: 'linear' }), routing: { auto_pause_after: 2 } });
  t.teardown(r.close);
  r.behaviour.set('801', 'never');
  const res = await r.call().result;
  t.equal(res.kind === 'agent' && res.extension, '802');
  t.same(r.rung, ['801', '802']);
  t.ok(r.events.some((e) => e.type === 'agent.ring-no-answer' && e.data.extension === '801' && e.data.result === 'no-answer'));
  await r.talk(res);
  r.behaviour.set('802', 'never');
  const res2 = await r.call().result;
  t.same(res2, { kind: 'exit', reason: 'no-answer', queue: 'general', then: 'voicemail' }, 'everyone rung once without answer');
  t.equal(r.agents.get('801')!.state, 'paused', '801 missed twice in a row: auto-paused');
  t.match(r.agents.get('801')!.pauseReason, /auto/);
  t.equal(r.agents.get('802')!.presence, 'in', '802 missed once');
});

t.test('486 from a phone: the next agent, and the busy one is left alone for a while', async (t) => {
  const r = rig({ agents: [{ extension: '801' }, { extension: '802' }], queues: q({ strategy: 'linear' }) });
  t.teardown(r.close);
  r.behaviour.set('801', 'busy');
  const res = await r.call().result;
  t.equal(res.kind === 'agent' && res.extension, '802');
  await r.talk(res);
  const res2 = await r.call().result;
  t.equal(res2.kind === 'agent' && res2.extension, '802', 'linear would pick 801, but it is busy');
  t.equal(r.agents.get('801')!.presence, 'in', 'busy is not a miss');
});

t.test('overflow after T; no agent logged in → overflow or exit; max wait; max length; closed', async (t) => {
  const queues = [
    { id: 'billing', skill: 'billing', ring_timeout: '200ms', max_wait: '10s', overflow: { to: 'general', after: '150ms' } },
    { id: 'general', skill: 'general', ring_timeout: '200ms', max_wait: '250ms', max_length: 1 },
    { id: 'night', skill: 'general', hours: { open: { 'mon-sun': '00:00-00:01' }, holidays: [new Date().toISOString().slice(0, 10)] } },
  ] as Config['queues'];
  const r = rig({ agents: [{ extension: '801', skills: { billing: 1, general: 1 } }, { extension: '802', skills: { general: 1 }, logged_in: false }], queues });
  t.teardown(r.close);
  const busy = await r.call({ queue: 'billing' }).result;
  const c = r.call({ queue: 'billing' });
  await new Promise((res) => setTimeout(res, 250));
  t.equal(c.ticket.queue, 'general', 'moved to the overflow queue after 150 ms');
  const exit = r.events.find((e) => e.type === 'queue.exit' && e.data.reason === 'overflow')!;
  t.equal(exit.data.to, 'general');
  const full = await r.call({ queue: 'general' }).result;
  t.same(full, { kind: 'exit', reason: 'full', queue: 'general', then: 'voicemail' }, 'max_length 1');
  const res = await c.result;
  t.same(res, { kind: 'exit', reason: 'timeout', queue: 'general', then: 'voicemail' }, 'then max wait in general');
  t.same(await r.call({ queue: 'night' }).result, { kind: 'exit', reason: 'closed', queue: 'night', then: 'voicemail' });
  r.agents.logout('801');
  await r.talk(busy);
  t.same(await r.call({ queue: 'billing' }).result, { kind: 'exit', reason: 'empty', queue: 'general', then: 'voicemail' }, 'nobody logged in: overflow, then empty');
  r.agents.login('802');
  const res3 = await r.call({ queue: 'general' }).result;
  t.equal(res3.kind === 'agent' && res3.extension, '802', 'logging in changes routing at once');
});

t.test('a callback waits however long it takes and keeps its place', async (t) => {
  const r = rig({ agents: [{ extension: '801' }], queues: q({ max_wait: '100ms' }) });
  t.teardown(r.close);
  const busy = await r.call().result;
  const cb = r.router.enter({ kind: 'callback', callId: 'old', caller: '+861', queue: 'general', vip: false, repeat: false, since: Date.now() - 60_000 });
  const cbResult = r.serve(cb);
  const fresh = r.call();
  t.equal(cb.position(), 1, 'the callback keeps the place of the call it came from');
  t.same(await fresh.result, { kind: 'exit', reason: 'timeout', queue: 'general', then: 'voicemail' });
  await new Promise((res) => setTimeout(res, 150));
  t.notOk(cb.done, 'no max wait for a callback');
  await r.talk(busy);
  const res = await cbResult;
  t.equal(res.kind === 'agent' && res.extension, '801', 'the agent is reserved (rung) for the callback');
});

t.test('the router decides and is told: typed decisions, no phone touched', async (t) => {
  const r = rig({ agents: [{ extension: '801' }, { extension: '802' }], queues: q({ strategy: 'linear', ring_timeout: '7s', on_max_wait: 'callback' }) });
  t.teardown(r.close);
  const ticket = r.router.enter({ kind: 'call', callId: 'd1', caller: '+861', queue: 'general', vip: false, repeat: false });
  const first = await ticket.next();
  t.same(first, { kind: 'ring', ring: first.kind === 'ring' ? first.ring : -1, agents: [{ extension: '801' }], timeoutMs: 7000 }, 'ring 801 for 7 s');
  t.same(r.rung, [], 'nothing was dialled by the router');
  t.equal(r.agents.get('801')!.state, 'ringing', 'the agent shows ringing from the decision on');
  t.ok(ticket.ringing);
  if (first.kind !== 'ring') return;
  ticket.ringEnded(first.ring, '801', 'no-answer');
  const second = await ticket.next();
  t.match(second, { kind: 'ring', agents: [{ extension: '802' }] }, 'told 801 did not answer: ring the next agent');
  if (second.kind !== 'ring') return;
  t.notOk(ticket.answered(first.ring, '801'), 'a stale ring cannot win the caller');
  t.ok(ticket.answered(second.ring, '802'), 'the answer is accepted');
  t.match(await ticket.next(), { kind: 'connect', extension: '802', queue: 'general' }, 'then: put the caller through to 802');
  t.match(await ticket.result, { kind: 'connect', extension: '802' });
  t.equal(r.agents.get('802')!.state, 'busy');
  t.match(r.events.map((e) => e.type), ['queue.enter', 'agent.ring-no-answer', 'queue.connect']);
  const exit = r.router.enter({ kind: 'call', callId: 'd2', caller: '+862', queue: 'general', vip: false, repeat: false });
  t.ok(exit.leaveForCallback(), 'the router offers this caller a callback');
  t.same(await exit.result, { kind: 'exit', reason: 'callback', queue: 'general', then: 'callback' }, 'leaving for a callback: the callback follows');
});

t.test('announce and overflow are decisions too: when and what to tell the caller, where they move and why', async (t) => {
  const queues = [
    { id: 'billing', skill: 'billing', ring_timeout: '5s', max_wait: '10s', overflow: { to: 'general', after: '700ms' }, on_max_wait: 'callback', announce: { position: true, wait_estimate: false, every: '100ms' } },
    { id: 'general', skill: 'general', ring_timeout: '5s', max_wait: '10s', announce: { position: false, wait_estimate: false, every: '100ms' } },
  ] as Config['queues'];
  const r = rig({ agents: [{ extension: '801', skills: { billing: 1, general: 1 } }], queues });
  t.teardown(r.close);
  const busy = await r.call({ queue: 'billing' }).result; // 801 talks: the next caller waits
  const ticket = r.router.enter({ kind: 'call', callId: 'w1', caller: '+8613800000009', queue: 'billing', vip: false, repeat: false });
  const first = await ticket.next();
  t.match(first, { kind: 'announce', queue: 'billing', position: 1, sayPosition: true, callbackOffer: true }, 'at once: the position and the callback offer');
  t.notOk('estimateMs' in first, 'no wait estimate (wait_estimate: false)');
  if (first.kind !== 'announce') return;
  await new Promise((res) => setTimeout(res, 250));
  // Until the caller has heard it, nothing more is said; then the next is due announce.every later.
  const heardAt = Date.now();
  ticket.announced(first.id);
  const second = await ticket.next();
  t.match(second, { kind: 'announce', position: 1 });
  t.ok(Date.now() - heardAt >= 90, `the next one a period after the first was said (${Date.now() - heardAt} ms)`);
  const moved = await ticket.next();
  t.match(moved, { kind: 'overflow', from: 'billing', to: 'general', reason: 'timeout' }, 'overflow: to general, because of the wait');
  t.equal(ticket.queue, 'general');
  if (second.kind === 'announce') ticket.announced(second.id);
  t.equal(ticket.leaveForCallback(), false, 'general does not call back: "1" is refused and the caller stays');
  t.notOk(ticket.done);
  const next = ticket.next();
  const raced = await Promise.race([next, new Promise((res) => setTimeout(() => res('nothing'), 300))]);
  t.equal(raced, 'nothing', 'general announces neither position nor wait nor a callback: nothing to say');
  await r.talk(busy);
  t.match(await next, { kind: 'ring', agents: [{ extension: '801' }] }, 'the agent is free: ring them');
});

t.test('max wait in a queue that calls back: a callback for an allowed number, voicemail for one the dialing policy refuses', async (t) => {
  const r = rig({ agents: [{ extension: '801' }], queues: q({ max_wait: '150ms', on_max_wait: 'callback' }) });
  (r.config as { dialing?: Config['dialing'] }).dialing = { allowed_prefixes: ['+86'], blocked_prefixes: ['00', '+'] };
  t.teardown(r.close);
  const busy = await r.call().result;
  const allowed = r.call({ caller: '+8613800000001' });
  const blocked = r.call({ caller: '+447700900123' });
  const withheld = r.router.enter({ kind: 'call', callId: 'anon', queue: 'general', vip: false, repeat: false });
  t.same(await allowed.result, { kind: 'exit', reason: 'timeout', queue: 'general', then: 'callback' });
  t.same(await blocked.result, { kind: 'exit', reason: 'timeout', queue: 'general', then: 'voicemail' }, 'never a callback promised to a refused number');
  t.same(await withheld.result, { kind: 'exit', reason: 'timeout', queue: 'general', then: 'voicemail' }, 'nor to a withheld one');
  await r.talk(busy);
});
