import { randomUUID } from 'node:crypto';
import type { Leg, Line } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { CallbackState, DomainEvents } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { loopSource, ringbackCycle } from '../speech/player.js';
import type { PromptResolver } from '../speech/prompts.js';
import { Speaker } from './speak.js';
import { callLanguage, promptVoice, textIn } from '../config/locale.js';
import type { AgentPool } from '../routing/agents.js';
import type { Router } from '../routing/router.js';
import { DialGate, DialRefused, dialCustomer } from '../routing/dial-policy.js';
import { serveTicket, type DialAgent, type Served } from './ring.js';
import { answerOf, converse, legParty } from './converse.js';

export interface CallbackRecord {
  id: string;
  callId: string;
  number: string;
  queue: string;
  lineId: string;
  /** ms epoch: the place in the queue the caller had. */
  since: number;
  attempts: number;
}

export interface CallbackDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  config: () => Config;
  router: Router;
  agents: AgentPool;
  dialAgent: DialAgent;
  lines: { get(id: string): Line | undefined; all(): Line[] };
  prompts: () => PromptResolver;
  /** The dialing policy every customer dial passes (shared with originate/campaigns). */
  dialGate?: DialGate;
}

const SAY = {
  en: { calling: (n: string) => `Callback. Calling the customer ${n.split('').join(' ')} now.`, noAnswer: 'The customer did not answer. We will try again later.' },
  zh: { calling: (n: string) => `回电任务,正在为您呼叫客户${n.split('').join(' ')}。`, noAnswer: '客户未接听,稍后会再次尝试。' },
};

/**
 * Callbacks instead of waiting. A request is stored (callbacks table, through the bus and the store
 * in one transaction) before the caller is told; it then waits in its queue with the place the caller
 * had. When the router finds an agent, the agent is rung FIRST and told whom they are calling; only
 * then is the customer dialled — on the line they called from if it can dial out (GSM/analog), else
 * routing.callback.line, else any free GSM line — and the two are bridged. A customer who does not
 * answer is tried again after retry_after, up to `attempts` times. Pending callbacks survive a
 * restart: they are read back from the store at start.
 */
export class Callbacks {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly gate: DialGate;

  constructor(private readonly deps: CallbackDeps) {
    this.gate = deps.dialGate ?? new DialGate(deps);
  }

  private emit<K extends keyof DomainEvents>(type: K, data: DomainEvents[K]): void {
    this.deps.log.info({ event: type, ...(data as object) }, type);
    this.deps.bus.emit(type, data);
  }

  /** Whether `number` may be called back at all (the dialing policy's number rules; no log, no alarm). */
  accepts(number: string): boolean {
    return this.gate.allows(number);
  }

  /** Record the request (the store keeps it, journaled if it is failing; nobody waits for the disk), then queue it. */
  async request(r: { callId: string; number: string; queue: string; lineId: string; since: number }): Promise<string> {
    const id = `cb-${randomUUID().slice(0, 8)}`;
    const data = { id, callId: r.callId, queue: r.queue, number: r.number, lineId: r.lineId, enteredAt: new Date(r.since).toISOString() };
    this.deps.log.info({ event: 'callback.requested', ...data }, 'callback.requested');
    this.deps.bus.emit('callback.requested', data);
    this.enqueue({ id, callId: r.callId, number: r.number, queue: r.queue, lineId: r.lineId, since: r.since, attempts: 0 });
    return id;
  }

  /** Queue the callbacks a previous run left unfinished. */
  async restore(): Promise<number> {
    const rows = await this.deps.db.all<{ id: string; call_id: string; number: string; queue: string; line_id: string; entered_at: string; attempts: number }>(
      "SELECT id, call_id, number, queue, line_id, entered_at, attempts FROM callbacks WHERE state NOT IN ('done', 'failed') ORDER BY entered_at",
    );
    for (const r of rows) this.enqueue({ id: r.id, callId: r.call_id, number: r.number, queue: r.queue, lineId: r.line_id, since: Date.parse(r.entered_at), attempts: r.attempts });
    return rows.length;
  }

  private state(cb: CallbackRecord, state: CallbackState, extra: { extension?: string; detail?: string } = {}): void {
    this.emit('callback.state', { id: cb.id, callId: cb.callId, state, attempts: cb.attempts, ...extra });
  }

