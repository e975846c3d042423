import t from 'tap';
import { rms } from '../../../drivers/audio/tones.js';
import { startBox, type Box } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';
import { espeak, toBuffer } from '../../helpers/speech.js';

/**
 * A prompt's echo on an analog line, through the real daemon and its speech worker (Silero VAD):
 * the V.253 emulator returns what the box sends 12 dB down. Without the canceller the bot hears
 * its own greeting as the caller talking; with it (the analog default) it does not, and a caller
 * who really talks over the greeting still stops it.
 */

const CALLER = '5551234';
const GREETING = 'Welcome to the branch office. This greeting is long on purpose, so that its echo on the line has time to do harm. Press 2 for opening hours, or 0 for a person. Thank you for calling, and have a very nice day.';
const BOT = `  greeting: "${GREETING}"
  language: en-US
  menu:
    "2": { say: "We are open from nine to six.", then: menu }
    "0": agent
  menu_prompt: "Anything else?"
  handoff:
    default_queue: general
    no_agent_say: "Sorry, nobody can take your call."
  goodbye: "Goodbye."`;
const SPEECH = `  tts: { voice: en }
  worker: true
  vad: { engine: silero, start: 0.2s, end_silence: 0.7s, barge_in: 0.4s }`;
/** An agent nobody will reach (these calls never hand off). */
const NOBODY = [{ extension: '899', contact: 'sip:899@127.0.0.1:9' }];

const talk = toBuffer(await espeak('en', 'Hello, I would like to speak to somebody about my account please'));

/** What the line recorded from the box (the caller hears it) between two moments. */
function heard(box: Box, from: number, to: number): Buffer {
  return Buffer.concat(box.analog!.recording.filter((r) => r.at >= from && r.at < to).map((r) => r.frame));
}

/** A box whose analog line echoes at -12 dB; ring it and wait for the bot to answer. */
async function answered(t: Tap, echoCancel: string): Promise<{ box: Box; callId: string; at: number }> {
  const box = await startBox({ agents: NOBODY, bot: BOT, speech: SPEECH, analog: { emulator: { echoDb: -12 }, yaml: `rings_before_answer: 1\necho_cancel: ${echoCancel}` } });
  t.teardown(() => box.close());
  await box.event('speech worker ready');
  await sleep(500);
  box.analog!.ring(CALLER);
  const phase = await box.event('call.phase', (l) => l.phase === 'bot');
  return { box, callId: phase.callId as string, at: performance.now() };
}
type Tap = { teardown(fn: () => void | Promise<void>): void };

t.test("with the canceller (analog default) the greeting's echo is not heard as the caller; the caller talking still stops it", async (t) => {
  const { box, callId, at } = await answered(t, '128ms');
  await sleep(9000);
  const playing = rms(heard(box, at + 7000, at + 9000));
  t.ok(playing > 300, `the greeting still plays 7-9 s in (rms ${playing.toFixed(0)}): its echo did not barge in`);
  t.notOk(box.daemon.logs.some((l) => l.msg === 'speech.utterance' && l.callId === callId), 'no utterance from the echo');
  const speakAt = performance.now();
  box.analog!.play(talk);
  const u = await box.event('speech.utterance', (l) => l.callId === callId, 20_000);
  t.ok((u.durationMs as number) > 2000, `the daemon heard the caller: an utterance of ${String(u.durationMs)} ms`);
  const after = rms(heard(box, speakAt + 1500, speakAt + 3500));
  t.ok(after < 50, `the greeting stopped once the caller talked over it (rms ${after.toFixed(0)})`);
  box.analog!.hangup('busy');
  await box.event('call.ended', (l) => l.callId === callId);
});

t.test("without the canceller the greeting's echo reads as the caller talking (the test above can fail)", async (t) => {
  const { box, callId } = await answered(t, 'off');
  const u = await box.event('speech.utterance', (l) => l.callId === callId, 12_000);
  t.ok(u, `the bot heard its own greeting as an utterance of ${String(u.durationMs)} ms`);
  box.analog!.hangup('busy');
  await box.event('call.ended', (l) => l.callId === callId);
});
