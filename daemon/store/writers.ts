import type { Envelope, EventName } from '../bus/events.js';
import type { Tx } from './db.js';

/**
 * Domain-record writers for line, alarm, SMS, agent-state and survey events. Call records are
 * written by the call core's own writers.
 */

type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => () => void;

export function builtinWriters(register: Register): void {
  register('line.health', async (tx, ev) => {
    await tx.run('INSERT INTO line_state (line_id, health, updated_at) VALUES (?, ?, ?) ON CONFLICT(line_id) DO UPDATE SET health = excluded.health, updated_at = excluded.updated_at', [ev.data.lineId, JSON.stringify(ev.data), ev.at]);
  });

  const alarm = async (tx: Tx, a: { code: string; source: string; active: boolean; severity: string; message: string }, at: string): Promise<void> => {
    await tx.run('INSERT INTO alarm_log (code, source, active, severity, message, at) VALUES (?, ?, ?, ?, ?, ?)', [a.code, a.source, a.active ? 1 : 0, a.severity, a.message, at]);
    if (a.active) {
      await tx.run(
        `INSERT INTO alarms (code, source, active, severity, message, raised_at) VALUES (?, ?, 1, ?, ?, ?)
         ON CONFLICT(code, source) DO UPDATE SET active = 1, severity = excluded.severity, message = excluded.message,
           raised_at = CASE WHEN alarms.active = 1 THEN alarms.raised_at ELSE excluded.raised_at END, cleared_at = NULL`,
        [a.code, a.source, a.severity, a.message, at],
      );
    } else {
      await tx.run('UPDATE alarms SET active = 0, cleared_at = ?, message = ? WHERE code = ? AND source = ?', [at, a.message, a.code, a.source]);
    }
  };
  register('alarm', (tx, ev) => alarm(tx, { code: ev.data.code, source: ev.data.source ?? '', active: ev.data.active, severity: ev.data.severity ?? 'warning', message: ev.data.message }, ev.at));
  register('line.alarm', (tx, ev) => alarm(tx, { code: ev.data.code, source: ev.data.lineId, active: ev.data.active, severity: 'warning', message: ev.data.message }, ev.at));

  register('sms.received', async (tx, ev) => {
    await tx.run("INSERT INTO sms (line_id, direction, peer, text, sent_at, received_at) VALUES (?, 'in', ?, ?, ?, ?)", [ev.data.lineId, ev.data.from, ev.data.text, ev.data.sentAt ?? null, ev.data.receivedAt]);
  });

  register('agent.state', async (tx, ev) => {
    await tx.run('INSERT INTO agent_state_log (extension, state, reason, at) VALUES (?, ?, ?, ?)', [ev.data.extension, ev.data.state, ev.data.reason ?? null, ev.at]);
  });

  register('sip.dialog', async (tx, ev) => {
    const key = `${ev.data.dialog.callId}\n${ev.data.dialog.localTag}`;
    if (ev.data.open) {
      await tx.run('INSERT INTO open_dialogs (leg_id, call_id, line_id, dialog, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(leg_id) DO UPDATE SET dialog = excluded.dialog, updated_at = excluded.updated_at', [key, ev.data.dialog.callId, ev.data.lineId, JSON.stringify(ev.data.dialog), ev.at]);
    } else {
      await tx.run('DELETE FROM open_dialogs WHERE leg_id = ?', [key]);
    }
  });

  register('survey.answered', async (tx, ev) => {
    await tx.run('INSERT INTO surveys (call_id, score, scale, at) VALUES (?, ?, ?, ?)', [ev.data.callId, ev.data.score, ev.data.scale ?? 5, ev.at]);
  });
}
