import type { WriterRegistry } from '../store/recorder.js';

/**
 * Quality records: the score with its evidence, and the caller's utterances (transcript and
 * emotion reading) that the inspection reads back after the call.
 */
export function registerQualityWriters(registerWriter: WriterRegistry['register']): void {
  registerWriter('quality.scored', async (tx, ev) => {
    const d = ev.data;
    await tx.run('INSERT OR REPLACE INTO quality_scores (call_id, agent, at, score, flagged, metrics, findings) VALUES (?, ?, ?, ?, ?, ?, ?)', [d.callId, d.agent ?? null, ev.at, d.score, d.flagged ? 1 : 0, JSON.stringify(d.metrics), JSON.stringify(d.findings)]);
    await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT id, ?, ?, ? FROM calls WHERE id = ?', [ev.at, ev.type, JSON.stringify({ score: d.score, flagged: d.flagged }), d.callId]);
  });
  registerWriter('call.hold', async (tx, ev) => {
    await tx.run('INSERT INTO call_timeline (call_id, at, event, data) SELECT id, ?, ?, ? FROM calls WHERE id = ?', [ev.at, ev.type, JSON.stringify(ev.data), ev.data.callId]);
  });
  registerWriter('speech.utterance', async (tx, ev) => {
    const d = ev.data;
    // The row needs its call (foreign key); utterances of calls not recorded are not kept.
    await tx.run("INSERT INTO utterances (call_id, at, speaker, text, confidence, emotion, emotion_score) SELECT id, ?, 'caller', ?, ?, ?, ? FROM calls WHERE id = ?", [ev.at, d.text ?? '', d.confidence ?? null, d.emotion?.label ?? null, d.emotion?.negative ?? null, d.callId]);
  });
}
