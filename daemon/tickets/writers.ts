import type { Envelope, EventName } from '../bus/events.js';
import type { Tx } from '../store/db.js';

type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => unknown;

/** Tickets and their history, written with their report (and into the call's timeline). */
export function registerTicketWriters(register: Register): void {
  register('ticket.created', async (tx, ev) => {
    const d = ev.data;
    await tx.run('INSERT INTO tickets (number, call_id, customer, status, owner, subject, fields, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [d.ticket, d.callId ?? null, d.customer ?? null, d.status, d.owner ?? null, d.subject ?? null, JSON.stringify(d.fields), d.by, ev.at, ev.at]);
    await tx.run("INSERT INTO ticket_history (ticket, at, action, by, data) VALUES (?, ?, 'created', ?, ?)", [d.ticket, ev.at, d.by, JSON.stringify(d)]);
    if (d.callId) await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM calls WHERE id = ?)', [d.callId, ev.at, ev.type, JSON.stringify(d), d.callId]);
  });
  register('ticket.updated', async (tx, ev) => {
    const d = ev.data;
    await tx.run('UPDATE tickets SET status = COALESCE(?, status), owner = COALESCE(?, owner), updated_at = ? WHERE number = ?', [d.status ?? null, d.owner ?? null, ev.at, d.ticket]);
    const action = d.status ? 'status' : d.owner ? 'owner' : 'note';
    await tx.run('INSERT INTO ticket_history (ticket, at, action, by, data) VALUES (?, ?, ?, ?, ?)', [d.ticket, ev.at, action, d.by, JSON.stringify(d)]);
  });
}
