import type { Envelope } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Db } from '../store/db.js';
import type { Logger } from '../log.js';
import type { Session } from './auth.js';
import type { LiveCall, LiveState } from './live-state.js';
import { callerHistory } from './records.js';
import { queueKpis, startOfDay, type QueueKpis } from '../telemetry/kpi.js';

/** One open event stream (a page). `ext`: a workbench; otherwise the wallboard (supervisors). */
export interface StreamClient {
  session: Session;
  ext?: string;
  send(event: string, data: unknown): void;
  close(): void;
}

/** Call events that change a queue's counts today. */
const STATS_EVENTS = new Set(['queue.connect', 'queue.abandon', 'queue.exit', 'call.ended']);

/**
 * Fans bus events out to the open pages: every event and a fresh wallboard to supervisors, the
 * agent's own state and call to each workbench, and a screen-pop when an agent's phone rings.
 */
export class LiveHub {
  private readonly clients = new Set<StreamClient>();
  private today: QueueKpis[] = [];
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: LiveState,
    private readonly deps: { db: Db; config: () => Config; log: Logger },
  ) {}

  async start(): Promise<void> {
    await this.refreshStats();
  }

  add(c: StreamClient): void {
    this.clients.add(c);
    if (c.ext) {
      c.send('me', this.me(c.ext));
      const call = this.state.callOf(c.ext);
      if (call) void this.pop(call, [c]); // pop catches a failed history read
    } else c.send('wall', this.wall());
  }

  remove(c: StreamClient): void {
    this.clients.delete(c);
  }

  /** Close the streams of a session that ended (logout, expiry, user removed). */
  closeSession(id: string): void {
    for (const c of [...this.clients]) {
      if (c.session.id !== id) continue;
      this.clients.delete(c);
      c.close();
    }
  }

  get size(): number {
    return this.clients.size;
  }

  onEvent(ev: Envelope): void {
    const before = this.callId(ev) ? this.state.calls.get(this.callId(ev)!) : undefined;
    const agentsBefore = before ? new Set([...before.ringing, ...(before.agent ? [before.agent] : [])]) : new Set<string>();
    const call = this.state.apply(ev);
    let wall: unknown;
    for (const c of this.clients) {
      if (!c.ext) {
        c.send('ev', ev);
        c.send('wall', (wall ??= this.wall()));
      } else if (this.concerns(ev, c.ext, call, agentsBefore)) {
        c.send('ev', ev);
        c.send('me', this.me(c.ext));
      }
    }
    if (ev.type === 'call.agent' && call) {
      const d = ev.data as Envelope<'call.agent'>['data'];
      if (d.result === 'ringing') void this.pop(call, [...this.clients].filter((c) => c.ext === d.extension)); // pop catches a failed history read
    }
    if (STATS_EVENTS.has(ev.type)) this.scheduleStats();
  }

  close(): void {
    clearTimeout(this.statsTimer);
    for (const c of this.clients) c.close();
    this.clients.clear();
  }

  private callId(ev: Envelope): string | undefined {
    const id = (ev.data as { callId?: unknown }).callId;
    return typeof id === 'string' ? id : undefined;
  }

  private concerns(ev: Envelope, ext: string, call: LiveCall | undefined, agentsBefore: Set<string>): boolean {
    if (ev.type === 'agent.state') return (ev.data as { extension: string }).extension === ext;
    if (!call) return false;
    return call.agent === ext || call.ringing.includes(ext) || agentsBefore.has(ext);
  }

  /** The screen-pop: the live call at once, then with what the store knows of the caller. */
  private async pop(call: LiveCall, to: StreamClient[]): Promise<void> {
    if (!to.length) return;
    let history: Awaited<ReturnType<typeof callerHistory>> | undefined;
    if (call.caller) {
      try {
        history = await callerHistory(this.deps.db, call.caller, call.callId);
      } catch (err) {
        this.deps.log.warn({ err, callId: call.callId }, 'console: caller history unavailable');
      }
    }
    const vip = call.vip || Boolean(history?.customer?.vip);
    const name = call.callerName ?? history?.customer?.name ?? undefined;
    for (const c of to) c.send('pop', { call: { ...call, vip, ...(name ? { callerName: name } : {}) }, history: history ?? { calls: [], notes: [] } });
  }

  me(ext: string): unknown {
    const agent = this.state.agents().find((a) => a.extension === ext);
    return { agent: agent ?? null, call: this.state.callOf(ext) ?? null };
  }

  wall(): unknown {
    const cfg = this.deps.config();
    const calls = [...this.state.calls.values()];
    const queues = (cfg.queues ?? []).map((q) => ({
      id: q.id,
      waiting: calls.filter((c) => c.waitingSince && c.queue === q.id).map((c) => ({ callId: c.callId, caller: c.caller ?? null, since: c.waitingSince, vip: c.vip })),
      today: this.today.find((t) => t.queue === q.id) ?? { queue: q.id, offered: 0, answered: 0, abandoned: 0, serviceLevel: null },
    }));
    return { lines: this.state.lines(), agents: this.state.agents(), queues, alarms: [...this.state.alarms.values()], calls: calls.length, at: new Date().toISOString() };
  }

  /** Queue counts today come from the store (CDR), re-read shortly after calls change them. */
  private scheduleStats(): void {
    if (this.statsTimer) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = undefined;
      void this.refreshStats().then(() => { // refreshStats catches and keeps the last figures
        let wall: unknown;
        for (const c of this.clients) if (!c.ext) c.send('wall', (wall ??= this.wall()));
      });
    }, 300);
  }

  private async refreshStats(): Promise<void> {
    const cfg = this.deps.config();
    try {
      this.today = await queueKpis(this.deps.db, startOfDay(new Date(), cfg.timezone), durationOr(cfg.mqtt?.service_level, '20s'));
    } catch (err) {
      this.deps.log.warn({ err }, 'console: queue statistics unavailable');
    }
  }
}
