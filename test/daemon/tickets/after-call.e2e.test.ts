import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DaemonProcess } from '../../helpers/daemon-process.js';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { decodeSubmit } from '../../../drivers/gsm/sms/pdu.js';
import { startBox } from '../../helpers/box.js';
import { testPhone } from '../../helpers/baresip.js';
import { toneLevel, tone } from '../../../drivers/audio/tones.js';
import { startCrm } from '../../helpers/crm.js';
import { brokerAndCentral, command } from '../../helpers/central.js';
import { cliPath } from '../../helpers/paths.js';
import { atMost, sleep } from '../../helpers/net.js';
import { waitFor } from '../../drivers/gsm/emu.js';
import { Db } from '../../../daemon/store/db.js';
import { computeKpis } from '../../../daemon/telemetry/kpi.js';

const run = promisify(execFile);
const CALLER = '+8613812345678';
const TOKEN = 'originate-secret-0123456789';

const BOT = `  greeting: "Welcome. Press 1 to report a fault."
  language: en-US
  menu:
    "1": "collect:order_number"
  collect:
    order_number: { say: "Please enter your six digit order number.", kind: digits, length: 6, then: menu }
  menu_prompt: "Anything else?"
  handoff: { default_queue: general, when: { vip: false } }
  survey: { say: "Please rate us.", after_agent: false, sms: true, low_score: { at_most: 4, then: alarm } }
  repeat_caller: { within: 4h, say: "Are you calling about {topic} again? Press 1 for yes.", topics: { general: "your enquiry" } }`;

const SECRET = 'crm-webhook-secret-0123456789';
const VIP = '+8613800000077';

