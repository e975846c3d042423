import type { Leg, Line } from '../../drivers/line.js';
import type { Config } from '../config/schema.js';
import { durationMs, durationOr } from '../config/duration.js';
import type { DomainEvents } from '../bus/events.js';
import type { Context, Extension, Prepared } from '../extension.js';
import { featureAlarm } from '../bus/alarm.js';
import { AgentPool } from '../routing/agents.js';
import { PhoneCheck } from '../routing/phone-check.js';
import { Router } from '../routing/router.js';
import { Callbacks } from './callbacks.js';
import { DialGate } from '../routing/dial-policy.js';
import { customerLookup } from '../routing/customers.js';
import { CrmLookup } from '../customers/lookup.js';
import { menuHistory } from '../customers/history.js';
import { applyAgentAction, featureCodes, matchFeatureCode, type AgentAction } from '../routing/feature-codes.js';
import { runFeatureCode } from './feature-code-call.js';
import { CommandError } from '../telemetry/commands.js';
import { PromptResolver } from '../speech/prompts.js';
import { TtsEngine } from '../speech/tts.js';
import { ttsCacheDir } from '../config/paths.js';
import { registerCallWriters } from './cdr.js';
import { LowScoreFollowUp } from './low-score.js';
import { runInboundCall } from './runner.js';
import { listenIn, type MonitorMode } from './listen.js';
import { AgentReach } from './agent-reach.js';
import type { Call } from './call.js';
import { Turns } from './turns.js';

/** What the call core offers other features (the services' `calls` port): the console, originate, campaigns. */
export interface CallControl {
  /** Log in/out, pause/unpause an agent by extension (MQTT, console). */
  agentAction(extension: string, action: AgentAction, reason?: string): { extension: string; state: string; reason?: string };
  /** Move a connected caller to another queue or agent. */
  transfer(callId: string, to: { queue?: string; extension?: string }): { queue: string; extension?: string };
  /** The callback policy: ring an agent, then dial the caller. */
  callBack(callId: string): Promise<string>;
  /** A supervisor's leg joins a connected call: listen, whisper (to the agent) or barge. */
  listen(callId: string, ear: Leg, mode?: MonitorMode): void;
  /** Run the bot flow on an answered outbound leg (originate, campaigns). */
  runBot(leg: Leg): void;
  /** The dialing policy every customer dial goes through. */
  readonly dialGate: DialGate;
}

/**
 * The call core as a daemon feature: takes every incoming leg from the line registry, runs it
 * through the bot and the contact-centre router, and keeps count of calls in progress (for draining
 * and the watchdog). Desk phones dialling a feature code (*51...) reach the agent controls instead
 * of the bot. It owns the agent pool: agent state is written here and nowhere else.
 */
