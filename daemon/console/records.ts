import type { Db } from '../store/db.js';
import type { User } from './auth.js';

/** The console's own records (audit trail, call notes) and the stored history it shows. */

export interface AuditEntry {
  user: User;
  ip?: string;
  action: string;
  target?: string;
  detail?: unknown;
}

export async function audit(db: Pick<Db, 'run'>, e: AuditEntry): Promise<void> {
  await db.run('INSERT INTO console_audit (at, user, role, ip, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    new Date().toISOString(),
    e.user.name,
    e.user.role,
    e.ip ?? null,
    e.action,
    e.target ?? null,
    e.detail === undefined ? null : JSON.stringify(e.detail),
  ]);
}

export interface AuditRow {
  id: number;
  at: string;
  user: string;
  role: string;
  ip: string | null;
  action: string;
  target: string | null;
  detail: string | null;
}

export function auditTrail(db: Pick<Db, 'all'>, limit = 200): Promise<AuditRow[]> {
  return db.all<AuditRow>('SELECT id, at, user, role, ip, action, target, detail FROM console_audit ORDER BY id DESC LIMIT ?', [limit]);
}

export interface Note {
  call_id: string;
  agent: string | null;
  user: string;
  at: string;
  disposition: string | null;
  note: string;
}

export async function addNote(db: Pick<Db, 'run'>, n: { callId: string; caller?: string; agent?: string; user: string; disposition?: string; note: string }): Promise<void> {
  await db.run('INSERT INTO call_notes (call_id, caller, agent, user, at, disposition, note) VALUES (?, ?, ?, ?, ?, ?, ?)', [n.callId, n.caller ?? null, n.agent ?? null, n.user, new Date().toISOString(), n.disposition ?? null, n.note]);
}

export interface CallerHistory {
  customer?: { name: string | null; vip: boolean; last_agent: string | null; last_call_at: string | null };
  calls: { id: string; offered_at: string; outcome: string | null; agent_ext: string | null; intent: string | null; queue_id: string | null }[];
  notes: Note[];
}

/** What the store knows of a caller: the customer row, earlier calls (not this one) and notes. */
export async function callerHistory(db: Pick<Db, 'all' | 'get'>, caller: string, exceptCall?: string): Promise<CallerHistory> {
  const cust = await db.get<{ name: string | null; vip: number; last_agent: string | null; last_call_at: string | null }>('SELECT name, vip, last_agent, last_call_at FROM customers WHERE number = ?', [caller]);
  const calls = await db.all<CallerHistory['calls'][number]>('SELECT id, offered_at, outcome, agent_ext, intent, queue_id FROM calls WHERE caller = ? AND id != ? ORDER BY offered_at DESC LIMIT 10', [caller, exceptCall ?? '']);
  const notes = await db.all<Note>('SELECT call_id, agent, user, at, disposition, note FROM call_notes WHERE caller = ? ORDER BY id DESC LIMIT 10', [caller]);
  return { ...(cust ? { customer: { name: cust.name, vip: cust.vip === 1, last_agent: cust.last_agent, last_call_at: cust.last_call_at } } : {}), calls, notes };
}
