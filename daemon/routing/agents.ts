import type { AgentConfig } from '../config/schema.js';
import type { AgentState } from '../bus/events.js';
import { durationOr } from '../config/duration.js';

export interface AgentInfo {
  extension: string;
  name: string;
  contact?: string;
  skills: Record<string, number>;
  state: AgentState;
  /** When the agent last became free (ms epoch); longest-idle picks the smallest. */
  idleSince: number;
  wrapUpMs: number;
}

/**
 * The agents and their states. This is the simple pool the first handoff needs (longest idle among
 * those with the skill); the full contact-centre router replaces the choice, not the states.
 */
export class AgentPool {
  private readonly agents = new Map<string, AgentInfo>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    configs: readonly AgentConfig[],
    private readonly onState: (a: AgentInfo) => void = () => {},
    now = Date.now(),
  ) {
    configs.forEach((c, i) =>
      this.agents.set(c.extension, {
        extension: c.extension,
        name: c.name,
        ...(c.contact ? { contact: c.contact } : {}),
        skills: c.skills ?? {},
        state: c.logged_in === false ? 'logged-out' : 'available',
        idleSince: now - (configs.length - i), // config order breaks ties
        wrapUpMs: durationOr(c.wrap_up, '0s'),
      }),
    );
  }

  all(): AgentInfo[] {
    return [...this.agents.values()];
  }

  get(ext: string): AgentInfo | undefined {
    return this.agents.get(ext);
  }

  /** Available agents with the skill (any skill when undefined), longest idle first. */
  candidates(skill?: string): AgentInfo[] {
    return this.all()
      .filter((a) => a.state === 'available' && (!skill || (a.skills[skill] ?? 0) > 0))
      .sort((x, y) => x.idleSince - y.idleSince);
  }

  set(ext: string, state: AgentState): void {
    const a = this.agents.get(ext);
    if (!a || a.state === state) return;
    clearTimeout(this.timers.get(ext));
    this.timers.delete(ext);
    if (state === 'available' && a.state !== 'ringing') a.idleSince = Date.now();
    a.state = state;
    this.onState(a);
  }

  /** A call with the agent ended: wrap-up if configured, then available. */
  release(ext: string): void {
    const a = this.agents.get(ext);
    if (!a) return;
    if (a.wrapUpMs > 0) {
      this.set(ext, 'wrap-up');
      const t = setTimeout(() => this.set(ext, 'available'), a.wrapUpMs);
      t.unref();
      this.timers.set(ext, t);
    } else this.set(ext, 'available');
    a.idleSince = Date.now();
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
