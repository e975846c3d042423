import type { LineHealth } from '../../drivers/line.js';
import type { AgentState } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import { SCHEMA_VERSION } from '../store/outbox.js';

/**
 * The retained "current state" topics: lines/<id> and agents/<ext>. Kept in memory from bus events,
 * seeded at start from the store (line_state, agent_state_log) so a restart does not publish
 * "unknown" for what the box already knew, and republished in full on every connect.
 */

export interface LinePayload {
  schema: number;
  lineId: string;
  kind: string;
  /** starting | ready | down | stopped, or unknown before the line's driver has reported. */
  state: string;
  reason?: string;
  inCall: boolean;
  signalDbm?: number;
  registration?: string;
  sim?: string;
  operator?: string;
  imei?: string;
  registered?: boolean;
  at: string;
}

export interface AgentPayload {
  schema: number;
  extension: string;
  name?: string;
  state: AgentState | 'unknown';
  reason?: string;
  since: string | null;
}

export type Publish = (topic: string, payload: string, retain: boolean) => void;

export class RetainedState {
  readonly lines = new Map<string, LinePayload>();
  readonly agents = new Map<string, AgentPayload>();

  constructor(private publish: Publish | undefined = undefined) {}

  setPublisher(p: Publish | undefined): void {
    this.publish = p;
  }

  /** Lines and agents of the config, overlaid with what the store last recorded. Returns topics to clear (removed from config). */
  async seed(config: Config, db: Pick<Db, 'all'>): Promise<string[]> {
    const now = new Date().toISOString();
    const before = new Set([...this.lines.keys()].map((id) => `lines/${id}`).concat([...this.agents.keys()].map((e) => `agents/${e}`)));
    const lines = new Map<string, LinePayload>();
    // The store may not be readable (not open yet): then the config alone says what exists.
    const saved = new Map((await db.all<{ line_id: string; health: string; updated_at: string }>('SELECT line_id, health, updated_at FROM line_state').catch(() => [])).map((r) => [r.line_id, r]));
    for (const l of config.lines) {
      const cur = this.lines.get(l.id);
      const s = saved.get(l.id);
      lines.set(l.id, cur ?? (s ? lineOf(JSON.parse(s.health) as LineHealth, s.updated_at) : { schema: SCHEMA_VERSION, lineId: l.id, kind: l.kind, state: 'unknown', inCall: false, at: now }));
    }
    const agents = new Map<string, AgentPayload>();
    const last = new Map(
      (await db.all<{ extension: string; state: AgentState; reason: string | null; at: string }>('SELECT extension, state, reason, at FROM agent_state_log WHERE id IN (SELECT MAX(id) FROM agent_state_log GROUP BY extension)').catch(() => [])).map((r) => [r.extension, r]),
    );
    for (const a of config.agents ?? []) {
      const cur = this.agents.get(a.extension);
      const s = last.get(a.extension);
      agents.set(a.extension, {
        schema: SCHEMA_VERSION,
        extension: a.extension,
        name: a.name,
        state: cur?.state ?? s?.state ?? 'unknown',
        ...(cur?.reason ?? s?.reason ? { reason: (cur?.reason ?? s?.reason)! } : {}),
        since: cur?.since ?? s?.at ?? null,
      });
    }
    this.lines.clear();
    this.agents.clear();
    for (const [k, v] of lines) this.lines.set(k, v);
    for (const [k, v] of agents) this.agents.set(k, v);
    const now2 = new Set([...this.lines.keys()].map((id) => `lines/${id}`).concat([...this.agents.keys()].map((e) => `agents/${e}`)));
    return [...before].filter((t) => !now2.has(t));
  }

  onLineHealth(h: LineHealth, at: string): void {
    const p = lineOf(h, at);
    this.lines.set(h.lineId, p);
    this.publish?.(`lines/${h.lineId}`, JSON.stringify(p), true);
  }

  onAgentState(extension: string, state: AgentState, reason: string | undefined, at: string): void {
    const prev = this.agents.get(extension);
    const p: AgentPayload = { schema: SCHEMA_VERSION, extension, ...(prev?.name ? { name: prev.name } : {}), state, ...(reason ? { reason } : {}), since: at };
    this.agents.set(extension, p);
    this.publish?.(`agents/${extension}`, JSON.stringify(p), true);
  }

  publishAll(): void {
    for (const [id, p] of this.lines) this.publish?.(`lines/${id}`, JSON.stringify(p), true);
    for (const [ext, p] of this.agents) this.publish?.(`agents/${ext}`, JSON.stringify(p), true);
  }
}

/** IMSI and ICCID identify the subscriber: they stay on the box. */
function lineOf(h: LineHealth, at: string): LinePayload {
  return {
    schema: SCHEMA_VERSION,
    lineId: h.lineId,
    kind: h.kind,
    state: h.state,
    ...(h.reason ? { reason: h.reason } : {}),
    inCall: h.inCall,
    ...(h.signalDbm !== undefined ? { signalDbm: h.signalDbm } : {}),
    ...(h.registration ? { registration: h.registration } : {}),
    ...(h.sim ? { sim: h.sim } : {}),
    ...(h.operator ? { operator: h.operator } : {}),
    ...(h.imei ? { imei: h.imei } : {}),
    ...(h.registered !== undefined ? { registered: h.registered } : {}),
    at,
  };
}
