import type { DomainEvents, QueueExitReason } from '../bus/events.js';
import type { Config, QueueConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { isOpenSafe } from '../bot/hours.js';
import type { Logger } from '../log.js';
import type { AgentInfo, AgentPool, RingResult } from './agents.js';
import { WaitEstimator } from './estimator.js';
import { checkNumber, dialRules } from './dial-policy.js';
import { AbandonedPlaces, compareWaiting, type Waiting } from './priority.js';
import { pickAgents, type Candidate, type QueueMemory } from './strategies.js';

export type Emit = <K extends keyof DomainEvents>(type: K, data: DomainEvents[K]) => void;

export interface RouterDeps {
  config: () => Config;
  agents: AgentPool;
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
  /** Aborts when the caller hangs up (calls only). */
  signal?: AbortSignal;
}

/** An agent's phone as the call core dials it. */
export interface AgentTarget {
  extension: string;
  contact?: string;
}

/** How a ring ended other than answered: told to the router by whoever rang. */
export type RingEnd = Exclude<RingResult, 'answered'>;

/** What to tell a waiting caller now (queue.announce): their place, the expected wait, the callback offer. */
export interface Announcement {
  /** Reported back on the ticket once said (or dropped): the next one is due announce.every after. */
  id: number;
  queue: string;
  /** The caller's place (always reported; said when `sayPosition`). */
  position: number;
  sayPosition: boolean;
  /** The expected wait, said when present. */
  estimateMs?: number;
  /** "Press 1 to be called back": the queue offers callbacks and the caller's number may be dialled. */
  callbackOffer: boolean;
}

/** Why a caller moved on to the overflow queue. */
export type OverflowReason = Extract<QueueExitReason, 'timeout' | 'empty' | 'closed' | 'no-answer'>;

/**
 * What the router decided for one waiting caller. The holder of the ticket acts on it: `ring` the
 * agents (the call core dials them and reports each phone's result back on the ticket), `announce`
 * (say it, then report it said), `overflow` (the caller now waits in another queue); then one final
 * decision — put the caller through to the agent who answered, leave the queue (and what comes
 * next: a callback, or voicemail when the queue does not call back or the caller cannot be called
 * back), or nothing: the caller is gone.
 */
export type RouterDecision =
  | { kind: 'ring'; ring: number; agents: AgentTarget[]; timeoutMs: number }
  | ({ kind: 'announce' } & Announcement)
  | { kind: 'overflow'; from: string; to: string; reason: OverflowReason; waitMs: number }
  | { kind: 'connect'; extension: string; waitMs: number; queue: string }
  | { kind: 'exit'; reason: QueueExitReason; queue: string; then: 'callback' | 'voicemail' }
  | { kind: 'gone' };

export type FinalDecision = Exclude<RouterDecision, { kind: 'ring' | 'announce' | 'overflow' }>;

interface Ring {
  id: number;
  started: number;
  timeoutMs: number;
  /** Phones rung and not yet reported back. */
  pending: Set<string>;
}

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
  ring: Ring | undefined;
  /** The caller's number is known and the dialing policy would let us call it back. */
  mayCallBack: boolean;
  /** When the next announcement is due, and the one decided but not yet reported said. */
  announce: { due: number; out: number | undefined };
  done: boolean;
  decide: (d: RouterDecision) => void;
  resolve: (r: FinalDecision) => void;
}

/**
 * A caller's place in the router: position, estimate, the decisions to act on, and where to report
 * what the agents' phones did.
 */
export class Ticket {
  /** The final decision (connect, exit, gone). */
  readonly result: Promise<FinalDecision>;
  private readonly queued: RouterDecision[] = [];
  private waiter: ((d: RouterDecision) => void) | undefined;

  constructor(
    private readonly router: Router,
    private readonly entry: Entry,
    result: Promise<FinalDecision>,
  ) {
    this.result = result;
  }

