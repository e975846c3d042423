import type { Envelope, EventName } from '../bus/events.js';
import type { Tx } from '../store/db.js';

type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => unknown;

/**
 * The router's records: one queue_log row per queue event (the statistics' raw material, like
 * Asterisk's queue_log), the call's timeline rows for them, and the callbacks table.
 */
export function registerRoutingWriters(register: Register): void {
  const log = async (tx: Tx, ev: Envelope, event: string, callId: string, queue: string | null, agent: string | null): Promise<void> => {
    await tx.run('INSERT INTO queue_log (at, call_id, queue, agent, event, data) VALUES (?, ?, ?, ?, ?, ?)', [ev.at, callId, queue, agent, event, JSON.stringify(ev.data)]);
    // The call's own timeline too, when the call row exists (a restored callback's may have been purged).
    await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM calls WHERE id = ?)', [callId, ev.at, ev.type, JSON.stringify(ev.data), callId]);
  };
  register('queue.enter', (tx, ev) => log(tx, ev, 'enter', ev.data.callId, ev.data.queue, null));
  register('queue.announce', (tx, ev) => log(tx, ev, 'announce', ev.data.callId, ev.data.queue, null));
  register('queue.connect', (tx, ev) => log(tx, ev, 'connect', ev.data.callId, ev.data.queue, ev.data.extension));
  register('queue.abandon', (tx, ev) => log(tx, ev, 'abandon', ev.data.callId, ev.data.queue, null));
  register('queue.exit', (tx, ev) => log(tx, ev, 'exit', ev.data.callId, ev.data.queue, null));
  register('agent.ring-no-answer', (tx, ev) => log(tx, ev, 'ring-no-answer', ev.data.callId, ev.data.queue, ev.data.extension));
  register('callback.requested', async (tx, ev) => {
    const d = ev.data;
    await tx.run("INSERT OR IGNORE INTO callbacks (id, call_id, number, queue, line_id, entered_at, requested_at, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)", [d.id, d.callId, d.number, d.queue, d.lineId, d.enteredAt, ev.at, ev.at]);
    await log(tx, ev, 'callback', d.callId, d.queue, null);
  });
  register('callback.state', async (tx, ev) => {
    const d = ev.data;
    await tx.run('UPDATE callbacks SET state = ?, agent = COALESCE(?, agent), attempts = COALESCE(?, attempts), detail = ?, updated_at = ? WHERE id = ?', [d.state, d.extension ?? null, d.attempts ?? null, d.detail ?? null, ev.at, d.id]);
    await log(tx, ev, `callback-${d.state}`, d.callId, null, d.extension ?? null);
  });
}