  private enqueue(cb: CallbackRecord): void {
    if (this.closed) return;
    // A number the policy refuses is never dialled, and no agent is rung for it.
    if (!this.gate.screen(cb.lineId, cb.number, 'callback')) return this.state(cb, 'failed', { detail: 'refused by the dialing policy' });
    const ticket = this.deps.router.enter({
      kind: 'callback',
      callId: cb.callId,
      caller: cb.number,
      queue: cb.queue,
      vip: false,
      repeat: false,
      since: cb.since,
    });
    const served = serveTicket(ticket, {
      dialAgent: this.deps.dialAgent,
      briefing: { displayName: `Callback ${cb.number}`, callerNumber: cb.number, headers: { 'X-Frontdesk-Call-Id': cb.callId, 'X-Frontdesk-Caller': cb.number, 'X-Frontdesk-Callback': cb.id } },
      log: this.deps.log.child({ callback: cb.id }),
      onRing: (ext) => this.state(cb, 'ringing-agent', { extension: ext }),
    });
    void served.then((r) => this.connect(cb, r)).catch((err: unknown) => this.deps.log.error({ err, callback: cb.id }, 'callback failed'));
  }

  private lineFor(cb: CallbackRecord): Line | undefined {
    const cfg = this.deps.config();
    const canDial = (l: Line | undefined): l is Line => Boolean(l && l.kind !== 'sip' && l.health().state === 'ready' && !l.health().inCall);
    const preferred = cfg.routing?.callback?.line;
    if (preferred) {
      const l = this.deps.lines.get(preferred);
      if (canDial(l)) return l;
    }
    const own = this.deps.lines.get(cb.lineId);
    if (canDial(own)) return own;
    return this.deps.lines.all().find((l) => l.kind === 'gsm' && canDial(l)) ?? this.deps.lines.all().find(canDial);
  }

  private async connect(cb: CallbackRecord, r: Served): Promise<void> {
    if (r.kind !== 'agent') {
      this.state(cb, 'failed', { detail: r.kind === 'exit' ? r.reason : r.kind });
      return;
    }
    const { extension, leg: agentLeg } = r;
    const cfg = this.deps.config();
    const texts = textIn(SAY, callLanguage(cfg));
    const speaker = agentLeg.media ? new Speaker(agentLeg.media, this.deps.prompts(), promptVoice(cfg), this.deps.log) : undefined;
    const agentGone = new AbortController();
    agentLeg.once('ended', () => agentGone.abort());
    cb.attempts++;
    const started = Date.now();
    let talkFrom = 0;
    let customer: Leg | undefined;
    try {
      // The agent is on the line first: tell them whom they are calling, then ringback while we dial.
      await speaker?.say([{ text: texts.calling(cb.number) }], agentGone.signal);
      if (agentGone.signal.aborted) return this.retry(cb, 'agent hung up before the customer was dialled');
      const line = this.lineFor(cb);
      if (!line) return this.retry(cb, 'no free line to call the customer on');
      this.state(cb, 'dialling-customer', { extension, detail: line.id });
      const ringback = new AbortController();
      agentGone.signal.addEventListener('abort', () => ringback.abort(), { once: true });
      void speaker?.play(loopSource(ringbackCycle()), ringback.signal); // play never rejects: aborted or closed, it resolves 'interrupted'
      try {
        customer = await dialCustomer(this.gate, line, cb.number, { timeoutMs: 40_000 }, 'callback');
        const answered = await answerOf(customer, { timeoutMs: 45_000, signal: agentGone.signal });
        ringback.abort();
        speaker?.stop();
        if (!answered || agentGone.signal.aborted) {
          await customer.hangup('no-answer').catch(() => undefined); // the customer's leg reports its own end
          if (!agentGone.signal.aborted) await speaker?.say([{ text: texts.noAnswer }], agentGone.signal);
          return this.retry(cb, agentGone.signal.aborted ? 'agent hung up while the customer was dialled' : 'customer did not answer');
        }
      } catch (err) {
        ringback.abort();
        if (err instanceof DialRefused && err.kind === 'number') return this.state(cb, 'failed', { detail: err.message });
        return this.retry(cb, `dial failed: ${(err as Error).message}`);
      }
      const customerMedia = customer.media;
      const agentMedia = agentLeg.media;
      if (!customerMedia || !agentMedia) return this.retry(cb, 'no audio on one of the legs');
      // Both on the line: talk until either hangs up.
      this.state(cb, 'connected', { extension });
      talkFrom = Date.now();
      await converse(legParty(customer, customerMedia), legParty(agentLeg, agentMedia)).ended;
      this.state(cb, 'done', { extension });
    } finally {
      speaker?.stop();
      await Promise.allSettled([agentLeg.hangup('normal'), customer?.hangup('normal')]);
      this.deps.agents.callEnded(extension, talkFrom ? Date.now() - talkFrom : 0);
      this.deps.log.debug({ callback: cb.id, ms: Date.now() - started }, 'callback attempt over');
    }
  }

  private retry(cb: CallbackRecord, detail: string): void {
    const cfg = this.deps.config().routing?.callback;
    if (cb.attempts >= (cfg?.attempts ?? 3)) {
      this.state(cb, 'failed', { detail });
      return;
    }
    this.state(cb, 'retry', { detail });
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(cb);
    }, durationOr(cfg?.retry_after, '2m'));
    t.unref();
    this.timers.add(t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
  }
}
