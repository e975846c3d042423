import type { WriterRegistry } from '../store/recorder.js';

/**
 * Knowledge-base records, written by the store's recorder in the same transaction as the events'
 * outbox rows: the per-call log (KPIs), all-time hit counts (the menu order) and the unanswered
 * questions with counts (for the installer to review).
 */
export function registerKnowledgeWriters(registerWriter: WriterRegistry['register']): void {
  registerWriter('kb.answered', async (tx, ev) => {
    await tx.run('INSERT INTO kb_log (call_id, at, entry_id, via) VALUES (?, ?, ?, ?)', [ev.data.callId, ev.at, ev.data.entry, ev.data.via]);
    await tx.run('INSERT INTO kb_hits (entry_id, hits, last_at) VALUES (?, 1, ?) ON CONFLICT(entry_id) DO UPDATE SET hits = hits + 1, last_at = excluded.last_at', [ev.data.entry, ev.at]);
    await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT id, ?, ?, ? FROM calls WHERE id = ?', [ev.at, ev.type, JSON.stringify(ev.data), ev.data.callId]);
  });
  registerWriter('kb.unanswered', async (tx, ev) => {
    await tx.run('INSERT INTO kb_log (call_id, at, via, text) VALUES (?, ?, ?, ?)', [ev.data.callId, ev.at, ev.data.via, ev.data.text]);
    await tx.run(
      `INSERT INTO kb_unanswered (via, text, count, first_at, last_at, last_call_id) VALUES (?, ?, 1, ?, ?, ?)
       ON CONFLICT(via, text) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_call_id = excluded.last_call_id`,
      [ev.data.via, ev.data.text, ev.at, ev.at, ev.data.callId],
    );
    await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT id, ?, ?, ? FROM calls WHERE id = ?', [ev.at, ev.type, JSON.stringify(ev.data), ev.data.callId]);
  });
}