  /** Called by the router only. */
  push(d: RouterDecision): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w(d);
    else this.queued.push(d);
  }

  /** The next decision to act on (after a final one, none follow). */
  next(): Promise<RouterDecision> {
    const d = this.queued.shift();
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  get queue(): string {
    return this.entry.queue;
  }
  /** An agent's phone is ringing for this caller now. */
  get ringing(): boolean {
    return this.entry.ring !== undefined;
  }
  get done(): boolean {
    return this.entry.done;
  }
  position(): number {
    return this.router.positionOf(this.entry);
  }
  /**
   * The caller asked to be called back (pressed 1): if the router offers them one, they leave the
   * queue (the callback enters it anew) and true; false otherwise (they keep waiting).
   */
  leaveForCallback(): boolean {
    return this.router.leaveForCallback(this.entry);
  }
  /** Announcement `id` was said to the caller (or dropped because a phone rang first). */
  announced(id: number): void {
    this.router.announced(this.entry, id);
  }
  get since(): number {
    return this.entry.since;
  }
  /**
   * The phone of `extension` rung by decision `ring` answered. True: this agent gets the caller (the
   * final `connect` follows). False: the caller is gone or another phone was first; hang it up.
   */
  answered(ring: number, extension: string): boolean {
    return this.router.answered(this.entry, ring, extension);
  }
  /** The phone of `extension` rung by decision `ring` stopped ringing without being answered. */
  ringEnded(ring: number, extension: string, result: RingEnd, detail?: string): void {
    this.router.ringEnded(this.entry, ring, extension, result, detail);
  }
}

/**
 * The contact-centre router, a queue engine: waiting callers (and callbacks) in priority order on one
 * side, agents on the other. Whenever something changes — a caller joins or leaves, an agent frees
 * up, logs in or unpauses — it decides to ring the agent(s) the queue's strategy picks for the first
 * waiting caller an agent is free for; the call core dials them and reports back (first to answer
 * wins). A periodic check moves callers on: overflow after a time or when no agent is logged in, a
 * closed queue, max wait, everybody rung without answer. The router never touches a phone.
 */
