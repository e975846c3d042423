import t from 'tap';
import { join } from 'node:path';
import { startPhone } from '../../helpers/baresip.js';
import { writeLoudIsAngryModel } from '../../helpers/emotion-models.js';
import { sleep } from '../../helpers/net.js';
import { eventAfter, mark, ringToBot } from '../../helpers/routing.js';
import { espeak, toBuffer } from '../../helpers/speech.js';
import { launchChromium, pageAs, shotDir, startConsoleBox, tempDir } from './rig.js';

const CALLER = '+8613812349999';

/**
 * The screen-pop's emotion: a caller who sounds angry (the speech worker's emotion model on the real
 * call audio) is handed to an agent with reason emotion, and the ringing workbench says so.
 */
t.test('screen-pop: the emotion the speech worker heard, and the hand-off it caused', async (t) => {
  const dir = await tempDir(t, 'fd-emo-console-');
  const model = await writeLoudIsAngryModel(dir);
  const phone = await startPhone({ user: '801', answer: 'manual' });
  t.teardown(() => phone.stop());
  const cb = await startConsoleBox({
    agents: [{ extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' }, { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'logged_in: false' }],
    ringTimeout: '60s',
    bot: `  greeting: "Welcome. Press 0 for a person."
  language: en-US
  menu:
    "0": agent
  handoff:
    say: "Please hold."
    default_queue: general
    when: { emotion: { label: angry, above: 0.7, for: 2 } }`,
    speech: `  tts: { voice: en }\n  worker: true\n  vad: { engine: silero, start: 0.2s, end_silence: 0.7s, barge_in: 0.4s }\n  emotion: { model: ${model} }`,
  });
  t.teardown(() => cb.close());
  const { box, url } = cb;
  await box.event('speech worker ready', () => true, 30_000);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page: work } = await pageAs(browser, url, 'ann', 'en');
  await work.waitForSelector('#agent-state[data-state="available"]');

  const loud = toBuffer(await espeak('en', 'This is completely unacceptable, I have been waiting for an hour', ['-a', '200']));
  const from = mark(box);
  const callId = await ringToBot(box, 0, CALLER);
  box.emu.modem.play(loud);
  await eventAfter(box, from, 'speech.utterance', (l) => l.callId === callId && l.utt === 1, 20_000);
  await sleep(300);
  box.emu.modem.play(loud);
  const handoff = await eventAfter(box, from, 'handoff.requested', (l) => l.callId === callId, 20_000);
  t.equal(handoff.reason, 'emotion', 'the bot hands off because the caller is angry');

  await work.waitForSelector(`#pop-body[data-call-id="${callId}"]`);
  t.equal(await work.textContent('#pop-reason'), 'Emotion', 'why: emotion');
  const shown = (await work.textContent('#pop-emotion')) ?? '';
  const m = /^angry (\d+)%$/.exec(shown);
  t.ok(m && Number(m[1]) > 70, `the emotion the model read: "${shown}" (hand-off above 70 %)`);
  await work.screenshot({ path: join(await shotDir(), 'workbench-emotion-en.png') });
  box.emu.modem.hangup();
  await eventAfter(box, from, 'call.ended', (l) => l.callId === callId, 20_000);
});
