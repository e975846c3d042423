import type { DialOptions, Leg } from '../../drivers/line.js';
import type { DomainEvents, QueueExitReason } from '../bus/events.js';
import type { Config, QueueConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { isOpenSafe } from '../bot/hours.js';
import type { Logger } from '../log.js';
import type { AgentInfo, AgentPool, RingResult } from './agents.js';
import { WaitEstimator } from './estimator.js';
import { AbandonedPlaces, compareWaiting, type Waiting } from './priority.js';
import { pickAgents, type Candidate, type QueueMemory } from './strategies.js';

/** Places a call to an agent's desk phone. */
export type DialAgent = (agent: Pick<AgentInfo, 'extension' | 'contact'>, options: DialOptions) => Promise<Leg>;

export type Emit = <K extends keyof DomainEvents>(type: K, data: DomainEvents[K]) => void;

export interface RouterDeps {
  config: () => Config;
  agents: AgentPool;
  dialAgent: DialAgent;
  emit: Emit;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** How often waits are checked against max wait, overflow and the like. */
  tickMs?: number;
}

export interface EnterRequest {
  /** A caller on the line, or a callback waiting for an agent. */
  kind: 'call' | 'callback';
  callId: string;
  caller?: string;
  queue: string;
  vip: boolean;
  repeat: boolean;
  /** Entry time that counts for the order (a callback keeps the one of the call it came from). */
  since?: number;
  /** The agent who served this caller last, tried first for up to waitMs. */
  sticky?: { extension: string; waitMs: number };
  briefing: DialOptions;
  /** Aborts when the caller hangs up (calls only). */
  signal?: AbortSignal;
  onRing?(extension: string): void;
  onRingResult?(extension: string, result: Exclude<RingResult, 'answered' | 'cancelled'>, detail?: string): void;
}

export type TicketResult =
  | { kind: 'agent'; extension: string; leg: Leg; waitMs: number; queue: string }
  | { kind: 'exit'; reason: QueueExitReason; queue: string }
  | { kind: 'gone' };

interface Entry extends Waiting {
  req: EnterRequest;
  queue: string;
  /** Entered the current queue (max wait and overflow count from here). */
  queuedAt: number;
  /** Entered the first queue (the caller's whole wait). */
  firstAt: number;
  positionAtEntry: number;
  tried: Map<string, number>;
  visited: Set<string>;
  sticky?: { extension: string; until: number };
  ringing: boolean;
  done: boolean;
  resolve: (r: TicketResult) => void;
}

/** A caller's place in the router: position, estimate, and the outcome to wait for. */
export class Ticket {
  readonly result: Promise<TicketResult>;
  constructor(
    private readonly router: Router,
    private readonly entry: Entry,
    result: Promise<TicketResult>,
  ) {
    this.result = result;
  }
  get queue(): string {
    return this.entry.queue;
  }
  /** An agent's phone is ringing for this caller now. */
  get ringing(): boolean {
    return this.entry.ringing;
  }
  get done(): boolean {
    return this.entry.done;
  }
  position(): number {
    return this.router.positionOf(this.entry);
  }
  estimateMs(): number | undefined {
    return this.router.estimator.estimateMs(this.entry.queue, this.position());
  }
  /** The caller chose to be called back: they leave the queue (the callback enters it anew). */
  leaveForCallback(): void {
    this.router.exit(this.entry, 'callback');
  }
  get since(): number {
    return this.entry.since;
  }
}

/**
 * The contact-centre router: waiting callers (and callbacks) in priority order on one side, agents
 * on the other. Whenever something changes — a caller joins or leaves, an agent frees up, logs in or
 * unpauses — it offers the first waiting caller for whom an agent is free to the agent(s) the
 * queue's strategy picks, rings them (first to answer wins), and hands the answered agent leg to
 * whoever waits on the ticket. A periodic check moves callers on: overflow after a time or when no
 * agent is logged in, a closed queue, max wait, everybody rung without answer.
 */
export class Router {
  readonly estimator = new WaitEstimator();
  private readonly entries = new Set<Entry>();
  private readonly memory = new Map<string, QueueMemory>();
  private readonly abandoned = new AbandonedPlaces();
  private readonly now: () => number;
  private seq = 0;
  private dispatching = false;
  private again = false;
  private readonly timer: NodeJS.Timeout;
  private readonly offAgents: () => void;

  constructor(private readonly deps: RouterDeps) {
    this.now = deps.now ?? Date.now;
    this.offAgents = deps.agents.onChange(() => this.dispatch());
    this.timer = setInterval(() => this.tick(), deps.tickMs ?? 250);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.offAgents();
  }

  /** Callers waiting (or being rung) in a queue, in service order. */
  waiting(queue?: string): { callId: string; kind: 'call' | 'callback'; queue: string; position: number; waitMs: number; ringing: boolean }[] {
    const now = this.now();
    return this.sorted()
      .filter((e) => !queue || e.queue === queue)
      .map((e) => ({ callId: e.req.callId, kind: e.req.kind, queue: e.queue, position: this.positionOf(e), waitMs: now - e.firstAt, ringing: e.ringing }));
  }

  enter(req: EnterRequest): Ticket {
    const now = this.now();
    const cfg = this.deps.config();
    let resolve!: (r: TicketResult) => void;
    const result = new Promise<TicketResult>((r) => (resolve = r));
    const tags: string[] = [];
    let since = req.since ?? now;
    const within = cfg.priority?.resume_abandoned_within;
    if (req.kind === 'call' && req.caller && within) {
      const place = this.abandoned.take(req.caller, durationOr(within, '0s'), now);
      if (place && place.queue === req.queue) {
        since = place.since;
        tags.push('resume');
      }
    }
    if (req.vip) tags.push('vip');
    if (req.repeat) tags.push('repeat');
    const e: Entry = {
      req,
      vip: req.vip,
      repeat: req.repeat,
      since,
      seq: ++this.seq,
      queue: req.queue,
      queuedAt: now,
      firstAt: now,
      positionAtEntry: 1,
      tried: new Map(),
      visited: new Set([req.queue]),
      ringing: false,
      done: false,
      resolve,
    };
    if (req.sticky) {
      e.sticky = { extension: req.sticky.extension, until: now + req.sticky.waitMs };
      tags.push('sticky');
    }
    const ticket = new Ticket(this, e, result);
    const q = this.queueConfig(req.queue);
    const length = [...this.entries].filter((x) => x.queue === req.queue).length;
    if (req.kind === 'call' && q.max_length !== undefined && length >= q.max_length) {
      e.done = true;
      this.deps.emit('queue.exit', { callId: req.callId, queue: req.queue, reason: 'full', position: length + 1, waitMs: 0 });
      resolve({ kind: 'exit', reason: 'full', queue: req.queue });
      return ticket;
    }
    this.entries.add(e);
    e.positionAtEntry = this.positionOf(e);
    this.deps.emit('queue.enter', { callId: req.callId, queue: req.queue, position: e.positionAtEntry, priority: tags, ...(req.caller ? { caller: req.caller } : {}) });
    if (req.signal) {
      if (req.signal.aborted) queueMicrotask(() => this.abandon(e));
      else req.signal.addEventListener('abort', () => this.abandon(e), { once: true });
    }
    this.check(e);
    this.dispatch();
    return ticket;
  }

  positionOf(e: Entry): number {
    return this.sorted().filter((x) => x.queue === e.queue).indexOf(e) + 1;
  }

  private sorted(): Entry[] {
    return [...this.entries].sort(compareWaiting);
  }

  /** The queue's settings; a queue named by the bot but not configured serves agents with that skill. */
  queueConfig(id: string): QueueConfig {
    return this.deps.config().queues?.find((q) => q.id === id) ?? { id };
  }

  private skillsOf(q: QueueConfig): string[] {
    if (q.skills?.length) return q.skills;
    if (q.skill) return [q.skill];
    // An unconfigured default queue means "anyone".
    return q.id === 'default' ? [] : [q.id];
  }

  private levelIn(a: AgentInfo, skills: string[]): number {
    if (skills.length === 0) return 1;
    return Math.max(0, ...skills.map((s) => a.skills[s] ?? 0));
  }

  private skilled(q: QueueConfig): AgentInfo[] {
    const skills = this.skillsOf(q);
    return this.deps.agents.all().filter((a) => this.levelIn(a, skills) > 0);
  }

  // ---- leaving -----------------------------------------------------------------------------------

  private remove(e: Entry): number {
    const position = this.positionOf(e);
    this.entries.delete(e);
    e.done = true;
    return position;
  }

  private abandon(e: Entry): void {
    if (e.done) return;
    const now = this.now();
    const position = this.remove(e);
    this.deps.emit('queue.abandon', { callId: e.req.callId, queue: e.queue, position, waitMs: now - e.firstAt });
    const within = this.deps.config().priority?.resume_abandoned_within;
    if (e.req.caller && within) {
      this.abandoned.remember(e.req.caller, e.queue, e.since, now);
      this.abandoned.prune(durationOr(within, '0s'), now);
    }
    e.resolve({ kind: 'gone' });
    this.dispatch();
  }

  exit(e: Entry, reason: QueueExitReason): void {
    if (e.done) return;
    const position = this.remove(e);
    this.deps.emit('queue.exit', { callId: e.req.callId, queue: e.queue, reason, position, waitMs: this.now() - e.firstAt });
    e.resolve({ kind: 'exit', reason, queue: e.queue });
    this.dispatch();
  }

  /** Move to the overflow queue if there is one not yet visited; otherwise leave with `reason`. */
  private overflowOrExit(e: Entry, reason: QueueExitReason): void {
    const q = this.queueConfig(e.queue);
    const to = q.overflow?.to;
    if (!to || e.visited.has(to)) return this.exit(e, reason);
    const now = this.now();
    this.deps.emit('queue.exit', { callId: e.req.callId, queue: e.queue, reason: 'overflow', position: this.positionOf(e), waitMs: now - e.firstAt, to });
    e.queue = to;
    e.visited.add(to);
    e.queuedAt = now;
    e.tried.clear();
    this.deps.emit('queue.enter', { callId: e.req.callId, queue: to, position: this.positionOf(e), priority: ['overflow'], ...(e.req.caller ? { caller: e.req.caller } : {}) });
    this.check(e);
    this.dispatch();
  }

  // ---- periodic checks ---------------------------------------------------------------------------

  private tick(): void {
    for (const e of [...this.entries]) this.check(e);
    this.dispatch();
  }

  /** Should this caller move on? (Not while an agent's phone rings for them.) */
  private check(e: Entry): void {
    if (e.done || e.ringing) return;
    const cfg = this.deps.config();
    const q = this.queueConfig(e.queue);
    const now = this.now();
    const present = this.skilled(q).filter((a) => this.deps.agents.present(a));
    const rounds = q.ring_rounds ?? 1;
    const allTried = present.length > 0 && present.every((a) => (e.tried.get(a.extension) ?? 0) >= rounds);
    if (e.req.kind === 'callback') {
      // A callback waits for as long as it takes; it just starts another round.
      if (allTried) e.tried.clear();
      return;
    }
    if (q.hours && !isOpenSafe(cfg, q.hours, cfg.timezone, new Date(now), { alarm: (a) => this.deps.emit('alarm', a), log: this.deps.log }, `queues[${cfg.queues?.indexOf(q) ?? 0}].hours`)) return this.overflowOrExit(e, 'closed');
    if (present.length === 0) {
      if (q.overflow && q.overflow.when_no_agents !== false) return this.overflowOrExit(e, 'empty');
      return this.exit(e, 'empty');
    }
    if (allTried) return this.overflowOrExit(e, 'no-answer');
    if (q.overflow && now - e.queuedAt >= durationOr(q.overflow.after, '90s')) return this.overflowOrExit(e, 'timeout');
    if (now - e.queuedAt >= durationOr(q.max_wait, '5m')) return this.exit(e, 'timeout');
  }

  // ---- matching ----------------------------------------------------------------------------------

  dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        for (const e of this.sorted()) if (!e.ringing && !e.done) this.offer(e);
      } while (this.again);
    } finally {
      this.dispatching = false;
    }
  }

  private offer(e: Entry): void {
    const q = this.queueConfig(e.queue);
    const skills = this.skillsOf(q);
    const now = this.now();
    let cands = this.skilled(q).filter((a) => this.deps.agents.eligible(a));
    if (e.sticky) {
      const s = this.deps.agents.get(e.sticky.extension);
      // Waiting for the agent who knows the caller makes sense only while they are at work.
      if (!s || !this.deps.agents.present(s) || now >= e.sticky.until || (e.tried.get(s.extension) ?? 0) > 0) e.sticky = undefined;
      else cands = cands.filter((a) => a.extension === s.extension);
    }
    const rounds = e.req.kind === 'callback' ? Infinity : (q.ring_rounds ?? 1);
    cands = cands.filter((a) => (e.tried.get(a.extension) ?? 0) < rounds);
    if (cands.length === 0) return;
    // Spread the rings: those rung least often for this caller first.
    const least = Math.min(...cands.map((a) => e.tried.get(a.extension) ?? 0));
    cands = cands.filter((a) => (e.tried.get(a.extension) ?? 0) === least);
    const view: Candidate[] = cands.map((a) => ({ extension: a.extension, order: a.order, idleSince: a.idleSince, callsTaken: a.callsTaken, talkMs: a.talkMs, level: this.levelIn(a, skills) }));
    const memory = this.memory.get(q.id) ?? {};
    this.memory.set(q.id, memory);
    const picked = pickAgents(q.strategy ?? 'longest-idle', view, memory, this.deps.random);
    if (picked.length === 0) return;
    const last = picked[picked.length - 1]!;
    memory.lastRung = { extension: last.extension, order: last.order };
    void this.ring(e, picked.map((c) => this.deps.agents.get(c.extension)!), q);
  }

  private async ring(e: Entry, agents: AgentInfo[], q: QueueConfig): Promise<void> {
    e.ringing = true;
    const ringMs = durationOr(q.ring_timeout ?? this.deps.config().bot.handoff?.ring_timeout, '20s');
    const started = this.now();
    for (const a of agents) {
      e.tried.set(a.extension, (e.tried.get(a.extension) ?? 0) + 1);
      this.deps.agents.startRing(a.extension);
      e.req.onRing?.(a.extension);
    }
    const stop = new AbortController();
    const onGone = (): void => stop.abort();
    e.req.signal?.addEventListener('abort', onGone, { once: true });
    let winner: string | undefined;
    const claim = (ext: string): boolean => {
      if (winner || stop.signal.aborted) return false;
      winner = ext;
      stop.abort();
      return true;
    };
    const results = await Promise.all(agents.map((a) => this.ringOne(e, a, ringMs, stop.signal, claim)));
    e.req.signal?.removeEventListener('abort', onGone);
    // Settle the entry BEFORE telling the registry: each registry change re-runs dispatch, which must
    // not offer this caller again while we are still booking the outcome.
    const answered = results.find((r) => r.result === 'answered' && r.leg);
    let won: { extension: string; leg: Leg } | undefined;
    let waitMs = 0;
    if (answered && !e.done) {
      won = { extension: answered.extension, leg: answered.leg! };
      waitMs = this.now() - e.firstAt;
      this.remove(e);
    }
    for (const r of results) {
      if (r.result === 'answered' && r.leg && won?.extension !== r.extension) {
        // The caller hung up just as the agent answered.
        void r.leg.hangup('cancelled');
        r.result = 'cancelled';
      }
      this.deps.agents.endRing(r.extension, r.result);
      if (r.result === 'no-answer' || r.result === 'busy' || r.result === 'failed') {
        this.deps.emit('agent.ring-no-answer', { callId: e.req.callId, queue: e.queue, extension: r.extension, ringMs: this.now() - started, result: r.result, ...(r.detail ? { detail: r.detail } : {}) });
        e.req.onRingResult?.(r.extension, r.result, r.detail);
      }
    }
    e.ringing = false;
    if (won) {
      this.deps.emit('queue.connect', { callId: e.req.callId, queue: e.queue, extension: won.extension, waitMs, ringMs: this.now() - started });
      this.estimator.answered(e.queue, waitMs, e.positionAtEntry);
      e.resolve({ kind: 'agent', extension: won.extension, leg: won.leg, waitMs, queue: e.queue });
    } else {
      this.check(e);
    }
    this.dispatch();
  }

  private async ringOne(e: Entry, agent: AgentInfo, ringMs: number, stop: AbortSignal, claim: (ext: string) => boolean): Promise<{ extension: string; result: RingResult; leg?: Leg; detail?: string }> {
    const extension = agent.extension;
    let leg: Leg;
    try {
      leg = await this.deps.dialAgent(agent, { ...e.req.briefing, timeoutMs: ringMs });
    } catch (err) {
      this.deps.log.warn({ err, extension }, 'could not ring the agent');
      return { extension, result: stop.aborted ? 'cancelled' : 'failed', detail: (err as Error).message };
    }
    // The protocol's reason when the phone refused or failed (e.g. "407 Proxy Authentication Required").
    let detail: string | undefined;
    const result = await new Promise<RingResult>((resolve) => {
      const timer = setTimeout(() => finish('no-answer'), ringMs);
      const onStop = (): void => finish('cancelled');
      const finish = (r: RingResult): void => {
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
        resolve(r);
      };
      // Stop listening before claiming: the claim aborts `stop` for the others, not for the winner.
      const answered = (): void => {
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
        resolve(claim(extension) ? 'answered' : 'cancelled');
      };
      if (leg.state === 'answered') return answered();
      if (leg.state === 'ended') return finish('failed');
      if (stop.aborted) return finish('cancelled');
      leg.once('answered', answered);
      leg.once('ended', (end) => {
        detail = end.detail;
        finish(end.cause === 'busy' ? 'busy' : end.cause === 'no-answer' ? 'no-answer' : end.cause === 'cancelled' ? 'cancelled' : 'failed');
      });
      stop.addEventListener('abort', onStop, { once: true });
    });
    if (result === 'answered') return { extension, result, leg };
    await leg.hangup(result === 'cancelled' ? 'cancelled' : 'no-answer').catch(() => undefined);
    return { extension, result, ...(detail ? { detail } : {}) };
  }
}
