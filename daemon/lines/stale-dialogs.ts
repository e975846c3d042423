import { dialogDestination, dialogRequest, type Dialog } from '../../drivers/sip/dialog.js';
import type { SipTrunkLine } from '../../drivers/sip/trunk-line.js';
import type { Context } from '../extension.js';

/**
 * SIP dialogs of calls in progress are kept in the store (open_dialogs, through `sip.dialog`
 * events), so a run that died mid-call (kill -9) can be cleaned up by the next one: each dialog
 * the previous run left open gets a BYE, so the desk phone (or the PBX) does not sit on a dead call.
 */
export function trackDialogs(ctx: Context, line: SipTrunkLine): void {
  line.ua.on('dialog-up', (d) => ctx.bus.emit('sip.dialog', { lineId: line.id, open: true, dialog: { ...d } }));
  line.ua.on('dialog-down', (callId, localTag) => ctx.bus.emit('sip.dialog', { lineId: line.id, open: false, dialog: { callId, localTag } }));
}

/** In-dialog CSeq numbers may have moved on after the snapshot (re-INVITE, INFO): stay above them. */
const CSEQ_MARGIN = 1000;

/** sipLine: the SIP line a dialog was on (by line id), else the desk-phone endpoint. */
export async function endStaleDialogs(ctx: Context, sipLine: (lineId: string) => SipTrunkLine | undefined, startedAt: number): Promise<number> {
  let rows: { line_id: string; dialog: string }[];
  try {
    rows = await ctx.db.reader().all<{ line_id: string; dialog: string }>('SELECT line_id, dialog FROM open_dialogs WHERE updated_at < ?', [new Date(startedAt).toISOString()]);
  } catch (err) {
    ctx.log.warn({ err }, 'cannot read the SIP dialogs a previous run left open');
    return 0;
  }
  let ended = 0;
  await Promise.all(
    rows.map(async (r) => {
      const d = JSON.parse(r.dialog) as Dialog;
      const sip = sipLine(r.line_id);
      const done = (): void => void ctx.bus.emit('sip.dialog', { lineId: r.line_id, open: false, dialog: { callId: d.callId, localTag: d.localTag } });
      if (!sip) return done(); // no SIP line any more: nothing to send it from
      d.localSeq += CSEQ_MARGIN;
      const bye = dialogRequest(d, 'BYE', { headers: [{ name: 'Reason', value: 'Q.850;cause=41;text="restarted after a failure"' }] });
      try {
        // A PBX that challenges BYE (401/407) gets the trunk's credentials, once, as for any request.
        const res = await sip.ua.request(bye, dialogDestination(d), sip.credentials);
        ctx.log.info({ callId: d.callId, status: res.status }, 'BYE for a SIP dialog left open by the previous run');
        ended++;
      } catch (err) {
        ctx.log.warn({ callId: d.callId, err: (err as Error).message }, 'BYE for a stale SIP dialog got no answer');
      }
      // Answered or not, the dialog is given up: the far end's own timers end it otherwise.
      done();
    }),
  );
  if (rows.length > 0) ctx.log.warn({ dialogs: rows.length, answered: ended }, 'restart after a crash: ended the SIP dialogs the previous run left open');
  return ended;
}
