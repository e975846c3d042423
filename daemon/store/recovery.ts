import type { AgentState } from '../bus/events.js';
import type { Context } from '../extension.js';

/** States an agent can only be in while a call of this process is going on. */
const IN_CALL: AgentState[] = ['ringing', 'busy', 'wrap-up'];

export interface Recovered {
  calls: string[];
  agents: string[];
}

/**
 * What a crashed run (kill -9, power cut, OOM) left open in the store is closed at the next start:
 * every call offered before this run began and never ended gets `call.ended` with outcome
 * `interrupted` (so the CDR is complete and central IT hears it), and agents last recorded as
 * ringing, busy or in wrap-up are set back to the state this run gave them (nothing of the old
 * calls is left to keep them busy). Modems and SIP dialogs still in a call are hung up by their
 * lines (see drivers/gsm and daemon/lines). Logged at warn with what was recovered.
 */
export async function recoverAfterCrash(ctx: Context, startedAt: number, journaled: number): Promise<Recovered> {
  const db = ctx.db;
  const before = new Date(startedAt).toISOString();
  const calls = await db.all<{ id: string }>('SELECT id FROM calls WHERE ended_at IS NULL AND offered_at < ? ORDER BY offered_at', [before]);
  const last = await db.all<{ extension: string; state: AgentState; at: string }>('SELECT extension, state, at FROM agent_state_log WHERE id IN (SELECT MAX(id) FROM agent_state_log GROUP BY extension)');
  const configured = new Map((ctx.config().agents ?? []).map((a) => [a.extension, a]));
  // Only states the previous run left: when a failing store delays this, this run's may be there too.
  const agents = last.filter((a) => IN_CALL.includes(a.state) && configured.has(a.extension) && a.at < before);
  for (const c of calls) ctx.bus.emit('call.ended', { callId: c.id, outcome: 'interrupted', hungUpBy: 'system', cause: 'the daemon stopped during the call (crash or power loss); closed at restart' });
  for (const a of agents) {
    ctx.bus.emit('agent.state', { extension: a.extension, state: configured.get(a.extension)!.logged_in === false ? 'logged-out' : 'available', reason: 'recovered after restart' });
  }
  if (calls.length > 0 || agents.length > 0 || journaled > 0) {
    ctx.log.warn({ calls: calls.map((c) => c.id), agents: agents.map((a) => a.extension), journaled }, 'restart after a crash: closed what the previous run left open');
    ctx.bus.emit('system.recovered', { calls: calls.map((c) => c.id), agents: agents.map((a) => a.extension), journaled });
  }
  return { calls: calls.map((c) => c.id), agents: agents.map((a) => a.extension) };
}
