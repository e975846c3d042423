import type { Tx } from '../store/db.js';
import type { Envelope, EventName } from '../bus/events.js';
import { registerRoutingWriters } from '../routing/writers.js';

type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => unknown;

/** Every call event also becomes a row of the call's timeline. */
async function timeline(tx: Tx, ev: Envelope, callId: string): Promise<void> {
  await tx.run('INSERT INTO call_timeline (call_id, at, event, data) VALUES (?, ?, ?, ?)', [callId, ev.at, ev.type, JSON.stringify(ev.data)]);
}

/**
 * The CDR: the calls row and its timeline, written from the call events in the same transaction
 * as their outbox rows. Timestamps are set once (the first ring of an agent, the first answer) so a
 * retried step does not move them.
 */
export function registerCallWriters(register: Register): void {
  registerRoutingWriters(register);
  register('call.offered', async (tx, ev) => {
    const d = ev.data;
    await tx.run('INSERT OR IGNORE INTO calls (id, line_id, direction, caller, caller_name, offered_at, vip) VALUES (?, ?, ?, ?, ?, ?, ?)', [d.callId, d.lineId, d.direction ?? 'inbound', d.caller ?? null, d.callerName ?? null, ev.at, d.vip ? 1 : 0]);
    if (d.caller) {
      await tx.run('INSERT INTO customers (number, created_at, last_call_at) VALUES (?, ?, ?) ON CONFLICT(number) DO UPDATE SET last_call_at = excluded.last_call_at', [d.caller, ev.at, ev.at]);
    }
    await timeline(tx, ev, d.callId);
  });
  register('call.phase', async (tx, ev) => {
    const { callId, phase, detail } = ev.data;
    const sets: Record<string, string> = {
      bot: 'answered_at = COALESCE(answered_at, :at)',
      queued: 'bot_ended_at = COALESCE(bot_ended_at, :at), queued_at = COALESCE(queued_at, :at), queue_id = COALESCE(queue_id, :queue)',
      'ringing-agent': 'agent_ring_at = COALESCE(agent_ring_at, :at), bot_ended_at = COALESCE(bot_ended_at, :at)',
      connected: 'agent_answered_at = COALESCE(agent_answered_at, :at), agent_ext = :agent',
      voicemail: 'bot_ended_at = COALESCE(bot_ended_at, :at)',
    };
    const set = sets[phase];
    if (set) {
      await tx.run(`UPDATE calls SET ${set} WHERE id = :id`, {
        ':at': ev.at,
        ':id': callId,
        ...(set.includes(':queue') ? { ':queue': (detail?.queue as string | null | undefined) ?? null } : {}),
        ...(set.includes(':agent') ? { ':agent': (detail?.agent as string | undefined) ?? null } : {}),
      });
    }
    await timeline(tx, ev, callId);
  });
  register('call.ended', async (tx, ev) => {
    const d = ev.data;
    await tx.run('UPDATE calls SET ended_at = ?, hung_up_by = ?, outcome = ?, cause = ?, bot_ended_at = COALESCE(bot_ended_at, ?), slots = ?, menu_path = ?, vip = MAX(vip, ?), fault = ? WHERE id = ?', [ev.at, d.hungUpBy, d.outcome, d.cause ?? null, ev.at, d.slots ? JSON.stringify(d.slots) : null, d.menuPath ?? null, d.vip ? 1 : 0, d.fault ?? null, d.callId]);
    for (const [name, value] of Object.entries(d.slots ?? {})) {
      await tx.run('INSERT INTO call_slots (call_id, name, value) VALUES (?, ?, ?) ON CONFLICT(call_id, name) DO UPDATE SET value = excluded.value', [d.callId, name, value]);
    }
    await tx.run('UPDATE customers SET last_agent = COALESCE((SELECT agent_ext FROM calls WHERE id = ?), last_agent) WHERE number = (SELECT caller FROM calls WHERE id = ?)', [d.callId, d.callId]);
    await timeline(tx, ev, d.callId);
  });
  // ASA ends when the agent picks up, before any whisper: the answer stamps the CDR at once.
  register('call.agent', async (tx, ev) => {
    if (ev.data.result === 'answered') await tx.run('UPDATE calls SET agent_answered_at = COALESCE(agent_answered_at, ?), agent_ext = ? WHERE id = ?', [ev.at, ev.data.extension, ev.data.callId]);
    await timeline(tx, ev, ev.data.callId);
  });
  register('handoff.requested', async (tx, ev) => {
    await tx.run('UPDATE calls SET intent = COALESCE(intent, ?) WHERE id = ?', [ev.data.detail ?? ev.data.reason, ev.data.callId]);
    await timeline(tx, ev, ev.data.callId);
  });
  // menu_path comes with call.ended from the bot (the path the agent's phone was shown), not from raw keys.
  register('bot.turn', async (tx, ev) => timeline(tx, ev, ev.data.callId));
  register('bot.started', async (tx, ev) => timeline(tx, ev, ev.data.callId));
  register('call.recorded', async (tx, ev) => {
    await tx.run('UPDATE calls SET recording_path = ?, recording_ms = ? WHERE id = ?', [ev.data.path, ev.data.durationMs, ev.data.callId]);
    await timeline(tx, ev, ev.data.callId);
  });
  register('voicemail.recorded', async (tx, ev) => {
    const d = ev.data;
    await tx.run('INSERT INTO voicemail (id, call_id, caller, recorded_at, path, duration_ms) VALUES (?, ?, ?, ?, ?, ?)', [d.id, d.callId, d.caller ?? null, ev.at, d.path, d.durationMs]);
    await timeline(tx, ev, d.callId);
  });
}
