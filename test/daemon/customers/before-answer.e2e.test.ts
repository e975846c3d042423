import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, rms, toneLevel, toneSamples } from '../../../drivers/audio/tones.js';
import { startBox, type Box } from '../../helpers/box.js';
import { startCrm } from '../../helpers/crm.js';
import { writeTestWav } from '../../helpers/baresip.js';
import { waitFor } from '../../helpers/net.js';
import { Db } from '../../../daemon/store/db.js';

const SECRET = 'crm-lookup-secret-0123456789';
const ENGLISH = '+8613800000001';
const SLOW = '+8613800000002';
const REGULAR = '+8613800000003';
const NEW = '+8613800000004';
const RECORD_EN = '+8613800000005';
const VIP = '+8613800000006';
/** The options' recorded offers are tones, so the order the caller hears them in can be measured. */
const HOURS_HZ = 500;
const BILLING_HZ = 1400;

const BOT = `  greeting: { zh: "您好。", en: "Welcome." }
  language: zh-CN
  menu_personalise: true
  menu:
    "1": { label: { zh: 营业时间, en: opening hours }, label_prompt: offer-hours, say: { zh: 九点到六点。, en: Nine to six. } }
    "2": { label: { zh: 账单, en: billing }, label_prompt: offer-billing, say: { zh: 请稍候。, en: One moment. } }
    "0": agent
  handoff: { default_queue: general }`;

/** Rings the box from `number` and waits for the bot's first words. */
async function call(box: Box, number: string): Promise<{ callId: string; offeredAt: number; started: Record<string, unknown>; answeredAt: number }> {
  const from = box.daemon.logs.length;
  box.emu.modem.ring(number);
  const after = (type: string, ok: (l: Record<string, unknown>) => boolean) => box.event(type, (l) => box.daemon.logs.indexOf(l) >= from && ok(l));
  const offered = await after('call.offered', (l) => l.caller === number);
  const callId = String(offered.callId);
  await after('call.phase', (l) => l.callId === callId && l.phase === 'bot');
  const answeredAt = performance.now();
  const started = await after('bot.started', (l) => l.callId === callId);
  return { callId, offeredAt: Number(offered.time), started, answeredAt };
}

async function hangUp(box: Box, callId: string): Promise<void> {
  box.emu.modem.hangup();
  await box.event('call.ended', (l) => l.callId === callId);
}

/** When (ms after `from`) the caller first heard each offer tone, from the modem's recording of the daemon's audio. */
async function offerOrder(box: Box, from: number): Promise<string[]> {
  // A frame of the tone: strong (played at -12 dBFS, amplitude 0.25) and nearly all of the frame's energy (not speech).
  const isTone = (frame: Buffer, hz: number): boolean => toneLevel(frame, hz) > 0.2 && toneLevel(frame, hz) > (0.8 * rms(frame) * Math.SQRT2) / 32768;
  const onset = (hz: number): number | undefined => box.emu.modem.recording.find((r) => r.at >= from && isTone(r.frame, hz))?.at;
  await waitFor(() => onset(HOURS_HZ) !== undefined && onset(BILLING_HZ) !== undefined, 15_000, 'both offers heard');
  return [['hours', onset(HOURS_HZ)!] as const, ['billing', onset(BILLING_HZ)!] as const].sort((a, b) => a[1] - b[1]).map((x) => x[0]);
}