t.test('tickets from the bot (spoken, by SMS, on MQTT); agents update them; originate only for token holders, within the dial policy', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/test/box-1/events']);
  const crm = await startCrm(SECRET, (number) => (number === VIP ? { vip: true, agent: '801', name: '王五', language: 'zh-CN' } : undefined));
  t.teardown(() => crm.down().catch(() => undefined));
  const extra = `mqtt:
  url: ${broker.url}
  commands: [status, originate, ticket-open, ticket-get, ticket-update, survey-followed-up]
  command_tokens: { originate: ${TOKEN} }
  metrics_every: 1h
sms:
  per_line_per_minute: 60
  survey:
    text: "Rate your call from 1 to 5."
    window: 1h
  templates:
    ticket: "Ticket {ticket} for order {order_number} is open."
dialing:
  allowed_prefixes: ["+86137"]
crm_lookup:
  url: https://127.0.0.1:${crm.port}/lookup
  secret: ${SECRET}
  ca: ${crm.caFile}
webhook:
  url: https://127.0.0.1:${crm.port}/frontdesk
  secret: ${SECRET}
  ca: ${crm.caFile}
  events: [ticket.created, ticket.updated, survey.answered]
  retry_after: 300ms
tickets:
  when_captured: [order_number]
  say: "Your ticket number is {ticket}."
  sms: ticket
  subject: "Order {order_number}"
`;
  const phone = await testPhone(t, { user: '801', answer: 'auto' });
  const box = await startBox({ agents: [{ extension: '801', contact: phone.uri }], lines: 2, bot: BOT, extra, });
  t.teardown(() => box.close());
  await box.event('frontdesk running');
  const [m1, m2] = [box.emus[0]!.modem, box.emus[1]!.modem];

  // The bot captures the order number: a ticket is opened, read out, texted and published.
  m1.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(1000);
  m1.play(dtmfTones('1', 120, 200));
  await box.event('bot.turn', (l) => (l.input as { value: string }).value === '1');
  await sleep(1500);
  m1.play(dtmfTones('654321', 120, 150));
  const created = await box.event('ticket.created');
  const number = String(created.ticket);
  t.match(number, /^[0-9]{10}$/, `ticket ${number}`);
  t.same(created.fields, { order_number: '654321' });
  const turn = await box.event('bot.turn', (l) => /ticket number/.test(String(l.say)));
  t.match(String(turn.say), `Your ticket number is ${number.split('').join(' ')}.`, 'the caller hears the number digit by digit');
  await waitFor('ticket SMS on the free line', () => m2.submittedPdus.length === 1, 15_000);
  t.equal(decodeSubmit(m2.submittedPdus[0]!.hex).text, `Ticket ${number} for order 654321 is open.`);
  const ev = await central.waitFor((m) => (m.json as { type?: string })?.type === 'ticket.created', 15_000, 'ticket.created on MQTT');
  t.equal((ev.json as { data: { ticket: string } }).data.ticket, number, 'published on events');
  m1.hangup();

  // The SMS survey after the call: the reply "4" lands as a score, moves CSAT, and (bot.survey.low_score.at_most 4 here) alarms a supervisor like a keyed score.
  await waitFor('survey SMS', () => box.emus.some((e) => e.modem.submittedPdus.some((p) => decodeSubmit(p.hex).text === 'Rate your call from 1 to 5.' && decodeSubmit(p.hex).address === CALLER)), 15_000);
  m1.deliverSms(CALLER, '4');
  const sv = await box.row<{ score: number; call_id: string; channel: string }>('SELECT s.score, s.call_id, q.channel FROM surveys s JOIN sms_surveys q ON q.call_id = s.call_id', [], (r) => r.score === 4);
  t.equal(sv.channel, 'sms');
  t.equal(sv.call_id, String(created.callId), 'matched to the call by number and time');
  const db = await Db.open(join(box.dataDir, 'frontdesk.db'), { readonly: true });
  const k = await computeKpis(db, { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 1000) }, 20_000);
  await db.close();
  t.same({ csat: k.csat, csatAvg: k.csatAvg, responses: k.csatResponses }, { csat: 1, csatAvg: 4, responses: 1 }, 'CSAT counts the SMS answer');
  await box.event('alarm', (l) => l.code === 'low-survey-score' && l.source === sv.call_id && l.active === true);
  const fuRow = await box.row<{ follow_up: string }>('SELECT follow_up FROM sms_surveys WHERE call_id = ?', [sv.call_id], (r) => r.follow_up !== null);
  t.equal(fuRow.follow_up, 'alarm', 'the SMS survey row notes the follow-up');
  const fu = await command(broker.url, 'survey-followed-up', { callId: sv.call_id, by: 'supervisor 900' });
  t.ok(fu.ok, JSON.stringify(fu));
  await box.event('alarm', (l) => l.code === 'low-survey-score' && l.source === sv.call_id && l.active === false);

  // An agent moves it on; the history keeps both steps.
  const upd = await command(broker.url, 'ticket-update', { number, agent: '801', status: 'in-progress', note: 'called the customer' });
  t.ok(upd.ok, JSON.stringify(upd));
  const got = await command(broker.url, 'ticket-get', { number });
  t.equal(got.result?.status, 'in-progress');
  t.equal(got.result?.subject, 'Order 654321', 'subject from tickets.subject with the captured slot');
  t.equal((got.result?.history as unknown[]).length, 2, 'created + status in the history');
  await central.waitFor((m) => (m.json as { type?: string })?.type === 'ticket.updated', 15_000, 'ticket.updated on MQTT');

  // originate: refused without the token, with a wrong one, and outside the allowed prefixes.
  const dials = () => box.emus.flatMap((e) => e.modem.commands).filter((c) => c.line.startsWith('ATD')).length;
  await waitFor('lines idle', () => !box.daemon.logs.some((l) => l.msg === 'call.ended') ? false : true, 15_000);
  const noToken = await command(broker.url, 'originate', { target: '+8613700000001', connect: 'bot' });
  t.equal(noToken.error?.code, 'unauthorised', 'no token: refused');
  const wrong = await command(broker.url, 'originate', { target: '+8613700000001', connect: 'bot', token: 'x'.repeat(TOKEN.length) });
  t.equal(wrong.error?.code, 'unauthorised', 'wrong token: refused');
  const abroad = await command(broker.url, 'originate', { target: '+4930123456', connect: 'bot', token: TOKEN });
  t.match(abroad.error?.message, /not under an allowed prefix/, 'dial policy: number outside the allowed prefixes refused');
  t.equal(dials(), 0, 'none of them dialled');

  // Authorised: the box dials on gsm2 and the callee gets the bot.
  const ok = await command(broker.url, 'originate', { target: '+8613700000001', line: 'gsm2', connect: 'bot', token: TOKEN });
  t.ok(ok.ok, JSON.stringify(ok));
  t.same({ result: ok.result?.result, lineId: ok.result?.lineId }, { result: 'answered', lineId: 'gsm2' });
  t.ok(m2.commands.some((c) => c.line === 'ATD+8613700000001;'), 'dialled on gsm2');
  await box.event('call.offered', (l) => l.lineId === 'gsm2');
  await box.event('call.phase', (l) => l.phase === 'bot' && box.daemon.logs.some((o) => o.msg === 'call.offered' && o.lineId === 'gsm2' && o.callId === l.callId));
  m2.hangup();
  await box.event('call.ended', (l) => box.daemon.logs.some((o) => o.msg === 'call.offered' && o.lineId === 'gsm2' && o.callId === l.callId));

  await sleep(1500);
  t.notOk(box.emus.some((e) => e.modem.submittedPdus.some((p) => decodeSubmit(p.hex).address === '+8613700000001')), 'no survey SMS after a call the box placed');

  // connect: agent — the callee is bridged to the agent's desk phone.
  const toAgent = await command(broker.url, 'originate', { target: '+8613700000003', line: 'gsm2', connect: 'agent', extension: '801', token: TOKEN });
  t.match(toAgent, { ok: true, result: { result: 'answered', connect: 'agent' } }, JSON.stringify(toAgent));
  await phone.waitEvent('CALL_ESTABLISHED', 20_000);
  await sleep(300);
  m2.play(tone([1000], 1500, -10));
  await sleep(2000);
  m2.hangup();
  await phone.waitEvent('CALL_CLOSED', 15_000);
  t.ok(toneLevel(await phone.heard(), 1000) > 0.05, 'the agent hears the callee');

  // The CLI goes through the same command with the config's token.
  await sleep(500);
  const { stdout } = await run(process.execPath, [cliPath, 'originate', '-c', join(box.dir, 'frontdesk.yaml'), '--to', '+8613700000002', '--line', 'gsm1']);
  t.match(JSON.parse(stdout), { ok: true, result: { result: 'answered', lineId: 'gsm1', by: 'cli' } }, 'CLI originate');
  m1.hangup();

  // The CRM got the ticket, the survey and the update, signed, once each.
  await waitFor('three webhooks', () => crm.got.length >= 3, 15_000);
  t.same(crm.got.map((h) => h.event).sort(), ['survey.answered', 'ticket.created', 'ticket.updated']);
  t.ok(crm.got.every((h) => h.signed), 'HMAC signature checks out');
  t.equal(crm.got.find((h) => h.event === 'ticket.created')!.body.data.ticket, number);

  // A caller the CRM knows as VIP asks for a person: the CRM is asked (signed), the caller queues as VIP.
  m1.ring(VIP);
  const vipCall = await box.event('call.offered', (l) => l.caller === VIP);
  await box.event('call.phase', (l) => l.callId === vipCall.callId && l.phase === 'bot');
  await sleep(800);
  m1.play(dtmfTones('0', 120, 200));
  const enter = await box.event('queue.enter', (l) => l.callId === vipCall.callId);
  t.match(enter.priority, ['vip'], 'VIP from the CRM');
  t.same(crm.lookups.filter((l) => l.number === VIP), [{ number: VIP, signed: true }], 'one signed lookup');
  const known = await box.row<{ name: string; vip: number; language: string }>('SELECT name, vip, language FROM customers WHERE number = ?', [VIP], (r) => r.vip === 1);
  t.same(known, { name: '王五', vip: 1, language: 'zh-CN' }, 'kept in the customer record');
  m1.hangup();
  await box.event('call.ended', (l) => l.callId === vipCall.callId);
  // The repeat-caller question reads the queue of that call from the store: wait until it is written.
  await box.row('SELECT queue_id FROM calls WHERE id = ?', [String(vipCall.callId)], (r: { queue_id: string | null }) => r.queue_id !== null);

  // The same caller again: asked whether it is about the same thing; 1 goes back to that queue.
  m1.ring(VIP);
  const repeatCall = await box.event('call.offered', (l) => l.caller === VIP && l.callId !== vipCall.callId);
  await box.event('call.phase', (l) => l.callId === repeatCall.callId && l.phase === 'bot');
  await sleep(800);
  m1.play(dtmfTones('1', 120, 200));
  const repeat = await box.event('handoff.requested', (l) => l.callId === repeatCall.callId);
  t.match(repeat, { queue: 'general', detail: 'repeat:general' }, 'are you calling about your enquiry again? 1: the same queue');
  m1.hangup();
  await box.event('call.ended', (l) => l.callId === repeatCall.callId);

  // CRM down; an agent opens a ticket; the daemon restarts; the CRM comes back: it arrives once.
  await crm.down();
  const opened = await command(broker.url, 'ticket-open', { agent: '801', customer: CALLER, subject: 'Wrong delivery address' });
  t.ok(opened.ok, JSON.stringify(opened));
  await box.event('alarm', (l) => l.code === 'webhook-failing' && l.active === true);
  box.daemon.kill('SIGTERM');
  await box.daemon.exited;
  const again = new DaemonProcess(['run', '-c', join(box.dir, 'frontdesk.yaml')]);
  t.teardown(async () => {
    again.kill('SIGTERM');
    await atMost(again.exited, 5000);
    again.kill('SIGKILL');
  });
  await again.waitForLog((l) => l.msg === 'frontdesk running', 30_000);
  await crm.up();
  await waitFor('the agent ticket after the outage', () => crm.got.some((h) => h.body.data.ticket === opened.result?.number), 20_000);
  await again.waitForLog((l) => l.msg === 'alarm' && l.code === 'webhook-failing' && l.active === false, 10_000);
  await sleep(1500);
  const ids = crm.got.map((h) => h.id);
  t.equal(new Set(ids).size, ids.length, 'no delivery twice');
  t.equal(crm.got.filter((h) => h.body.data.ticket === opened.result?.number).length, 1, 'the ticket opened during the outage arrived once');
  t.ok(crm.got.every((h) => h.signed));
});
