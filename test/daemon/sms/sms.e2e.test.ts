import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { decodeSubmit, encodeSubmit } from '../../../drivers/gsm/sms/pdu.js';
import { startBox, type Box } from '../../helpers/box.js';
import { DaemonProcess } from '../../helpers/daemon-process.js';
import { cliPath } from '../../helpers/paths.js';
import { runInProcess } from '../../helpers/cli-in-process.js';
import { run as smsCommand } from '../../../daemon/commands/sms.js';
import { atMost, sleep } from '../../helpers/net.js';
import { waitFor } from '../../drivers/gsm/emu.js';

const run = promisify(execFile);
const CALLER = '+8613812345678';
const OTHER = '+8613712340000';

const BOT = `  greeting: "Welcome. Press 1 to confirm an order."
  language: en-US
  menu:
    "1": "collect:order_number"
  collect:
    order_number: { say: "Please enter your six digit order number.", kind: digits, length: 6, then: menu }
  menu_prompt: "Thank you."
  handoff: { default_queue: general }`;

const SMS = `sms:
  per_line_per_minute: 60
  opt_out_words: [退订, 取消]
  templates:
    order_confirm: "您的订单{order_number}已确认,谢谢!回复退订停止接收"
  on_capture:
    order_number: order_confirm
`;

const cli = (box: Box, ...args: string[]) => run(process.execPath, [cliPath, ...args, '-c', join(box.dir, 'frontdesk.yaml')]);
/** `frontdesk sms ...` through the command's own code in this process (no node start per call). */
const smsCli = (box: Box, ...args: string[]) => runInProcess(smsCommand, [...args, '-c', join(box.dir, 'frontdesk.yaml')]);

t.test('a captured order number is confirmed by SMS: exact PDU, never on a line in a call (another line once free); delivery report stored; 退订 honoured', async (t) => {
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:5999' }], lines: 2, bot: BOT, extra: SMS });
  t.teardown(() => box.close());
  const [m1, m2] = [box.emus[0]!.modem, box.emus[1]!.modem];
  await box.event('frontdesk running');

  // Both lines carry calls: the caller on gsm1, someone else on gsm2 (Huawei: no SMS during a call).
  m1.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  m2.ring(OTHER);
  await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== undefined, 20_000);
  await waitFor('both answered', () => box.daemon.logs.filter((l) => l.msg === 'call.phase' && l.phase === 'bot').length === 2, 20_000);
  await sleep(1000);
  m1.play(dtmfTones('1', 120, 200));
  await box.event('bot.turn', (l) => (l.input as { value: string }).value === '1');
  await sleep(1500);
  m1.play(dtmfTones('123456', 120, 150));
  const captured = await box.event('bot.captured', (l) => l.slot === 'order_number');
  t.same(captured.slots, { order_number: '123456' });
  await box.event('sms.queued');
  await sleep(3000);
  t.equal(m1.submittedPdus.length + m2.submittedPdus.length, 0, 'nothing sent while every line carries a call');

  // gsm2's call ends: the SMS goes out there while the caller is still on gsm1.
  m2.hangup();
  await waitFor('the SMS on gsm2', () => m2.submittedPdus.length === 1, 15_000);
  const sent = m2.submittedPdus[0]!;
  const text = '您的订单123456已确认,谢谢!回复退订停止接收';
  const [expected] = encodeSubmit(CALLER, text, 0, { statusReport: true });
  t.equal(sent.hex, expected!.hex, 'the modem received exactly the PDU for this text (UCS2, delivery report requested)');
  t.equal(sent.declaredLength, expected!.tpduLength);
  t.same({ to: decodeSubmit(sent.hex).address, text: decodeSubmit(sent.hex).text }, { to: CALLER, text });
  t.notOk(sent.duringCall, 'gsm2 was idle when it sent');
  t.equal(m1.submittedPdus.length, 0, 'nothing on the line in a call');

  // The network's delivery report is stored against the message.
  const row = await box.row<{ state: string; line_id: string; delivered_at: string | null; kind: string }>('SELECT o.state, p.line_id, o.delivered_at, o.kind FROM sms_out o JOIN sms_out_parts p ON p.sms_id = o.id', [], (r) => r.state === 'delivered');
  t.equal(row.line_id, 'gsm2');
  t.equal(row.kind, 'confirm:order_number');
  t.ok(row.delivered_at);
  const rep = await box.row<{ outcome: string; status: number; mr: number }>('SELECT outcome, status, mr FROM sms_reports', [], (r) => r.outcome === 'delivered');
  t.equal(rep.mr, sent.mr, 'report matched by message reference');
  m1.hangup();

  // 取消 (a configured opt-out word) from the other caller, 退订 from this one: stored; the CLI refuses to queue for them.
  m2.deliverSms(OTHER, '取消');
  await box.row<{ word: string }>('SELECT word FROM sms_optout WHERE number = ?', [OTHER], (r) => r.word === '取消');
  m2.deliverSms(CALLER, '退订');
  await box.row<{ word: string }>('SELECT word FROM sms_optout WHERE number = ?', [CALLER], (r) => r.word === '退订');
  const refused = await cli(box, 'sms', 'send', '--to', CALLER, '--text', 'promo').then(
    () => 'queued',
    (e: { code: number; stderr: string }) => `${e.code} ${e.stderr}`,
  );
  t.match(refused, /^1 .*opted out/, 'no more SMS to that number');
});

