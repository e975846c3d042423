import t, { type Test } from 'tap';
import pino from 'pino';
import { Bus } from '../../../daemon/bus/bus.js';
import type { Db } from '../../../daemon/store/db.js';
import { SmsQueue } from '../../../daemon/sms/queue.js';
import { optOutWord, DEFAULT_OPT_OUT_WORDS } from '../../../daemon/sms/optout.js';
import { parseScore } from '../../../daemon/sms/survey.js';
import { renderTemplate } from '../../../daemon/sms/templates.js';
import { lineFor, spawnEmulator, TEST_TIMEOUTS, waitFor } from '../../drivers/gsm/emu.js';
import { migratedDb } from '../../helpers/store.js';

type QueueOptions = ConstructorParameters<typeof SmsQueue>[0];

/** An SMS queue (not started yet) on a fresh store, with the alarms it raises on the bus collected. */
async function smsQueue(t: Test, lines: QueueOptions['lines'], settings: ReturnType<QueueOptions['settings']>): Promise<{ db: Db; alarms: { code: string; active: boolean }[]; q: SmsQueue }> {
  const { db } = await migratedDb(t);
  const bus = new Bus();
  const alarms: { code: string; active: boolean }[] = [];
  bus.on('alarm', (e) => void alarms.push(e.data));
  return { db, alarms, q: new SmsQueue({ db, bus, log: pino({ level: 'silent' }), lines, settings: () => settings }) };
}

t.test('opt-out words, survey scores, templates', async (t) => {
  t.equal(optOutWord(' 退订 ', DEFAULT_OPT_OUT_WORDS), '退订');
  t.equal(optOutWord('stop!', DEFAULT_OPT_OUT_WORDS), 'STOP');
  t.equal(optOutWord('please do not stop', DEFAULT_OPT_OUT_WORDS), undefined, 'a sentence is not a request');
  t.same(['4', '４', ' 5 ', '3分', '6', '45', 'four'].map(parseScore), [4, 4, 5, 3, undefined, undefined, undefined]);
  t.equal(renderTemplate('订单{order}已确认', { order: '123' }), '订单123已确认');
  t.throws(() => renderTemplate('工单{ticket},订单{order}', { order: '1' }), /needs \{ticket\}/);
});

t.test('SMS waiting on a box without GSM lines raise sms-no-line', async (t) => {
  const { db, alarms, q } = await smsQueue(t, () => [], { perLinePerMinute: 6, attempts: 3, retryAfterMs: 1000, pollMs: 100 });
  await q.start();
  t.teardown(() => q.stop());
  const r = await q.enqueue({ to: '+8613800000001', text: 'hello' });
  t.ok(r.queued);
  const until = Date.now() + 5000;
  while (!alarms.some((a) => a.code === 'sms-no-line' && a.active) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
  t.ok(alarms.some((a) => a.code === 'sms-no-line' && a.active), 'alarm raised');
  t.equal((await db.get<{ state: string }>('SELECT state FROM sms_out'))?.state, 'queued', 'the message waits, not lost');
});

t.test('a modem that never answers AT+CMGS: the message is unconfirmed, never sent again', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'quectel']);
  const line = lineFor(t, emu, 'quectel', { timeouts: { ...TEST_TIMEOUTS, long: 1500 } });
  await line.start();
  await waitFor('ready', () => line.health().state === 'ready');
  const { db, alarms, q } = await smsQueue(t, () => [line], { perLinePerMinute: 60, attempts: 5, retryAfterMs: 200, pollMs: 100 });
  await emu.send({ cmd: 'mute' });
  await q.start();
  t.teardown(() => q.stop());
  await q.enqueue({ to: '+8613800000001', text: 'hello' });
  await waitFor('unconfirmed', () => alarms.some((a) => a.code === 'sms-unconfirmed' && a.active), 10_000);
  const row = await db.get<{ state: string; attempts: number }>('SELECT state, attempts FROM sms_out');
  t.same(row, { state: 'unconfirmed', attempts: 1 });
  // The line resets the modem and comes back; the queue could send again, and must not.
  await emu.send({ cmd: 'unmute' });
  await waitFor('line back', () => line.health().state === 'ready' && line.canSendSms(), 15_000);
  await new Promise((r) => setTimeout(r, 1500));
  const cmgs = ((await emu.send({ cmd: 'log' })).commands as string[]).filter((c) => c.startsWith('AT+CMGS')).length;
  t.equal(cmgs, 1, 'tried once, not again after the modem came back');
});
