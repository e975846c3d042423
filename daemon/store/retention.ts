import { unlink } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension } from '../extension.js';
import type { Db } from './db.js';

export interface RetentionResult {
  calls: number;
  voicemails: number;
  files: number;
  sms: number;
  agentStates: number;
}

/**
 * Deletes what the installer asked not to keep: call records (with their legs, timeline and
 * utterances) older than storage.keep_calls, voicemail recordings older than storage.keep_recordings
 * (file and row) and call recordings of the same age. The outbox is never touched here: unsent reports are not "old data".
 */
export async function applyRetention(db: Db, cfg: Config, now = Date.now()): Promise<RetentionResult> {
  const callsBefore = new Date(now - durationOr(cfg.storage?.keep_calls, '2y')).toISOString();
  const recordingsBefore = new Date(now - durationOr(cfg.storage?.keep_recordings, '90d')).toISOString();
  const oldVoicemail = await db.all<{ id: string; path: string }>('SELECT id, path FROM voicemail WHERE recorded_at < ?', [recordingsBefore]);
  const oldRecordings = await db.all<{ id: string; path: string }>('SELECT id, recording_path AS path FROM calls WHERE recording_path IS NOT NULL AND offered_at < ?', [recordingsBefore]);
  let files = 0;
  // A call recording may have its mixed copy beside it (storage.record_mixed).
  const mixed = oldRecordings.map((r) => ({ id: r.id, path: r.path.replace(/\.wav$/, '.mixed.wav') })).filter((m) => m.path.endsWith('.mixed.wav'));
  for (const v of [...oldVoicemail, ...oldRecordings, ...mixed]) {
    try {
      await unlink(v.path);
      files++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return db.transaction(async (tx) => {
    const vm = await tx.run('DELETE FROM voicemail WHERE recorded_at < ?', [recordingsBefore]);
    await tx.run('UPDATE calls SET recording_path = NULL WHERE recording_path IS NOT NULL AND offered_at < ?', [recordingsBefore]);
    const calls = await tx.run('DELETE FROM calls WHERE offered_at < ?', [callsBefore]);
    const sms = await tx.run('DELETE FROM sms WHERE received_at < ?', [callsBefore]);
    const states = await tx.run('DELETE FROM agent_state_log WHERE at < ?', [callsBefore]);
    // Per-call knowledge-base log and quality scores go with the calls (hit counts and the unanswered list stay).
    await tx.run('DELETE FROM kb_log WHERE at < ?', [callsBefore]);
    await tx.run('DELETE FROM quality_scores WHERE at < ?', [callsBefore]);
    return { calls: calls.changes, voicemails: vm.changes, files, sms: sms.changes, agentStates: states.changes };
  });
}

/** Runs the retention rules at start and then every few hours. */
export class RetentionExtension implements Extension {
  readonly name = 'retention';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs = 6 * 3_600_000) {}

  async start(ctx: Context): Promise<void> {
    const run = async (): Promise<void> => {
      try {
        const r = await applyRetention(ctx.db, ctx.config());
        if (r.calls + r.voicemails + r.sms + r.agentStates > 0) ctx.log.info(r, 'retention: old records deleted');
      } catch (err) {
        ctx.log.error({ err }, 'retention failed');
      }
    };
    await run();
    this.timer = setInterval(() => void run(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }
}