t.test('a restart mid-queue loses no SMS and sends none twice; a refused send is retried with backoff', async (t) => {
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:5999' }], extra: 'sms:\n  per_line_per_minute: 60\n  retry: { attempts: 3, after: 500ms }\n' });
  t.teardown(() => box.close());
  const m = box.emu.modem;
  const texts = Array.from({ length: 6 }, (_, i) => `Order ${1000 + i} confirmed`);
  await cli(box, 'sms', 'send', '--to', CALLER, '--text', texts[0]!);
  for (const text of texts.slice(1)) t.equal((await smsCli(box, 'send', '--to', CALLER, '--text', text)).code, 0);
  // 60 per minute: one a second. Kill the daemon hard after two went out.
  await waitFor('two sent', () => m.submittedPdus.length >= 2, 20_000);
  const gap = m.submittedPdus[1]!.at - m.submittedPdus[0]!.at;
  t.ok(gap >= 900, `paced: one a second at 60 per minute (${Math.round(gap)} ms apart)`);
  box.daemon.kill('SIGKILL');
  await box.daemon.exited;
  const before = m.submittedPdus.length;
  t.ok(before < texts.length, `${before} sent before the kill`);
  const again = new DaemonProcess(['run', '-c', join(box.dir, 'frontdesk.yaml')]);
  t.teardown(async () => {
    again.kill('SIGTERM');
    await atMost(again.exited, 5000);
    again.kill('SIGKILL');
  });
  const done = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM sms_out WHERE state IN ('delivered', 'unconfirmed')", [], (r) => r.n === texts.length, 30_000);
  t.equal(done.n, texts.length, 'every message ended delivered (or unconfirmed, if the kill hit a send in flight)');
  await sleep(1000);
  const got = m.submittedPdus.filter((p) => !p.refused).map((p) => decodeSubmit(p.hex).text);
  for (const text of texts) t.ok(got.filter((g) => g === text).length <= 1, `"${text}" sent at most once`);
  const states = await box.row<{ unconfirmed: number; delivered: string }>("SELECT SUM(state = 'unconfirmed') AS unconfirmed, json_group_array(CASE WHEN state = 'delivered' THEN text END) AS delivered FROM sms_out", [], () => true);
  t.ok(states.unconfirmed <= 1, `at most the one in flight is unconfirmed (${states.unconfirmed})`);
  const delivered = (JSON.parse(states.delivered) as (string | null)[]).filter((x): x is string => x !== null);
  t.equal(delivered.length, texts.length - states.unconfirmed);
  for (const text of delivered) t.equal(got.filter((g) => g === text).length, 1, `"${text}" delivered, sent exactly once`);
  if (states.unconfirmed) await again.waitForLog((l) => l.msg === 'alarm' && l.code === 'sms-unconfirmed');

  // The network refuses twice: tried again after 0.5 s, then 1 s, and the third try goes through.
  const from = m.submittedPdus.length;
  m.failSubmits = 2;
  await smsCli(box, 'send', '--to', CALLER, '--text', 'retry me');
  const r = await box.row<{ state: string; attempts: number }>("SELECT state, attempts FROM sms_out WHERE text = 'retry me'", [], (x) => x.state === 'delivered', 20_000);
  t.equal(r.attempts, 3, 'third try went through');
  const tries = m.submittedPdus.slice(from).map((p) => p.at);
  t.equal(tries.length, 3);
  t.ok(tries[1]! - tries[0]! >= 450, `first retry after about retry.after (${Math.round(tries[1]! - tries[0]!)} ms)`);
  t.ok(tries[2]! - tries[1]! >= 950, `then twice that (${Math.round(tries[2]! - tries[1]!)} ms)`);
});
