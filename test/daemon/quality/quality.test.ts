import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneSamples } from '../../../drivers/audio/tones.js';
import { measureAudio } from '../../../daemon/quality/analyse.js';
import { gatherFacts } from '../../../daemon/quality/facts.js';
import { scoreCall, type CallFacts } from '../../../daemon/quality/rules.js';
import type { QualityConfig } from '../../../daemon/config/schema.js';
import { openStore } from '../../../daemon/store/store.js';
import { startFeature } from '../../helpers/feature.js';

/** A channel: [startS, endS, Hz] tones over silence, with a little line noise. */
function channel(totalS: number, parts: [number, number, number][]): Int16Array {
  const out = new Int16Array(totalS * 8000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((Math.random() - 0.5) * 40);
  for (const [from, to, hz] of parts) out.set(toneSamples(hz, (to - from) * 1000, -14).subarray(0, (to - from) * 8000), from * 8000);
  return out;
}

t.test('dead air, agent first word and talk ratios from the two channels', async (t) => {
  // The caller says something for 2 s; the agent is silent until 12 s, then talks for 3 s.
  const m = await measureAudio(channel(16, [[0, 2, 1000]]), channel(16, [[12, 15, 600]]));
  t.same(m.deadAir, { fromS: 2, toS: 12 }, 'the silence between the caller and the agent');
  t.equal(m.agentFirstWordS, 12);
  t.equal(m.overTalkS, 0);
  t.ok(Math.abs(m.callerTalkRatio - 2 / 16) < 0.02 && Math.abs(m.agentTalkRatio - 3 / 16) < 0.02, `talk ratios ${m.callerTalkRatio} ${m.agentTalkRatio}`);
  const s = scoreCall(facts({ audio: m }), undefined);
  t.same(s.findings.map((f) => [f.rule, f.atS]), [['dead-air', 2], ['slow-first-word', 12]], 'default rules: dead air at second 2, slow first word');
  t.equal(s.score, 60);
  t.equal(s.flagged, true);
});

t.test('over-talk: both speak at once; turn-taking with short overlaps is not', async (t) => {
  const over = await measureAudio(channel(8, [[1, 6, 1000]]), channel(8, [[2, 7, 600]]));
  t.equal(over.overTalkS, 4);
  t.same(over.longestOverTalk, { fromS: 2, toS: 6 });
  const s = scoreCall(facts({ audio: over }), undefined);
  t.same(s.findings.map((f) => [f.rule, f.atS]), [['over-talk', 2]]);
  t.equal(s.flagged, true, 'a major rule takes 25 points: under the default 80');
  t.equal(scoreCall(facts({ audio: over }), { flag_below: 70 }).flagged, false, 'with flag_below: 70, 75 points are not flagged');

  const normal = await measureAudio(channel(10, [[0, 2, 1000], [4.5, 6, 1000]]), channel(10, [[1.8, 4.3, 600], [6.2, 9, 600]]));
  t.equal(normal.overTalkS, 0, 'a 0.2 s overlap is not over-talk');
  const ok = scoreCall(facts({ audio: normal }), undefined);
  t.same(ok.findings, []);
  t.equal(ok.score, 100);
  t.equal(ok.flagged, false);
});

t.test('rules from the config: thresholds, weights, severities, text rules on a stored transcript', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-q-'));
  const db = await openStore(dir);
  t.teardown(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const at = (s: number): string => new Date(Date.parse('2026-03-02T10:00:00.000Z') + s * 1000).toISOString();
  await db.run("INSERT INTO calls (id, line_id, offered_at, queued_at, agent_answered_at, agent_ext, ended_at, outcome) VALUES ('q1', 'gsm1', ?, ?, ?, '801', ?, 'transferred')", [at(-40), at(-35), at(0), at(60)]);
  const say = (s: number, speaker: string, text: string, emotion: number | null = null): Promise<unknown> => db.run('INSERT INTO utterances (call_id, at, speaker, text, emotion_score) VALUES (?, ?, ?, ?, ?)', ['q1', at(s), speaker, text, emotion]);
  await say(-30, 'caller', '我要投诉', 0.4);
  await say(1, 'agent', '您好,请问有什么可以帮您');
  await say(20, 'caller', '你们太慢了', 0.9);
  await say(30, 'agent', '这是你自己的问题,闭嘴');
  await say(55, 'agent', '还有别的问题吗');
  await db.run("INSERT INTO surveys (call_id, score, scale, at) VALUES ('q1', 2, 5, ?)", [at(70)]);
  await db.run("INSERT INTO call_timeline (call_id, at, event, data) VALUES ('q1', ?, 'call.agent', ?)", [at(0), JSON.stringify({ result: 'answered', extension: '801' })]);

  const f = (await gatherFacts(db, 'q1'))!;
  t.equal(f.agent, '801');
  t.equal(f.waitS, 35, 'wait before answer from the CDR');
  t.same([f.emotionStart, f.emotionEnd], [0.4, 0.9], 'caller emotion at the start and the end');
  t.same([f.surveyOffered, f.surveyScore], [true, 2]);
  t.equal(f.audio, undefined, 'no recording, no audio measures');

  const cfg: QualityConfig = {
    flag_below: 70,
    rules: [
      { id: 'greeting', require: ['您好', 'hello'], within: '10s', weight: 10 },
      { id: 'closing', require: ['再见', 'goodbye', '感谢您的来电'], at: 'end', within: '15s', weight: 10, severity: 'minor' },
      { id: 'rude', forbid: ['闭嘴', 'shut up'], weight: 40, severity: 'critical' },
      { id: 'upset', metric: 'caller_emotion_end', above: 0.7, weight: 15, severity: 'major' },
      { id: 'survey', metric: 'survey_score', below: 3, weight: 10 },
      { id: 'wait', metric: 'wait', above: 60, weight: 10 },
      { id: 'dead-air', metric: 'dead_air', above: 8, weight: 30 },
    ],
  };
  const s = scoreCall(f, cfg);
  t.same(s.findings.map((x) => [x.rule, x.severity, x.atS ?? null]), [['closing', 'minor', null], ['rude', 'critical', 30], ['upset', 'major', null], ['survey', 'minor', null]], 'greeting found; closing missing; forbidden word at second 30');
  t.equal(s.score, 25);
  t.equal(s.flagged, true);
  t.equal(s.metrics.dead_air, null, 'audio rules do not fire without a recording');

  // Without any transcript, phrase rules cannot be judged and do not fire.
  t.same(scoreCall({ ...f, transcript: [] }, { rules: [cfg.rules![0]!, cfg.rules![1]!] }).findings, []);
});

function facts(over: Partial<CallFacts>): CallFacts {
  return { callId: 'x', agent: '801', waitS: 5, transfers: 0, holds: 0, holdS: 0, emotionStart: null, emotionEnd: null, surveyOffered: false, surveyScore: null, transcript: [], ...over };
}

t.test('the quality extension scores an agent call when it ends, unless quality.enabled is false', async (t) => {
  const { QualityExtension } = await import('../../../daemon/quality/extension.js');
  const dir = await mkdtemp(join(tmpdir(), 'fd-qx-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await openStore(dir);
  let enabled = true;
  const q = new QualityExtension();
  const { bus, ctx, store } = await startFeature(t, { db, config: () => ({ quality: { enabled } }) as never, feature: q });
  const scored: string[] = [];
  bus.on('quality.scored', (e) => void scored.push(e.data.callId));
  const agentCall = async (id: string): Promise<void> => {
    bus.emit('call.offered', { callId: id, lineId: 'gsm1' });
    bus.emit('call.phase', { callId: id, phase: 'queued', detail: { queue: 'general' } });
    bus.emit('call.phase', { callId: id, phase: 'connected', detail: { agent: '801' } });
    bus.emit('call.ended', { callId: id, outcome: 'transferred', hungUpBy: 'agent' });
    await store.flushed();
    await q.stop(); // waits for inspections in progress
    await q.start(ctx);
  };
  await agentCall('a1');
  bus.emit('call.offered', { callId: 'b1', lineId: 'gsm1' });
  bus.emit('call.ended', { callId: 'b1', outcome: 'bot-resolved', hungUpBy: 'caller' });
  enabled = false;
  await agentCall('a2');
  t.same(scored, ['a1'], 'the agent call is scored; the bot-only call and the call with inspection off are not');
  const row = await db.get<{ agent: string; score: number; flagged: number }>("SELECT agent, score, flagged FROM quality_scores WHERE call_id = 'a1'");
  t.same(row, { agent: '801', score: 100, flagged: 0 }, 'stored (no recording, nothing measured, nothing broken)');
});
