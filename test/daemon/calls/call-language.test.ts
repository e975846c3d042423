import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localTime } from '../../../daemon/bot/hours.js';
import { rms } from '../../../drivers/audio/tones.js';
import { startBox, type Box } from '../../helpers/box.js';
import { startPhone } from '../../helpers/baresip.js';
import { afterBeep, callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { TtsEngine } from '../../../daemon/speech/tts.js';
import { Db } from '../../../daemon/store/db.js';

const ENGLISH = '+8613800000001';
const CHINESE = '+8613800000002';

const TEXTS = {
  handoff: { zh: '请稍候,正在为您转接。', en: 'Please hold, I am connecting you.' },
  noAgent: { zh: '对不起,现在没有人可以接听。', en: 'Sorry, nobody can take your call.' },
  voicemail: { zh: '请在提示音后留言。', en: 'Leave a message after the tone.' },
  closed: { zh: '我们现在下班了,再见。', en: 'We are closed now. Goodbye.' },
};

const BOT = `  greeting: { zh: "您好,转人工请按0。", en: "Welcome. Press 0 for a person." }
  language: zh-CN
  menu:
    "0": agent
  handoff:
    say: { zh: "${TEXTS.handoff.zh}", en: "${TEXTS.handoff.en}" }
    default_queue: general
    no_agent_say: { zh: "${TEXTS.noAgent.zh}", en: "${TEXTS.noAgent.en}" }
  voicemail: { say: { zh: "${TEXTS.voicemail.zh}", en: "${TEXTS.voicemail.en}" } }`;

/**
 * Whether the caller on `line` heard exactly this speech: a loud 40 ms stretch from the middle of
 * the daemon's own synthesis (the same espeak-ng output, read from its TTS cache) is found, sample
 * for sample, in what the caller's modem received.
 */
async function heard(box: Box, line: number, text: string, voice: string, from: number): Promise<boolean> {
  const pcm = await new TtsEngine({ cacheDir: join(box.dataDir, 'tts-cache') }).synthesize(text, { voice });
  let at = Math.floor(pcm.length / 4) & ~1;
  while (at + 640 < pcm.length && rms(pcm.subarray(at, at + 640)) < 1500) at += 160;
  const probe = pcm.subarray(at, at + 640);
  const got = Buffer.concat(box.emus[line]!.modem.recording.filter((r) => r.at >= from).map((r) => r.frame));
  return got.indexOf(probe) >= 0;
}

t.test('hand-off, no-agent, voicemail and closed-hours texts follow the call\'s language', async (t) => {
  const phone = await startPhone({ user: '801', answer: 'manual' });
  t.teardown(() => phone.stop());
  const box = await startBox({
    lines: 2,
    bot: BOT,
    speech: '  tts: { voice: cmn }\n  worker: false',
    // A desk phone that rings and is never picked up: the hand-off announcement while it rings, then the apology and voicemail.
    agents: [{ extension: '801', contact: phone.uri }],
    ringTimeout: '3s',
  });
  t.teardown(() => box.close());
  const db = await Db.open(join(box.dataDir, 'frontdesk.db'));
  await db.run("INSERT INTO customers (number, language, created_at) VALUES (?, 'en-US', '2026-01-01T00:00:00Z')", [ENGLISH]);
  await db.close();

  for (const [line, number, lang, voice] of [[0, ENGLISH, 'en', 'en'], [1, CHINESE, 'zh', 'cmn']] as const) {
    const from = mark(box);
    const since = performance.now();
    const callId = await callAndPress(box, line, number);
    await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'voicemail', 20_000);
    // The voicemail prompt and its beep take a few seconds after that.
    await afterBeep(box.emus[line]!.modem, since);
    const other = lang === 'en' ? 'zh' : 'en';
    t.ok(await heard(box, line, TEXTS.handoff[lang], voice, since), `${number}: the ${lang} hand-off text`);
    t.ok(await heard(box, line, TEXTS.noAgent[lang], voice, since), `${number}: the ${lang} no-agent text`);
    t.ok(await heard(box, line, TEXTS.voicemail[lang], voice, since), `${number}: the ${lang} voicemail prompt`);
    t.notOk(await heard(box, line, TEXTS.handoff[other], other === 'en' ? 'en' : 'cmn', since), `${number}: not the ${other} hand-off text`);
    await hangUp(box, line, callId);
  }

  // Closed today (a holiday, applied by a reload): hours.closed.say in the caller's language too.
  const file = join(box.dir, 'frontdesk.yaml');
  const today = localTime(new Date(), 'Asia/Shanghai').date;
  await writeFile(file, `${await readFile(file, 'utf8')}\nhours:\n  open: { mon-sun: "00:00-24:00" }\n  holidays: ["${today}"]\n  closed: { say: { zh: "${TEXTS.closed.zh}", en: "${TEXTS.closed.en}" }, then: hangup }\n`);
  const reloadFrom = mark(box);
  box.daemon.kill('SIGHUP');
  await eventAfter(box, reloadFrom, 'config reloaded');
  for (const [line, number, lang, voice] of [[0, ENGLISH, 'en', 'en'], [1, CHINESE, 'zh', 'cmn']] as const) {
    const from = mark(box);
    const since = performance.now();
    box.emus[line]!.modem.ring(number);
    await eventAfter(box, from, 'call.ended', (l) => l.caller === number || box.daemon.logs.some((o) => o.msg === 'call.offered' && o.callId === l.callId && o.caller === number), 30_000);
    t.ok(await heard(box, line, TEXTS.closed[lang], voice, since), `${number}: the ${lang} closed-hours text`);
  }
});
