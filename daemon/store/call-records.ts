import type { AgentState } from '../bus/events.js';
import type { Db } from './db.js';

/** States an agent can only be in while a call of this process is going on. */
const IN_CALL: AgentState[] = ['ringing', 'busy', 'wrap-up'];

/**
 * What the call core reads back from the store, in one place (a service of the app): the call core
 * asks questions, it does not write SQL against the tables the recorder keeps.
 */
export class CallRecords {
  constructor(private readonly db: Db) {}

  /** The queue this caller reached on another call within `withinMs` (bot.repeat_caller). */
  async recentQueue(caller: string, callId: string, withinMs: number): Promise<string | undefined> {
    const r = await this.db.get<{ q: string }>('SELECT queue_id AS q FROM calls WHERE caller = ? AND id != ? AND queue_id IS NOT NULL AND offered_at >= ? ORDER BY offered_at DESC LIMIT 1', [caller, callId, new Date(Date.now() - withinMs).toISOString()]);
    return r?.q;
  }

  /** Who called on a recorded call, on which line, and the queue they reached (a callback from the console). */
  async call(callId: string): Promise<{ caller: string | null; lineId: string; queueId: string | null } | undefined> {
    const r = await this.db.get<{ caller: string | null; line_id: string; queue_id: string | null }>('SELECT caller, line_id, queue_id FROM calls WHERE id = ?', [callId]);
    return r ? { caller: r.caller, lineId: r.line_id, queueId: r.queue_id } : undefined;
  }

  /** Agents whose last recorded state (before `beforeMs`) was ringing, busy or wrap-up: a crashed run left them so. */
  async agentsLeftInCall(beforeMs: number): Promise<string[]> {
    const before = new Date(beforeMs).toISOString();
    const last = await this.db.all<{ extension: string; state: AgentState; at: string }>('SELECT extension, state, at FROM agent_state_log WHERE id IN (SELECT MAX(id) FROM agent_state_log GROUP BY extension)');
    // Only states the previous run left: when a failing store delays this, this run's may be there too.
    return last.filter((a) => IN_CALL.includes(a.state) && a.at < before).map((a) => a.extension);
  }

  /** Sources of the active alarms with a code (state a restart carries over, e.g. agent-unreachable). */
  async activeAlarmSources(code: string): Promise<string[]> {
    return (await this.db.all<{ source: string }>('SELECT source FROM alarms WHERE code = ? AND active = 1', [code])).map((r) => r.source);
  }
}
