import t from 'tap';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, tone, toneLevel, toneSamples } from '../../../drivers/audio/tones.js';
import { readWav, readWavChannels } from '../../../drivers/audio/wav.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { sleep } from '../../helpers/net.js';

/** An agent's audio: [fromS, toS] of a 600 Hz voice, silence elsewhere; baresip hangs up when it ends. */
function agentTrack(totalS: number, talk: [number, number][]): Int16Array {
  const out = new Int16Array(Math.round(totalS * 8000));
  for (const [from, to] of talk) out.set(toneSamples(600, (to - from) * 1000, -12).subarray(0, Math.round((to - from) * 8000)), Math.round(from * 8000));
  return out;
}

const QUALITY = `quality:
  rules:
    - { id: dead-air, metric: dead_air, above: 5, weight: 30, severity: major }
    - { id: over-talk, metric: over_talk, above: 3, weight: 25, severity: major }
    - { id: slow-first-word, metric: agent_first_word, above: 5, weight: 10, severity: minor }
    - { id: long-wait, metric: wait, above: 60, weight: 10, severity: minor }
    - { id: caller-upset-at-end, metric: caller_emotion_end, above: 0.7, weight: 20, severity: major }
    - { id: low-survey, metric: survey_score, below: 3, weight: 20, severity: major }
`;

interface Scored {
  callId: string;
  agent?: string;
  score: number;
  flagged: boolean;
  findings: { rule: string; atS?: number; value: unknown }[];
  metrics: Record<string, number | null>;
}

/**
 * Real calls: an emulated GSM caller, the daemon, a baresip desk phone (agent 801) and mosquitto as
 * central IT. A normal call scores high; one where both talk at once is flagged for over-talk; one
 * where the agent stays silent after answering is flagged for dead air at the right second. Scores
 * and flags reach MQTT and the agent's average moves. The recordings are two-leg stereo files.
 */
