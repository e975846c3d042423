import type { AgentConfig } from '../config/schema.js';
import type { AgentState } from '../bus/events.js';
import { durationOr } from '../config/duration.js';

/** Whether the agent works at all right now: logged out, logged in and paused, or logged in. */
export type Presence = 'logged-out' | 'paused' | 'in';

export interface AgentInfo {
  extension: string;
  name: string;
  contact?: string;
  skills: Record<string, number>;
  groups: string[];
  /** Position in the config (linear and round-robin order). */
  order: number;
  /** The derived state everyone sees (agent.state events, MQTT agents/<ext>). */
  state: AgentState;
  presence: Presence;
  pauseReason: string | undefined;
  /** When the agent last became free (ms epoch); longest-idle picks the smallest. */
  idleSince: number;
  wrapUpMs: number;
  maxCalls: number;
  /** Phones ringing for this agent now. */
  ringing: number;
  /** Calls in progress: through the queue, callbacks, and the agent's own calls to the box. */
  active: number;
  /** In after-call work until this time (ms epoch); 0 when not. */
  wrapUntil: number;
  /** The phone answered 486 Busy: not rung again before this time (ms epoch). */
  busyUntil: number;
  /** Calls in a row rung without an answer (auto-pause counts these). */
  misses: number;
  /** False while the desk phone does not answer OPTIONS (routing.check_phones). */
  reachable: boolean;
  /** Calls answered since the box started (fewest-calls). */
  callsTaken: number;
  /** Talk time of those calls, ms (least-talk-time). */
  talkMs: number;
}

export type RingResult = 'answered' | 'no-answer' | 'busy' | 'failed' | 'cancelled';

export interface RegistryOptions {
  /** Pause after this many calls in a row rung without answer (0: never). */
  autoPauseAfter?: () => number;
  /** How long a 486 keeps the agent out of rotation. */
  busyBackoffMs?: () => number;
  now?: () => number;
}

/**
 * The agents and their states. The state an agent shows is derived from a few facts kept here —
 * logged in or not, paused (and why), phones ringing, calls in progress, after-call work, a recent
 * 486 — so no code path can leave an agent stuck in a state nobody will clear. Every change of the
 * derived state (or of the pause reason) is reported once through onState.
 */
export class AgentPool {
  private readonly agents = new Map<string, AgentInfo>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(
    configs: readonly AgentConfig[],
    private readonly onState: (a: AgentInfo) => void = () => {},
    private readonly opts: RegistryOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.reconcile(configs);
  }

  /** Apply the agents of a (new) config: add new ones, update settings, drop removed idle ones. */
  reconcile(configs: readonly AgentConfig[]): void {
    const now = this.now();
    const wanted = new Set(configs.map((c) => c.extension));
    configs.forEach((c, i) => {
      const cur = this.agents.get(c.extension);
      const settings = {
        name: c.name,
        ...(c.contact ? { contact: c.contact } : {}),
        skills: c.skills ?? {},
        groups: c.groups ?? [],
        order: i,
        wrapUpMs: durationOr(c.wrap_up, '0s'),
        maxCalls: c.max_calls ?? 1,
      };
      if (cur) {
        if (!c.contact) delete cur.contact;
        Object.assign(cur, settings);
        return;
      }
      const presence: Presence = c.logged_in === false ? 'logged-out' : 'in';
      this.agents.set(c.extension, {
        extension: c.extension,
        ...settings,
        state: presence === 'in' ? 'available' : 'logged-out',
        presence,
        pauseReason: undefined,
        idleSince: now - (configs.length - i), // config order breaks ties
        ringing: 0,
        active: 0,
        wrapUntil: 0,
        busyUntil: 0,
        misses: 0,
        reachable: true,
        callsTaken: 0,
        talkMs: 0,
      });
    });
    for (const [ext, a] of this.agents) if (!wanted.has(ext) && a.active === 0 && a.ringing === 0) this.agents.delete(ext);
    this.changed();
  }

  all(): AgentInfo[] {
    return [...this.agents.values()].sort((a, b) => a.order - b.order);
  }

  get(ext: string): AgentInfo | undefined {
    return this.agents.get(ext);
  }

  /** Called after every change that may let a waiting caller reach an agent. */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Can take a new call now: logged in, not paused, not in wrap-up or busy back-off, a free line. */
  eligible(a: AgentInfo): boolean {
    const now = this.now();
    return a.presence === 'in' && a.reachable && a.wrapUntil <= now && a.busyUntil <= now && a.ringing + a.active < a.maxCalls;
  }

  /** Logged in and not paused (busy or not): someone who will serve the queue sooner or later. */
  present(a: AgentInfo): boolean {
    return a.presence === 'in';
  }

