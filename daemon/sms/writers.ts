import type { Envelope, EventName } from '../bus/events.js';
import type { Tx } from '../store/db.js';

type Register = <K extends EventName>(type: K, writer: (tx: Tx, event: Envelope<K>) => Promise<void>) => unknown;

/**
 * SMS records written in the same transaction as their report: delivery reports (matched to the
 * part the modem gave that message reference, on that line, most recent first since TP-MR wraps at
 * 256) and opt-outs.
 */
export function registerSmsWriters(register: Register): void {
  register('sms.status', async (tx, ev) => {
    const d = ev.data;
    const part = await tx.get<{ sms_id: string; seq: number }>("SELECT sms_id, seq FROM sms_out_parts WHERE line_id = ? AND mr = ? AND state IN ('sent', 'delivered', 'failed') ORDER BY sent_at DESC LIMIT 1", [d.lineId, d.mr]);
    await tx.run('INSERT INTO sms_reports (line_id, mr, recipient, status, outcome, sms_id, discharged_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [d.lineId, d.mr, d.to, d.status, d.outcome, part?.sms_id ?? null, d.dischargedAt, ev.at]);
    if (!part || d.outcome === 'pending') return;
    await tx.run('UPDATE sms_out_parts SET state = ?, report_status = ?, reported_at = ? WHERE sms_id = ? AND seq = ?', [d.outcome, d.status, ev.at, part.sms_id, part.seq]);
    // The message is delivered when every part is; failed when any part failed for good.
    await tx.run(
      `UPDATE sms_out SET
         state = CASE WHEN EXISTS (SELECT 1 FROM sms_out_parts WHERE sms_id = :id AND state = 'failed') THEN 'failed'
                      WHEN NOT EXISTS (SELECT 1 FROM sms_out_parts WHERE sms_id = :id AND state != 'delivered') THEN 'delivered'
                      ELSE state END,
         delivered_at = CASE WHEN NOT EXISTS (SELECT 1 FROM sms_out_parts WHERE sms_id = :id AND state != 'delivered') THEN :at ELSE delivered_at END,
         updated_at = :at
       WHERE id = :id`,
      { ':id': part.sms_id, ':at': ev.at },
    );
  });
  register('sms.optout', async (tx, ev) => {
    await tx.run('INSERT INTO sms_optout (number, word, at) VALUES (?, ?, ?) ON CONFLICT(number) DO NOTHING', [ev.data.number, ev.data.word, ev.at]);
  });
}
