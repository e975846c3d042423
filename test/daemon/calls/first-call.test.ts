import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, rms, tone, toneLevel, toneSamples } from '../../../drivers/audio/tones.js';
import { startPhone, writeTestWav } from '../../helpers/baresip.js';
import { readWavChannels } from '../../../drivers/audio/wav.js';
import { startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';

const CALLER = '+8613812345678';


/** What the daemon sent the caller since `from` (performance.now()), as one PCM buffer. */
function heardByCaller(rec: { at: number; frame: Buffer }[], from: number): Buffer {
  return Buffer.concat(rec.filter((r) => r.at >= from).map((r) => r.frame));
}

t.test('GSM caller → greeting → DTMF 2 → answer → 0 → desk phone; audio both ways; CDR', async (t) => {
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-wav-'));
  const phone = await startPhone({ user: '801', answer: 'auto', playWav: await writeTestWav(wavDir, 'agent-600hz.wav', toneSamples(600, 30_000)) });
  t.teardown(() => phone.stop());
  const box = await startBox({ agents: [{ extension: '801', contact: phone.uri }], record: true });
  t.teardown(() => box.close());
  const modem = box.emu.modem;

  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  t.ok(modem.commands.some((c) => c.line === 'ATA'), 'the daemon answered with ATA');
  const answeredAt = performance.now();
  await sleep(1500);
  const greeting = heardByCaller(modem.recording, answeredAt);
  t.ok(rms(greeting) > 300, `the caller hears the greeting (rms ${rms(greeting).toFixed(0)})`);

  // DTMF 2 in band, interrupting the greeting: the menu's answer follows.
  modem.play(dtmfTones('2', 120, 200));
  const turn = await box.event('bot.turn', (l) => (l.input as { value: string }).value === '2');
  t.match(turn.say, /open from nine to six/, 'menu answer chosen');
  await sleep(1500);

  // 0: the announcement, then the desk phone rings with the caller's number and answers.
  modem.play(dtmfTones('0', 120, 200));
  await box.event('handoff.requested', (l) => l.reason === 'requested');
  const established = await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  t.match(String(established.peeruri ?? ''), CALLER.slice(1), `agent's phone shows the caller number (${String(established.peeruri)})`);
  t.match(String(established.peerdisplayname ?? ''), /agent/, `and why they call (${String(established.peerdisplayname)})`);
  await box.event('call.phase', (l) => l.phase === 'connected', 30_000);

  // Caller speaks a 1 kHz tone; the agent's phone plays 600 Hz.
  await sleep(500);
  const talkFrom = performance.now();
  modem.play(tone([1000], 3000, -10));
  await sleep(3500);
  const toCaller = heardByCaller(modem.recording, talkFrom);
  t.ok(toneLevel(toCaller, 600) > 0.05, `600 Hz from the desk phone reaches the caller (${toneLevel(toCaller, 600).toFixed(3)})`);

  // The caller hangs up: the desk phone gets BYE.
  modem.hangup();
  await phone.waitEvent('CALL_CLOSED', 15_000);
  const heard = await phone.heard();
  t.ok(toneLevel(heard, 1000) > 0.05, `1 kHz from the caller reached the desk phone's recording (${toneLevel(heard, 1000).toFixed(3)})`);
  await box.event('call.ended', (l) => l.outcome === 'transferred');

  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls', [], (r) => r.ended_at !== null);
  t.equal(cdr.caller, CALLER);
  t.equal(cdr.outcome, 'transferred');
  t.equal(cdr.hung_up_by, 'caller');
  t.equal(cdr.agent_ext, '801');
  t.equal(cdr.queue_id, 'general');
  t.equal(cdr.menu_path, '2>0');
  for (const k of ['offered_at', 'answered_at', 'bot_ended_at', 'queued_at', 'agent_ring_at', 'agent_answered_at', 'ended_at']) {
    t.ok(cdr[k], `CDR has ${k}`);
  }
  t.ok(cdr.offered_at! <= cdr.answered_at! && cdr.answered_at! <= cdr.queued_at! && cdr.queued_at! <= cdr.agent_answered_at! && cdr.agent_answered_at! <= cdr.ended_at!, 'timestamps in order');
  // The conversation was recorded with both voices.
  const rec = await box.row<{ recording_path: string; recording_ms: number }>('SELECT recording_path, recording_ms FROM calls', [], (r) => r.recording_path !== null);
  const wav = await readWavChannels(rec.recording_path);
  t.ok(rec.recording_ms >= 3000, `recording of ${rec.recording_ms} ms`);
  const [callerCh, agentCh] = wav.channels as [Int16Array, Int16Array];
  t.equal(wav.channels.length, 2, 'a stereo recording');
  t.ok(toneLevel(callerCh, 1000) > 0.02 && toneLevel(callerCh, 600) < 0.01, `left: the caller (1 kHz ${toneLevel(callerCh, 1000).toFixed(3)}, 600 Hz ${toneLevel(callerCh, 600).toFixed(3)})`);
  t.ok(toneLevel(agentCh, 600) > 0.02 && toneLevel(agentCh, 1000) < 0.01, `right: the agent (600 Hz ${toneLevel(agentCh, 600).toFixed(3)}, 1 kHz ${toneLevel(agentCh, 1000).toFixed(3)})`);
  const timeline = await box.row<{ n: number }>('SELECT COUNT(*) AS n FROM call_timeline WHERE call_id = ?', [cdr.id!], (r) => r.n > 5);
  t.ok(timeline.n > 5, `timeline has ${timeline.n} rows`);
});