export class Router {
  readonly estimator = new WaitEstimator();
  private readonly entries = new Set<Entry>();
  private readonly memory = new Map<string, QueueMemory>();
  private readonly abandoned = new AbandonedPlaces();
  private readonly now: () => number;
  private seq = 0;
  private rings = 0;
  private announcements = 0;
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
      .map((e) => ({ callId: e.req.callId, kind: e.req.kind, queue: e.queue, position: this.positionOf(e), waitMs: now - e.firstAt, ringing: e.ring !== undefined }));
  }

  enter(req: EnterRequest): Ticket {
    const now = this.now();
    const cfg = this.deps.config();
    let resolve!: (r: FinalDecision) => void;
    const result = new Promise<FinalDecision>((r) => (resolve = r));
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
      ring: undefined,
      mayCallBack: req.kind === 'call' && this.mayCallBack(req),
      announce: { due: now, out: undefined },
      done: false,
      decide: () => {},
      resolve: () => {},
    };
    const ticket = new Ticket(this, e, result);
    e.decide = (d) => ticket.push(d);
    e.resolve = (d) => {
      resolve(d);
      ticket.push(d);
    };
    if (req.sticky) {
      e.sticky = { extension: req.sticky.extension, until: now + req.sticky.waitMs };
      tags.push('sticky');
    }
    const q = this.queueConfig(req.queue);
    const length = [...this.entries].filter((x) => x.queue === req.queue).length;
    if (req.kind === 'call' && q.max_length !== undefined && length >= q.max_length) {
      e.done = true;
      this.deps.emit('queue.exit', { callId: req.callId, queue: req.queue, reason: 'full', position: length + 1, waitMs: 0 });
      e.resolve(this.exitDecision(e, 'full'));
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
    // The first announcement right away, unless a phone already rings for the caller.
    this.announceIfDue(e);
    return ticket;
  }

  /** The caller's number is known and passes the dialing policy's number rules (logged when it does not). */
  private mayCallBack(req: EnterRequest): boolean {
    if (!req.caller) return false;
    const d = checkNumber(req.caller, dialRules(this.deps.config()));
    if (!d.ok && this.offersCallback(req.queue)) this.deps.log.info({ callId: req.callId, caller: req.caller, reason: d.reason }, 'no callback offered: the dialing policy refuses the number');
    return d.ok;
  }

  /** This caller may trade their wait for a callback now. */
  private callbackFor(e: Entry): boolean {
    return e.req.kind === 'call' && e.mayCallBack && this.offersCallback(e.queue);
  }

  leaveForCallback(e: Entry): boolean {
    if (e.done || !this.callbackFor(e)) return false;
    this.exit(e, 'callback');
    return true;
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

  /** Whether callers of this queue may trade their wait for a callback (its on_max_wait is a callback). */
  offersCallback(queue: string): boolean {
    return this.queueConfig(queue).on_max_wait === 'callback';
  }

  /**
   * Whom to wait for first: the agent a transfer names (for one ring_timeout), else the agent who
   * served this caller last, if the queue keeps callers with their agent (sticky_agent).
   */
  stickyFor(queue: string, o: { preferAgent?: string; lastAgent?: { extension: string; at: number } }, now = this.now()): { extension: string; waitMs: number } | undefined {
    const q = this.queueConfig(queue);
    if (o.preferAgent) return { extension: o.preferAgent, waitMs: durationOr(q.ring_timeout, '20s') };
    if (q.sticky_agent && o.lastAgent && now - o.lastAgent.at <= durationOr(q.sticky_agent.within, '0s')) return { extension: o.lastAgent.extension, waitMs: durationOr(q.sticky_agent.wait_for_them, '20s') };
    return undefined;
  }

  /**
   * Where a transfer from the console goes: the named queue, or for an agent the first queue they
   * serve by skill, with that agent rung first. Throws (with the reason) for an unknown target.
   */
  transferTarget(to: { queue?: string; extension?: string }): { queue: string; extension?: string } {
    const cfg = this.deps.config();
    let queue = to.queue;
    if (to.extension) {
      const a = (cfg.agents ?? []).find((x) => x.extension === to.extension);
      if (!a) throw new Error(`no agent with extension "${to.extension}"`);
      const skills = new Set(Object.keys(a.skills ?? {}));
      queue ??= (cfg.queues ?? []).find((q) => [q.skill ?? q.id, ...(q.skills ?? [])].some((k) => skills.has(k)))?.id;
      if (!queue) throw new Error(`agent ${to.extension} serves no queue`);
    }
    if (!queue || !(cfg.queues ?? []).some((q) => q.id === queue)) throw new Error(`no queue "${queue ?? ''}"`);
    return { queue, ...(to.extension ? { extension: to.extension } : {}) };
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

  /**
   * What follows leaving the queue: a callback where the queue calls back (on_max_wait: callback) and
   * the caller can be called back; otherwise voicemail — never a callback promised to a number the
   * dialing policy refuses, or to a withheld one.
   */
  private exitDecision(e: Entry, reason: QueueExitReason): FinalDecision {
    const callback = reason === 'callback' || this.callbackFor(e);
    if (!callback && e.req.kind === 'call' && this.offersCallback(e.queue)) {
      this.deps.log.info({ callId: e.req.callId, queue: e.queue, reason }, e.req.caller ? 'voicemail instead of a callback: the dialing policy refuses the number' : 'voicemail instead of a callback: the number is withheld');
    }
    return { kind: 'exit', reason, queue: e.queue, then: callback ? 'callback' : 'voicemail' };
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
    e.resolve(this.exitDecision(e, reason));
    this.dispatch();
  }

  /** Move to the overflow queue if there is one not yet visited; otherwise leave with `reason`. */
  private overflowOrExit(e: Entry, reason: OverflowReason): void {
    const q = this.queueConfig(e.queue);
    const to = q.overflow?.to;
    if (!to || e.visited.has(to)) return this.exit(e, reason);
    const now = this.now();
    const from = e.queue;
    this.deps.emit('queue.exit', { callId: e.req.callId, queue: from, reason: 'overflow', position: this.positionOf(e), waitMs: now - e.firstAt, to });
    e.decide({ kind: 'overflow', from, to, reason, waitMs: now - e.firstAt });
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
    for (const e of [...this.entries]) {
      this.overdue(e);
      this.check(e);
    }
    this.dispatch();
    for (const e of [...this.entries]) this.announceIfDue(e);
  }

  // ---- announcements -----------------------------------------------------------------------------

  /**
   * Tell a waiting caller where they are, every announce.every from the last announcement said: the
   * position, the expected wait (recent answered calls' wait per place times the position) and the
   * callback offer, as the queue's announce settings say. Not while an agent's phone rings for them
   * (then the next one is due a period later); callbacks have nobody to tell.
   */
  private announceIfDue(e: Entry): void {
    if (e.done || e.req.kind !== 'call' || e.announce.out !== undefined) return;
    const now = this.now();
    if (now < e.announce.due) return;
    const q = this.queueConfig(e.queue);
    e.announce.due = now + durationOr(q.announce?.every, '45s');
    if (e.ring) return;
    const position = this.positionOf(e);
    const sayPosition = q.announce?.position !== false;
    const estimateMs = q.announce?.wait_estimate !== false ? this.estimator.estimateMs(e.queue, position) : undefined;
    const callbackOffer = this.callbackFor(e);
    if (position < 1 || (!sayPosition && estimateMs === undefined && !callbackOffer)) return;
    const id = ++this.announcements;
    e.announce.out = id;
    e.decide({ kind: 'announce', id, queue: e.queue, position, sayPosition, ...(estimateMs !== undefined ? { estimateMs } : {}), callbackOffer });
  }

  /** Told by the ticket: announcement `id` was said (or dropped); the next is due a period from now. */
  announced(e: Entry, id: number): void {
    if (e.announce.out !== id) return;
    e.announce.out = undefined;
    e.announce.due = this.now() + durationOr(this.queueConfig(e.queue).announce?.every, '45s');
  }

  /** Should this caller move on? (Not while an agent's phone rings for them.) */
  private check(e: Entry): void {
    if (e.done || e.ring) return;
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
        for (const e of this.sorted()) if (!e.ring && !e.done) this.offer(e);
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
    const last = picked.at(-1);
    if (!last) return;
    memory.lastRung = { extension: last.extension, order: last.order };
    const agents = picked.map((c) => cands.find((a) => a.extension === c.extension)).filter((a): a is AgentInfo => a !== undefined);
    this.ring(e, agents, q);
  }

  /** Decide to ring `agents` for this caller: booked now, reported back through the ticket. */
  private ring(e: Entry, agents: AgentInfo[], q: QueueConfig): void {
    const timeoutMs = durationOr(q.ring_timeout ?? this.deps.config().bot.handoff?.ring_timeout, '20s');
    const ring: Ring = { id: ++this.rings, started: this.now(), timeoutMs, pending: new Set(agents.map((a) => a.extension)) };
    e.ring = ring;
    for (const a of agents) {
      e.tried.set(a.extension, (e.tried.get(a.extension) ?? 0) + 1);
      this.deps.agents.startRing(a.extension);
    }
    e.decide({ kind: 'ring', ring: ring.id, agents: agents.map((a) => ({ extension: a.extension, ...(a.contact ? { contact: a.contact } : {}) })), timeoutMs });
  }

  /** Told by the ticket: a phone answered. The first answer for a caller still waiting wins. */
  answered(e: Entry, ringId: number, extension: string): boolean {
    const ring = e.ring;
    if (!ring || ring.id !== ringId || !ring.pending.has(extension) || e.done) return false;
    ring.pending.delete(extension);
    const waitMs = this.now() - e.firstAt;
    // Settle the entry BEFORE telling the registry: each registry change re-runs dispatch, which must
    // not offer this caller again.
    this.remove(e);
    if (ring.pending.size === 0) e.ring = undefined;
    this.deps.agents.endRing(extension, 'answered');
    this.deps.emit('queue.connect', { callId: e.req.callId, queue: e.queue, extension, waitMs, ringMs: this.now() - ring.started });
    this.estimator.answered(e.queue, waitMs, e.positionAtEntry);
    e.resolve({ kind: 'connect', extension, waitMs, queue: e.queue });
    return true;
  }

  /** Told by the ticket: a phone stopped ringing unanswered. When the last one has, the caller moves on. */
  ringEnded(e: Entry, ringId: number, extension: string, result: RingEnd, detail?: string): void {
    const ring = e.ring;
    if (!ring || ring.id !== ringId || !ring.pending.delete(extension)) return;
    // The caller stays "ringing" while this is booked, so the registry's dispatch skips them.
    this.deps.agents.endRing(extension, result);
    if (result !== 'cancelled') {
      this.deps.emit('agent.ring-no-answer', { callId: e.req.callId, queue: e.queue, extension, ringMs: this.now() - ring.started, result, ...(detail ? { detail } : {}) });
    }
    if (ring.pending.size > 0) return;
    e.ring = undefined;
    this.check(e);
    this.dispatch();
  }

  /** A ring nobody reported back on long after its timeout (a fault in whoever rang): count it as failed. */
  private overdue(e: Entry): void {
    const ring = e.ring;
    if (!ring || this.now() - ring.started < ring.timeoutMs + 15_000) return;
    this.deps.log.error({ callId: e.req.callId, agents: [...ring.pending] }, 'ring never reported back; counted as failed');
    for (const ext of [...ring.pending]) this.ringEnded(e, ring.id, ext, 'failed', 'not reported');
  }
}
