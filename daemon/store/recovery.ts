import type { Context } from '../extension.js';

export interface Recovered {
  calls: string[];
  agents: string[];
}

/**
 * What a crashed run (kill -9, power cut, OOM) left open in the store is closed at the next start:
 * every call offered before this run began and never ended gets `call.ended` with outcome
 * `interrupted` (so the CDR is complete and central IT hears it). Agents last recorded as ringing,
 * busy or in wrap-up are listed here; their state is the agent pool's to set (the call core
 * announces it at start, with the reason `recovered after restart`). Modems and SIP dialogs still in a call are hung up by their
 * lines (see drivers/gsm and daemon/lines). Logged at warn with what was recovered.
 */
export async function recoverAfterCrash(ctx: Context, startedAt: number, journaled: number): Promise<Recovered> {
  const db = ctx.db;
  const before = new Date(startedAt).toISOString();
  const calls = await db.all<{ id: string }>('SELECT id FROM calls WHERE ended_at IS NULL AND offered_at < ? ORDER BY offered_at', [before]);
  const configured = new Set((ctx.config().agents ?? []).map((a) => a.extension));
  const agents = (await ctx.services.callRecords.agentsLeftInCall(startedAt)).filter((e) => configured.has(e));
  for (const c of calls) ctx.bus.emit('call.ended', { callId: c.id, outcome: 'interrupted', hungUpBy: 'system', cause: 'the daemon stopped during the call (crash or power loss); closed at restart' });
  if (calls.length > 0 || agents.length > 0 || journaled > 0) {
    ctx.log.warn({ calls: calls.map((c) => c.id), agents, journaled }, 'restart after a crash: closed what the previous run left open');
    ctx.bus.emit('system.recovered', { calls: calls.map((c) => c.id), agents, journaled });
  }
  return { calls: calls.map((c) => c.id), agents };
}
