import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, rms } from '../../../drivers/audio/tones.js';
import { startPhone, writeTestWav } from '../../helpers/baresip.js';
import { startBox, type Box } from '../../helpers/box.js';
import { writeLoudIsAngryModel } from '../../helpers/emotion-models.js';
import { sleep } from '../../helpers/net.js';
import { eventAfter, mark } from '../../helpers/routing.js';
import { espeak, toBuffer } from '../../helpers/speech.js';

/**
 * Speech in real calls: GSM modem emulator → the real daemon with its speech worker (Silero VAD,
 * emotion model; no Vosk model is available offline, so no transcripts) → what the caller hears.
 */

const CALLER = '+8613812345678';
const GREETING = 'Welcome to the branch office. This greeting is long on purpose, so that a caller has time to talk over it. Press 2 for opening hours, or 0 for a person. Thank you for calling, and have a very nice day.';

function bot(extra = ''): string {
  return `  greeting: "${GREETING}"
  language: en-US
  menu:
    "2": { say: "We are open from nine to six.", then: menu }
    "0": agent
  menu_prompt: "Anything else?"
  handoff:
    say: "Please hold, I am connecting you."
    default_queue: general
    no_agent_say: "Sorry, nobody can take your call."
${extra}
  voicemail: { say: "Leave a message after the tone." }
  goodbye: "Goodbye."`;
}

function speech(extra = ''): string {
  return `  tts: { voice: en }
  worker: true
  vad: { engine: silero, start: 0.2s, end_silence: 0.7s, barge_in: 0.4s }
${extra}`;
}

function heard(box: Box, from: number, to: number): Buffer {
  return Buffer.concat(box.emu.modem.recording.filter((r) => r.at >= from && r.at < to).map((r) => r.frame));
}


/** An agent nobody will reach (these calls never hand off). */
const NOBODY = [{ extension: '899', contact: 'sip:899@127.0.0.1:9' }];

const talk = toBuffer(await espeak('en', 'Hello, I would like to speak to somebody about my account please'));

/** One box for the first two tests (same config; each waits only for what happens after its own start). */
let shared: Promise<Box> | undefined;
function sharedBox(): Promise<Box> {
  shared ??= startBox({ agents: NOBODY, bot: bot(), speech: speech() }).then((box) => {
    t.teardown(() => box.close());
    return box;
  });
  return shared;
}

t.test('barge-in: the caller talking stops the greeting', async () => {
  const box = await sharedBox();
  await box.event('speech worker ready');
  box.emu.modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  const answeredAt = performance.now();
  await sleep(2500);
  t.ok(rms(heard(box, answeredAt, performance.now())) > 300, 'the caller hears the greeting');
  const speakAt = performance.now();
  box.emu.modem.play(talk);
  const u = await box.event('speech.utterance', () => true, 20_000);
  t.ok((u.durationMs as number) > 2000, `the daemon heard an utterance of ${String(u.durationMs)} ms`);
  // The greeting is ~14 s long: without barge-in it would still be playing for seconds.
  const after = rms(heard(box, speakAt + 1500, speakAt + 3500));
  const before = rms(heard(box, speakAt - 2000, speakAt));
  t.ok(before > 300, `greeting playing before the caller spoke (rms ${before.toFixed(0)})`);
  t.ok(after < 50, `silence once the caller talked over it (rms ${after.toFixed(0)})`);
  const rec = box.emu.modem.recording.filter((r) => r.at >= speakAt);
  const cut = rec.findIndex((_r, i) => rec.slice(i, i + 5).every((x) => rms(x.frame) < 50));
  if (cut >= 0) t.comment(`prompt stopped ${(rec[cut]!.at - speakAt).toFixed(0)} ms after the caller's audio began (espeak-ng leads with ~100 ms of silence; barge_in 0.4 s)`);
  box.emu.modem.hangup();
  await box.event('call.ended');
});

t.test('the speech worker killed mid-call: DTMF still works, the worker comes back, alarm raised and cleared', async (t) => {
  const box = await sharedBox();
  const ready = await box.event('speech worker ready');
  // The worker running now (the latest one ready).
  const pid = (box.daemon.logs.filter((l) => l.msg === 'speech worker ready').at(-1) ?? ready).pid as number;
  t.notOk(box.daemon.logs.some((l) => l.msg === 'alarm' && l.code === 'speech-worker-down'), 'the worker has not been down before');
  const from = mark(box);
  box.emu.modem.ring(CALLER);
  const offered = await eventAfter(box, from, 'call.offered');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
  await sleep(1000);
  process.kill(pid, 'SIGKILL');
  const raised = await eventAfter(box, from, 'alarm', (l) => l.code === 'speech-worker-down' && l.active === true);
  t.match(raised.message, /DTMF-only/, `alarm: ${String(raised.message)}`);
  box.emu.modem.play(dtmfTones('2', 120, 200));
  const turn = await eventAfter(box, from, 'bot.turn', (l) => l.callId === offered.callId && (l.input as { value: string }).value === '2');
  t.match(turn.say, /open from nine to six/, 'the caller pressed 2 and got the answer');
  const again = await box.daemon.waitForLog((l) => l.msg === 'speech worker ready' && l.pid !== pid, 30_000);
  t.not(again.pid, pid, `a new worker (pid ${String(again.pid)})`);
  await eventAfter(box, from, 'alarm', (l) => l.code === 'speech-worker-down' && l.active === false);
  t.pass('alarm cleared');
  await sleep(2500); // let the menu answer finish
  box.emu.modem.play(talk);
  await eventAfter(box, from, 'speech.utterance', (l) => l.callId === offered.callId, 20_000);
  t.pass('the same call is heard again by the new worker');
  const alarms = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM alarms WHERE code = 'speech-worker-down'", [], (r) => r.n >= 1);
  t.ok(alarms.n >= 1, 'the alarm is in the store');
  box.emu.modem.hangup();
  await eventAfter(box, from, 'call.ended', (l) => l.callId === offered.callId && l.outcome === 'bot-resolved');
});

t.test('sustained negative emotion hands the caller to an agent with reason emotion', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-emo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = await writeLoudIsAngryModel(dir);
  const phone = await startPhone({ user: '801', answer: 'auto', playWav: await writeTestWav(dir, 'agent.wav', new Int16Array(8000 * 20)) });
  t.teardown(() => phone.stop());
  const box = await startBox({
    agents: [{ extension: '801', contact: phone.uri }],
    bot: bot('    when: { emotion: { label: angry, above: 0.7, for: 2 } }'),
    speech: speech(`  emotion: { model: ${model} }`),
  });
  t.teardown(() => box.close());
  await box.event('speech worker ready');
  const loud = toBuffer(await espeak('en', 'This is completely unacceptable, I have been waiting for an hour', ['-a', '200']));
  box.emu.modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(1500);
  box.emu.modem.play(loud);
  const u1 = await box.event('speech.utterance', (l) => l.utt === 1, 20_000);
  t.equal((u1.emotion as { label: string }).label, 'angry', 'first utterance reads angry');
  await sleep(300);
  box.emu.modem.play(loud);
  const h = await box.event('handoff.requested', () => true, 20_000);
  t.equal(h.reason, 'emotion', 'handoff with reason emotion after two angry utterances');
  const est = await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  t.match(String(est.peerdisplayname ?? ''), /emotion/, `the agent's phone shows why (${String(est.peerdisplayname)})`);
  box.emu.modem.hangup();
  await box.event('call.ended');
});