t.test('crm_lookup before answering sets the call\'s language (cached, with a timeout); a personalised menu offers the caller\'s favourite first', async (t) => {
  const crm = await startCrm(SECRET, (n) => (n === ENGLISH ? { language: 'en-US' } : n === VIP ? { vip: true, name: 'Wang' } : n === SLOW ? 'never' : undefined));
  t.teardown(() => crm.down().catch(() => undefined));
  const prompts = await mkdtemp(join(tmpdir(), 'fd-prompts-'));
  t.teardown(() => rm(prompts, { recursive: true, force: true }));
  await writeTestWav(prompts, 'offer-hours.wav', toneSamples(HOURS_HZ, 700));
  await writeTestWav(prompts, 'offer-billing.wav', toneSamples(BILLING_HZ, 700));
  const box = await startBox({
    agents: [{ extension: '801' }],
    bot: BOT,
    speech: `  tts: { voice: cmn }\n  worker: false\n  prompts_dir: ${prompts}`,
    extra: `crm_lookup:\n  url: https://127.0.0.1:${crm.port}/lookup\n  secret: ${SECRET}\n  ca: ${crm.caFile}\n  timeout: 700ms\n  cache: 1h`,
  });
  t.teardown(() => box.close());

  await t.test('the CRM says en-US: the greeting and the offers are English; the second call is answered from the cache', async (t) => {
    const first = await call(box, ENGLISH);
    t.match(first.started, { language: 'en-US', say: 'Welcome. For opening hours, press 1. For billing, press 2.', prompts: ['offer-hours', 'offer-billing'] });
    t.same(crm.lookups, [{ number: ENGLISH, signed: true }], 'one signed lookup, before the answer');
    await hangUp(box, first.callId);
    const again = await call(box, ENGLISH);
    t.match(again.started, { language: 'en-US' }, 'English again');
    t.equal(crm.lookups.length, 1, 'no second request within the cache time');
    await hangUp(box, again.callId);
  });

  await t.test('the CRM does not know them, the customer record says en-US: English; VIP from the CRM skips the greeting', async (t) => {
    const db = await Db.open(join(box.dataDir, 'frontdesk.db'));
    await db.run("INSERT INTO customers (number, language, created_at) VALUES (?, 'en-US', '2026-01-01T00:00:00Z')", [RECORD_EN]);
    await db.close();
    const known = await call(box, RECORD_EN);
    t.match(known.started, { language: 'en-US', say: /^Welcome\./ });
    await hangUp(box, known.callId);
    const vip = await call(box, VIP);
    t.match(vip.started, { say: '' }, 'no greeting');
    await box.event('handoff.requested', (l) => l.callId === vip.callId && l.reason === 'vip');
    await hangUp(box, vip.callId);
    await box.row('SELECT name, vip FROM customers WHERE number = ?', [VIP], (r: { name: string | null; vip: number }) => r.name === 'Wang' && r.vip === 1);
    t.pass('the CRM\'s answer is kept in the customer record');
  });

  await t.test('a CRM that does not answer: the call goes on in the bot\'s language after the timeout; alarm', async (t) => {
    const slow = await call(box, SLOW);
    const answered = await box.event('call.phase', (l) => l.callId === slow.callId && l.phase === 'bot');
    const waited = Number(answered.time) - slow.offeredAt;
    t.ok(waited >= 650 && waited < 5000, `answered ${waited} ms after the ring (crm_lookup.timeout 700ms)`);
    t.match(slow.started, { language: 'zh-CN', say: '您好。 营业时间请按1。 账单请按2。' }, 'Chinese, the bot\'s language');
    await box.event('alarm', (l) => l.code === 'crm-lookup-failing' && l.active === true);
    await hangUp(box, slow.callId);
  });

  await t.test('a caller who chose 2 three times hears billing offered first; a new caller hears the configured order', async (t) => {
    for (let i = 0; i < 3; i++) {
      const c = await call(box, REGULAR);
      if (i === 0) {
        t.match(c.started, { prompts: ['offer-hours', 'offer-billing'] }, 'first call: the configured order');
        await box.event('alarm', (l) => l.code === 'crm-lookup-failing' && l.active === false);
        t.pass('the CRM answered this caller (404, unknown): crm-lookup-failing cleared');
      }
      box.emu.modem.play(dtmfTones('2', 120, 200));
      await box.event('bot.turn', (l) => l.callId === c.callId && (l.input as { value: string }).value === '2');
      await hangUp(box, c.callId);
      await box.row('SELECT menu_path FROM calls WHERE id = ?', [c.callId], (r: { menu_path: string | null }) => r.menu_path === '2');
    }

    const known = await call(box, REGULAR);
    t.match(known.started, { language: 'zh-CN', say: '您好。 账单请按2。 营业时间请按1。', prompts: ['offer-billing', 'offer-hours'] }, 'billing first, still on key 2');
    t.same(await offerOrder(box, known.answeredAt), ['billing', 'hours'], 'and that is the order the caller hears');
    box.emu.modem.play(dtmfTones('2', 120, 200));
    const turn = await box.event('bot.turn', (l) => l.callId === known.callId && (l.input as { value: string }).value === '2');
    t.equal(turn.say, '请稍候。', 'key 2 is still billing');
    await hangUp(box, known.callId);

    const fresh = await call(box, NEW);
    t.match(fresh.started, { say: '您好。 营业时间请按1。 账单请按2。', prompts: ['offer-hours', 'offer-billing'] }, 'a new caller: the configured order');
    t.same(await offerOrder(box, fresh.answeredAt), ['hours', 'billing'], 'heard in that order');
    await hangUp(box, fresh.callId);
  });
});
