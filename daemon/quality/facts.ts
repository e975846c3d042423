import { access } from 'node:fs/promises';
import { readWavChannels } from '../../drivers/audio/wav.js';
import type { Db } from '../store/db.js';
import { measureAudio } from './analyse.js';
import type { CallFacts } from './rules.js';

interface CallRow {
  id: string;
  agent_ext: string | null;
  queued_at: string | null;
  agent_ring_at: string | null;
  agent_answered_at: string | null;
  recording_path: string | null;
}

const secs = (from: string | null, to: string | null): number | null => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10 : null);

/**
 * Gather what the store knows of an ended agent call: the CDR (agent, wait), the timeline
 * (transfers, whether the survey was offered), surveys, the caller's emotion readings, the
 * transcript, and the two-leg recording measured. undefined when no agent answered the call.
 */
export async function gatherFacts(db: Pick<Db, 'get' | 'all'>, callId: string): Promise<CallFacts | undefined> {
  const c = await db.get<CallRow>('SELECT id, agent_ext, queued_at, agent_ring_at, agent_answered_at, recording_path FROM calls WHERE id = ?', [callId]);
  if (!c?.agent_answered_at) return undefined;
  const timeline = await db.all<{ event: string; at: string; data: string | null }>("SELECT event, at, data FROM call_timeline WHERE call_id = ? AND event IN ('call.agent', 'call.phase', 'call.hold', 'call.ended') ORDER BY id", [callId]);
  const parsed = timeline.map((r) => ({ event: r.event, at: Date.parse(r.at), data: (r.data ? JSON.parse(r.data) : {}) as Record<string, unknown> }));
  // Holds: each hold until its resume (or the end of the call).
  let holds = 0, holdMs = 0, heldSince: number | undefined;
  for (const r of parsed) {
    if (r.event === 'call.hold' && r.data.held === true && heldSince === undefined) {
      holds++;
      heldSince = r.at;
    } else if (heldSince !== undefined && ((r.event === 'call.hold' && r.data.held === false) || r.event === 'call.ended')) {
      holdMs += r.at - heldSince;
      heldSince = undefined;
    }
  }
  const answers = parsed.filter((r) => r.event === 'call.agent' && r.data.result === 'answered').length;
  const survey = await db.get<{ score: number; scale: number }>('SELECT score, scale FROM surveys WHERE call_id = ? ORDER BY id DESC LIMIT 1', [callId]);
  const surveyOffered = Boolean(survey) || parsed.some((r) => r.event === 'call.phase' && r.data.phase === 'survey');
  const utts = await db.all<{ at: string; speaker: string; text: string; emotion_score: number | null }>('SELECT at, speaker, text, emotion_score FROM utterances WHERE call_id = ? ORDER BY at, id', [callId]);
  const emotions = utts.filter((u) => u.speaker === 'caller' && u.emotion_score !== null).map((u) => u.emotion_score!);
  const answeredAt = Date.parse(c.agent_answered_at);
  let audio: CallFacts['audio'];
  if (c.recording_path && (await access(c.recording_path).then(() => true, () => false))) {
    const wav = await readWavChannels(c.recording_path);
    if (wav.channels.length >= 2) audio = await measureAudio(wav.channels[0]!, wav.channels[1]!);
  }
  return {
    callId,
    ...(c.agent_ext ? { agent: c.agent_ext } : {}),
    ...(audio ? { audio } : {}),
    waitS: secs(c.queued_at ?? c.agent_ring_at, c.agent_answered_at),
    transfers: Math.max(0, answers - 1),
    holds,
    holdS: Math.round(holdMs / 100) / 10,
    emotionStart: emotions[0] ?? null,
    emotionEnd: emotions.length ? emotions[emotions.length - 1]! : null,
    surveyOffered,
    surveyScore: survey ? Math.round(((survey.score * 5) / (survey.scale || 5)) * 10) / 10 : null,
    transcript: utts.filter((u) => u.text).map((u) => ({ speaker: u.speaker, atS: Math.round((Date.parse(u.at) - answeredAt) / 100) / 10, text: u.text })),
  };
}