t.test('quality inspection of agent calls: normal, over-talk, dead air; scores on MQTT', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/test/box-1/events', 'frontdesk/test/box-1/metrics']);
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-qe-'));
  t.teardown(() => rm(wavDir, { recursive: true, force: true }));
  const agentWav = join(wavDir, 'agent.wav');
  await writeTestWav(wavDir, 'agent.wav', agentTrack(1, []));
  const phone = await testPhone(t, { user: '801', answer: 'auto', playWav: agentWav });
  const box = await startBox({
    agents: [phoneAgent(phone)],
    record: 'mixed',
    bot: `  greeting: "Hi."
  language: en-US
  menu: { "0": agent }
  handoff: { default_queue: general }`,
    // The default rules (daemon/quality/rules.ts), but dead air over 5 s instead of 8 s, so the
    // dead-air call need not last 14 s (a 3.5 s hold must stay under it).
    extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 1s\n${QUALITY}`,
  });
  t.teardown(() => box.close());
  const modem = box.emu.modem;

  /** One call: the agent's phone plays `agent`; `caller` runs once the call is connected. */
  const call = async (agent: Int16Array, caller: () => Promise<void>): Promise<Scored> => {
    await writeTestWav(wavDir, 'agent.wav', agent); // baresip opens its audio file anew for each call
    const n = box.daemon.logs.filter((l) => l.msg === 'call.offered').length;
    modem.ring('+8613812345678');
    const offered = await box.event('call.offered', () => box.daemon.logs.filter((l) => l.msg === 'call.offered').length > n);
    const callId = String(offered.callId);
    await box.event('call.phase', (l) => l.callId === callId && l.phase === 'bot');
    modem.play(dtmfTones('0', 120, 200));
    await box.event('call.phase', (l) => l.callId === callId && l.phase === 'connected', 30_000);
    await caller();
    const ev = await central.waitFor((m) => m.topic.endsWith('/events') && (m.json as { type: string; data: { callId: string } }).type === 'quality.scored' && (m.json as { data: { callId: string } }).data.callId === callId, 40_000, `quality.scored for ${callId}`);
    return (ev.json as { data: Scored }).data;
  };
  const agentAverage = async (pred: (avg: number) => boolean, what: string): Promise<number> => {
    let avg = NaN;
    await central.waitUntil(() => {
      const m = [...central.messages].reverse().find((x) => x.topic.endsWith('/metrics'));
      avg = (m?.json as { windows?: { today?: { quality?: { agents?: Record<string, { avgScore: number }> } } } } | undefined)?.windows?.today?.quality?.agents?.['801']?.avgScore ?? NaN;
      return pred(avg);
    }, 20_000, what);
    return avg;
  };

  // 1. A normal call: the agent greets, the caller answers in the pause, the agent replies.
  const normal = await call(agentTrack(7, [[0.3, 2.3], [4.6, 6.6]]), async () => {
    await sleep(2500);
    modem.play(tone([1000], 1500, -10));
  });
  t.same(normal.findings, [], `a normal call breaks no rule (${JSON.stringify(normal.metrics)})`);
  t.ok(normal.score >= 90 && !normal.flagged, `and scores high: ${normal.score}`);
  t.equal(normal.agent, '801');
  t.ok(await agentAverage((a) => a === normal.score, 'the first average'), 'the agent average on MQTT metrics');

  // The two-leg recording of that call: the caller left, the agent right; the mixed copy beside it.
  const rec = await box.row<{ recording_path: string }>('SELECT recording_path FROM calls WHERE id = ?', [normal.callId], (r) => r.recording_path !== null);
  const wav = await readWavChannels(rec.recording_path);
  const [left, right] = wav.channels as [Int16Array, Int16Array];
  t.equal(wav.channels.length, 2, 'stereo');
  t.ok(toneLevel(left, 1000) > 0.05 && toneLevel(left, 600) < 0.01, `left channel: the caller's 1 kHz (${toneLevel(left, 1000).toFixed(3)}), not the agent (${toneLevel(left, 600).toFixed(3)})`);
  t.ok(toneLevel(right, 600) > 0.05 && toneLevel(right, 1000) < 0.01, `right channel: the agent's 600 Hz (${toneLevel(right, 600).toFixed(3)}), not the caller (${toneLevel(right, 1000).toFixed(3)})`);
  const mixedPath = rec.recording_path.replace(/\.wav$/, '.mixed.wav');
  await access(mixedPath);
  const mixed = (await readWav(mixedPath)).samples;
  t.ok(toneLevel(mixed, 1000) > 0.02 && toneLevel(mixed, 600) > 0.02, 'the mixed file holds both voices');

  // 2. Both talk at once for about 4.5 s (less the test's reaction time to the connect).
  const over = await call(agentTrack(6.5, [[0, 6]]), async () => void modem.play(tone([1000], 4500, -10)));
  const o = over.findings.find((f) => f.rule === 'over-talk');
  t.ok(o, `over-talk found: ${JSON.stringify(over.findings)}`);
  t.ok(Number(o?.value) > 3 && Number(o?.value) <= 5, `over-talk for ${String(o?.value)} s (the caller spoke 4.5 s; frames arrive with some jitter under load)`);
  t.ok(over.flagged, `flagged (score ${over.score})`);

  // 3. The caller says hello for 1.5 s; the agent stays silent until 8 s after answering.
  const dead = await call(agentTrack(10, [[8, 10]]), async () => void modem.play(tone([1000], 1500, -10)));
  const d = dead.findings.find((f) => f.rule === 'dead-air');
  t.ok(d, `dead air found: ${JSON.stringify(dead.findings)}`);
  t.ok(d!.atS! >= 1.2 && d!.atS! <= 3, `at second ${d!.atS} (when the caller's hello ended)`);
  t.ok(Math.abs(d!.atS! + Number(d!.value) - 8) < 1 && Number(d!.value) > 5, `for ${String(d!.value)} s, until the agent spoke at 8 s`);
  t.ok(dead.findings.some((f) => f.rule === 'slow-first-word' && f.atS! > 7 && f.atS! < 9), 'and the agent\'s first word came late');
  t.ok(dead.flagged, `flagged (score ${dead.score})`);
  const stored = await box.row<{ score: number; flagged: number; findings: string }>('SELECT score, flagged, findings FROM quality_scores WHERE call_id = ?', [dead.callId], () => true);
  t.same([stored.score, stored.flagged], [dead.score, 1], 'the score is stored');
  t.same((JSON.parse(stored.findings) as { rule: string; atS: number }[]).map((f) => [f.rule, f.atS]), dead.findings.map((f) => [f.rule, f.atS]), 'with its evidence (rule, second)');

  // 4. The agent puts the caller on hold for about 2 s (baresip sends re-INVITEs: sendonly, then sendrecv).
  const held = await call(agentTrack(7, [[0.3, 1.5], [5, 6.5]]), async () => {
    await sleep(1800);
    t.ok((await phone.command('hold')).ok, 'baresip: hold');
    await sleep(2000);
    t.ok((await phone.command('resume')).ok, 'baresip: resume');
  });
  t.equal(held.metrics.holds, 1, 'one hold');
  t.ok(Number(held.metrics.hold_time) >= 1.5 && Number(held.metrics.hold_time) <= 3, `on hold for ${held.metrics.hold_time} s`);

  await central.waitFor((m) => (m.json as { type?: string; data?: { callId: string } })?.type === 'quality.flagged' && (m.json as { data: { callId: string } }).data.callId === dead.callId, 10_000, 'quality.flagged');
  const flags = central.messages.filter((m) => (m.json as { type?: string })?.type === 'quality.flagged').map((m) => (m.json as { data: { callId: string } }).data.callId);
  t.same(flags.sort(), [over.callId, dead.callId].sort(), 'quality.flagged on MQTT for the two bad calls only');
  const expected = Math.round(((normal.score + over.score + dead.score + held.score) / 4) * 10) / 10;
  const avg = await agentAverage((a) => a === expected, `the average of the four scores, ${expected}`);
  t.ok(avg < normal.score, `the agent's average moved: ${normal.score} → ${avg}`);
});