  // ---- agent control (feature codes, MQTT) -------------------------------------------------------

  login(ext: string): AgentInfo {
    return this.setPresence(ext, 'in', undefined);
  }
  logout(ext: string): AgentInfo {
    return this.setPresence(ext, 'logged-out', undefined);
  }
  pause(ext: string, reason = 'paused'): AgentInfo {
    return this.setPresence(ext, 'paused', reason);
  }
  unpause(ext: string): AgentInfo {
    return this.setPresence(ext, 'in', undefined);
  }

  private setPresence(ext: string, presence: Presence, reason: string | undefined): AgentInfo {
    const a = this.agents.get(ext);
    if (!a) throw new Error(`no agent with extension "${ext}"`);
    if (presence === 'in' && a.presence !== 'in') {
      a.misses = 0;
      a.idleSince = this.now();
    }
    a.presence = presence;
    a.pauseReason = presence === 'paused' ? reason : undefined;
    this.changed(ext);
    return a;
  }

  /** The desk phone answers OPTIONS again, or stopped answering: unreachable agents are not rung. */
  setReachable(ext: string, reachable: boolean): void {
    const a = this.agents.get(ext);
    if (!a || a.reachable === reachable) return;
    a.reachable = reachable;
    if (reachable) a.idleSince = this.now();
    this.changed(ext);
  }

  // ---- call life cycle -------------------------------------------------------------------------

  startRing(ext: string): void {
    const a = this.agents.get(ext);
    if (!a) return;
    a.ringing++;
    this.changed(ext);
  }

  /** A ring ended. Misses count toward auto-pause; a 486 or an unreachable phone backs off. */
  endRing(ext: string, result: RingResult): void {
    const a = this.agents.get(ext);
    if (!a) return;
    a.ringing = Math.max(0, a.ringing - 1);
    if (result === 'answered') {
      a.active++;
      a.misses = 0;
    } else if (result === 'no-answer') {
      a.misses++;
      const limit = this.opts.autoPauseAfter?.() ?? 3;
      if (limit > 0 && a.misses >= limit && a.presence === 'in') {
        a.presence = 'paused';
        a.pauseReason = `auto: ${a.misses} calls not answered`;
      }
    } else if (result === 'busy' || result === 'failed') {
      a.busyUntil = this.now() + (this.opts.busyBackoffMs?.() ?? 30_000);
      this.later(ext, a.busyUntil);
    }
    this.changed(ext);
  }

  /** A call the agent answered is over: after-call work (wrap-up), then available. */
  callEnded(ext: string, talkMs: number): void {
    const a = this.agents.get(ext);
    if (!a) return;
    a.active = Math.max(0, a.active - 1);
    a.callsTaken++;
    a.talkMs += Math.max(0, talkMs);
    const now = this.now();
    a.idleSince = now;
    if (a.wrapUpMs > 0) {
      a.wrapUntil = now + a.wrapUpMs;
      this.later(ext, a.wrapUntil);
    }
    this.changed(ext);
  }

  /** The agent's phone is on a call the queue did not give them (e.g. they dialled the box). */
  ownCallStarted(ext: string): void {
    const a = this.agents.get(ext);
    if (!a) return;
    a.active++;
    this.changed(ext);
  }

  ownCallEnded(ext: string): void {
    const a = this.agents.get(ext);
    if (!a) return;
    a.active = Math.max(0, a.active - 1);
    a.idleSince = this.now();
    this.changed(ext);
  }

  // ---- derived state ---------------------------------------------------------------------------

  private derive(a: AgentInfo): AgentState {
    if (a.active > 0) return 'busy';
    if (a.ringing > 0) return 'ringing';
    if (a.presence === 'logged-out') return 'logged-out';
    if (a.presence === 'paused') return 'paused';
    if (!a.reachable) return 'unreachable';
    const now = this.now();
    if (a.wrapUntil > now) return 'wrap-up';
    if (a.busyUntil > now) return 'busy';
    return 'available';
  }

  private lastReason = new Map<string, string | undefined>();

  private changed(ext?: string): void {
    for (const a of ext ? [this.agents.get(ext)!] : this.agents.values()) {
      if (!a) continue;
      const state = this.derive(a);
      if (state !== a.state || this.lastReason.get(a.extension) !== a.pauseReason) {
        a.state = state;
        this.lastReason.set(a.extension, a.pauseReason);
        this.onState(a);
      }
    }
    for (const l of this.listeners) l();
  }

  /** Re-derive the state when a wrap-up or busy back-off runs out. */
  private later(ext: string, at: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.changed(ext);
    }, Math.max(0, at - this.now()) + 5);
    t.unref();
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }
}