export class CallsExtension implements Extension, CallControl {
  readonly name = 'calls';
  readonly writers = registerCallWriters;
  private readonly active = new Set<Promise<unknown>>();
  private ctx!: Context;
  private agents!: AgentPool;
  private router!: Router;
  private callbacks!: Callbacks;
  /** The dialing policy: every customer dial (callbacks, originate, campaigns) goes through dialCustomer(this.dialGate, ...). */
  dialGate!: DialGate;
  private prompts!: PromptResolver;
  private readonly offs: (() => void)[] = [];
  private phoneCheck: PhoneCheck | undefined;
  /** Calls in progress by id (transfers from the console). */
  private readonly calls = new Map<string, Call>();
  private reach!: AgentReach;
  private lowScore: LowScoreFollowUp | undefined;
  /** The one lane for call set-ups (bursts of them take turns with the audio timers). */
  private readonly setupTurns = new Turns();
  /** crm_lookup, with one cache for every call (before answering and at handoff). */
  private crm!: CrmLookup;

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    const { lines, calls, callRecords } = ctx.services;
    const cfg = ctx.config();
    this.agents = new AgentPool(cfg.agents ?? [], (a) => {
      const data = { extension: a.extension, state: a.state, ...(a.pauseReason ? { reason: a.pauseReason } : {}) };
      ctx.log.info({ event: 'agent.state', ...data }, 'agent.state');
      ctx.bus.emit('agent.state', data);
    }, {
      autoPauseAfter: () => ctx.config().routing?.auto_pause_after ?? 3,
      busyBackoffMs: () => durationOr(ctx.config().routing?.busy_backoff, '30s'),
    });
    // The pool announces every agent's state (it is their one writer); agents a crashed run left in a call are freed by it.
    const freed = new Set(await callRecords.agentsLeftInCall(ctx.daemon?.startedAt ?? Date.now()).catch(() => []));
    for (const a of this.agents.all()) ctx.bus.emit('agent.state', { extension: a.extension, state: a.state, ...(freed.has(a.extension) ? { reason: 'recovered after restart' } : {}) });
    this.prompts = makePrompts(cfg, ctx);
    this.reach = new AgentReach(ctx.bus, ctx.log.child({ component: 'agent-reach' }));
    this.crm = new CrmLookup({
      db: ctx.db,
      log: ctx.log.child({ component: 'crm-lookup' }),
      config: () => ctx.config(),
      alarm: featureAlarm(ctx, 'crm-lookup-failing', 'crm_lookup'),
    });
    const emit = <K extends keyof DomainEvents>(type: K, data: DomainEvents[K]): void => {
      ctx.log.info({ event: type, ...(data as object) }, type);
      ctx.bus.emit(type, data);
    };
    this.router = new Router({ config: () => ctx.config(), agents: this.agents, emit, log: ctx.log.child({ component: 'router' }) });
    this.dialGate = new DialGate({ bus: ctx.bus, log: ctx.log.child({ component: 'dialing' }), config: () => ctx.config() });
    this.callbacks = new Callbacks({ db: ctx.db, bus: ctx.bus, log: ctx.log.child({ component: 'callbacks' }), config: () => ctx.config(), router: this.router, agents: this.agents, dialAgent: (agent, opts) => this.dialAgent(agent, opts), lines, prompts: () => this.prompts, dialGate: this.dialGate });
    const stale = await callRecords.activeAlarmSources('agent-unreachable').catch(() => []);
    this.reach.seed(stale.filter((s) => s.startsWith('agent:')).map((s) => s.slice(6)));
    this.lowScore = new LowScoreFollowUp({ records: callRecords, commands: ctx.services.commands, bus: ctx.bus, log: ctx.log.child({ component: 'survey' }), config: () => ctx.config(), callbacks: this.callbacks, live: (id) => { const c = this.calls.get(id); return c ? { lineId: c.customer.lineId, ...(c.caller ? { caller: c.caller } : {}) } : undefined; } });
    await this.lowScore.start();
    const restored = await this.callbacks.restore().catch((err) => (ctx.log.error({ err }, 'could not read pending callbacks'), 0));
    if (restored) ctx.log.info({ restored }, 'pending callbacks queued again');
    this.registerCommand();
    this.checkPhones(cfg);
    this.offs.push(lines.onIncoming((leg, line) => this.onIncoming(leg, line)), calls.provide(this));
  }

  /** routing.check_phones: OPTIONS pings to desk phones; a silent phone's agent is skipped. */
  private checkPhones(cfg: Config): void {
    this.phoneCheck?.stop();
    this.phoneCheck = undefined;
    const sip = this.ctx.services.lines.sipEndpoint();
    if (!cfg.routing?.check_phones || !sip) return;
    this.phoneCheck = new PhoneCheck(this.agents, sip, durationMs(cfg.routing.check_phones), this.ctx.log.child({ component: 'phone-check' }));
    this.phoneCheck.start();
  }

  /** Agent controls for central IT (cmd/agent-state): served here, by the owner of agent state. */
  private registerCommand(): void {
    try {
      this.offs.push(this.ctx.services.commands.register('agent-state', {
        summary: 'log an agent in or out, pause or unpause',
        schema: (Type) => Type.Object({ extension: Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$' }), action: Type.Union([Type.Literal('login'), Type.Literal('logout'), Type.Literal('pause'), Type.Literal('unpause')]), reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        handler: (p: { extension: string; action: AgentAction; reason?: string }) => this.agentAction(p.extension, p.action, p.reason ? `mqtt: ${p.reason}` : 'mqtt'),
      }));
    } catch (err) {
      this.ctx.log.warn({ err }, 'agent-state command not registered');
    }
  }

  /** Log in/out, pause/unpause an agent by extension (MQTT, console). */
  agentAction(extension: string, action: AgentAction, reason?: string): { extension: string; state: string; reason?: string } {
    if (!this.agents.get(extension)) throw new CommandError(`no agent with extension "${extension}" on this box`);
    return applyAgentAction(this.agents, extension, action, reason);
  }

  /**
   * Move a caller who is talking to an agent to another queue, or to another agent (rung first, in
   * a queue that agent serves). The agent's leg ends; the caller hears the queue again.
   */
  transfer(callId: string, to: { queue?: string; extension?: string }): { queue: string; extension?: string } {
    const call = this.calls.get(callId);
    if (!call) throw new CommandError(`no call "${callId}" in progress`);
    let target: { queue: string; extension?: string };
    try {
      target = this.router.transferTarget(to);
    } catch (err) {
      throw new CommandError((err as Error).message);
    }
    if (!call.requestTransfer(target)) throw new CommandError('the call is not connected to an agent');
    return target;
  }

  /**
   * Call a caller back (the console's voicemail inbox) through the callback policy: queued in the
   * queue they reached (else the default), an agent rung first, then the customer dialled on the
   * line they called (routing.callback). Resolves with the callback id once it is stored.
   */
  async callBack(callId: string): Promise<string> {
    const row = await this.ctx.services.callRecords.call(callId);
    if (!row) throw new CommandError(`no call "${callId}"`);
    if (!row.caller) throw new CommandError('the caller withheld their number');
    const cfg = this.ctx.config();
    const queue = row.queueId ?? cfg.bot.handoff?.default_queue ?? cfg.queues?.[0]?.id;
    if (!queue) throw new CommandError('no queue to call back from');
    return this.callbacks.request({ callId, number: row.caller, queue, lineId: row.lineId, since: Date.now() });
  }

  /** A supervisor's leg joins a connected call (console): listen, whisper to the agent, or barge in. */
  listen(callId: string, ear: Leg, mode: MonitorMode = 'listen'): void {
    const call = this.calls.get(callId);
    if (!call?.bridge) throw new CommandError('the call is not connected to an agent');
    listenIn(call, ear, mode);
  }

  agentPool(): AgentPool {
    return this.agents;
  }

  /** Ring a desk phone; failures that are not the agent's choice raise agent-unreachable. */
  private async dialAgent(agent: { extension: string; contact?: string }, opts: Parameters<Line['dial']>[1]): Promise<Leg> {
    if (agent.contact === 'webrtc') return this.ctx.services.phones.dial(agent.extension, opts);
    const sip = this.ctx.services.lines.sipEndpoint();
    try {
      if (!sip) throw new Error('no SIP endpoint to reach desk phones');
      const leg = await sip.dial(agent.contact ?? agent.extension, opts);
      this.reach.watch(agent.extension, leg);
      return leg;
    } catch (err) {
      this.reach.failed(agent.extension, (err as Error).message);
      throw err;
    }
  }

  /** Which agent a leg comes from: the authenticated SIP user, else the caller number, if it is an agent's. */
  private agentOf(leg: Leg, line: Line): string | undefined {
    if (line.kind !== 'sip') return undefined;
    const user = leg.authenticatedUser ?? leg.remote.number;
    return user && this.agents.get(user) ? user : undefined;
  }

  private onIncoming(leg: Leg, line: Line): void {
    // A burst of calls is set up one per event-loop turn, so call audio is paced in between.
    const p = this.setupTurns.take().then(() => this.setUp(leg, line));
    this.track(p);
  }

  private setUp(leg: Leg, line: Line): void {
    if (!this.ctx || !this.ctx.accepting()) {
      this.ctx?.log.warn({ lineId: line.id }, 'not accepting calls (stopping); rejecting');
      void leg.hangup('draining'); // refused: the leg reports its own end
      return;
    }
    const cfg = this.ctx.config();
    const agentExt = this.agentOf(leg, line);
    // A call from a desk phone makes that agent busy for its length (the box's own calls).
    if (agentExt) {
      this.agents.ownCallStarted(agentExt);
      leg.once('ended', () => this.agents.ownCallEnded(agentExt));
    }
    const dialled = line.kind === 'sip' ? leg.dialled : undefined;
    const code = matchFeatureCode(dialled, featureCodes(cfg));
    if (code) {
      const sender = agentExt ?? leg.authenticatedUser ?? leg.remote.number;
      const p = runFeatureCode(leg, agentExt, code, { agents: this.agents, config: cfg, prompts: this.prompts, log: this.ctx.log.child({ component: 'feature-code', from: sender }) });
      this.track(p);
      return;
    }
    this.runBot(leg);
  }

  /** Run the bot flow on a leg: an incoming call, or an answered outbound one (originate). */
  runBot(leg: Leg): void {
    const { services } = this.ctx;
    const p = runInboundCall(leg, {
      bus: this.ctx.bus,
      log: this.ctx.log,
      config: () => this.ctx.config(),
      prompts: this.prompts,
      agents: this.agents,
      router: this.router,
      recentQueue: (caller, callId, withinMs) => services.callRecords.recentQueue(caller, callId, withinMs),
      customers: this.crm.around(customerLookup(this.ctx.db, () => this.ctx.config())),
      callerProfile: this.crm.beforeAnswer(customerLookup(this.ctx.db, () => this.ctx.config())),
      menuHistory: menuHistory(this.ctx.db, () => this.ctx.config()),
      callbacks: this.callbacks,
      voicemailDir: services.paths.voicemail(),
      dialAgent: (agent, opts) => this.dialAgent(agent, opts),
      speech: services.speech,
      knowledge: () => services.knowledge.get()?.current(),
      captures: services.captures,
      onCall: (c) => this.calls.set(c.id, c),
    });
    this.track(p);
    void p.then((c) => this.calls.delete(c.id), () => undefined); // a failed call is reported by its runner; here it is only forgotten
  }

  private track(p: Promise<Call | void>): void {
    this.active.add(p);
    void p.finally(() => this.active.delete(p)); // stop() awaits `active`; the runner reports failures
  }

  activeCalls(): number {
    return this.active.size;
  }

  async prepare(next: Config): Promise<Prepared> {
    const prompts = makePrompts(next, this.ctx);
    return {
      commit: async () => {
        this.prompts = prompts;
        this.agents.reconcile(next.agents ?? []);
        this.checkPhones(next);
      },
    };
  }

  async stop(): Promise<void> {
    this.phoneCheck?.stop();
    for (const off of this.offs.splice(0)) off();
    this.lowScore?.stop();
    this.callbacks?.close();
    this.router?.close();
    this.agents?.close();
  }
}

function makePrompts(cfg: Config, ctx: Context): PromptResolver {
  const tts = new TtsEngine({ cacheDir: ttsCacheDir(cfg) });
  return new PromptResolver({ ...(cfg.speech?.prompts_dir ? { promptsDir: cfg.speech.prompts_dir } : {}), tts, log: ctx.log });
}
