import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { decodeSubmit } from '../../../drivers/gsm/sms/pdu.js';
import { startBox } from '../../helpers/box.js';
import { FAQ_BOT } from '../../helpers/knowledge.js';
import { waitFor } from '../../drivers/gsm/emu.js';

const KB = `entries:
  - id: lost-card
    title: { zh: 挂失, en: a lost card }
    ask: { zh: [银行卡丢了], en: [I lost my card] }
    answer: { zh: "我们已为您登记挂失。", en: "We have noted your lost card." }
    then: ticket
  - id: address
    title: { zh: 地址, en: our address }
    ask: { zh: [地址], en: [address] }
    answer: { zh: "人民路一号。", en: "We are at 1 People's Road." }
`;
const CALLER = '+8613712345678';

/** A knowledge entry with then: ticket, answered on a real GSM call through the common-questions menu. */
t.test('a knowledge entry with then: ticket opens a ticket after the answer: number said, texted and stored', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-kbt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'kb.yaml'), KB);
  const box = await startBox({
    agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }],
    lines: 2,
    bot: FAQ_BOT,
    extra: `knowledge:\n  file: ${join(dir, 'kb.yaml')}\nsms:\n  templates:\n    ticket: "Ticket {ticket} is open."\ntickets:\n  say: "Your ticket number is {ticket}."\n  sms: ticket\n`,
  });
  t.teardown(() => box.close());
  const modem = box.emu.modem;
  modem.ring(CALLER);
  const offered = await box.event('call.offered');
  const callId = String(offered.callId);
  await box.event('call.phase', (l) => l.callId === callId && l.phase === 'bot');
  modem.play(dtmfTones('3', 120, 200));
  await box.event('bot.turn', (l) => l.callId === callId && /Frequently|Common questions/.test(String(l.say)));
  modem.play(dtmfTones('1', 120, 200));
  const created = await box.event('ticket.created', (l) => l.callId === callId, 20_000);
  const number = String(created.ticket);
  t.match(number, /^[0-9]{10}$/);
  t.match(created, { by: 'bot', customer: CALLER, subject: 'a lost card', fields: { kb_entry: 'lost-card' } }, 'the ticket says which entry opened it');
  const turn = await box.event('bot.turn', (l) => l.callId === callId && /^We have noted/.test(String(l.say)));
  t.equal(String(turn.say), `We have noted your lost card. Your ticket number is ${number.split('').join(' ')}. Anything else?`, 'the answer, the number digit by digit, then the menu');
  await waitFor('ticket SMS on the free line', () => box.emus[1]!.modem.submittedPdus.length === 1, 15_000);
  const sms = decodeSubmit(box.emus[1]!.modem.submittedPdus[0]!.hex);
  t.same([sms.address, sms.text], [CALLER, `Ticket ${number} is open.`], 'texted to the caller');

  // Asked again in the same call: the same ticket, not a second one.
  modem.play(dtmfTones('3', 120, 200));
  await box.event('bot.turn', (l) => l.callId === callId && box.daemon.logs.filter((x) => x.msg === 'bot.turn' && x.callId === callId).indexOf(l) === 2);
  modem.play(dtmfTones('1', 120, 200));
  const again = await box.event('bot.turn', (l) => l.callId === callId && box.daemon.logs.filter((x) => x.msg === 'bot.turn' && x.callId === callId).indexOf(l) === 3);
  t.match(String(again.say), `Your ticket number is ${number.split('').join(' ')}.`, 'the caller hears the same number');
  modem.hangup();
  await box.event('call.ended', (l) => l.callId === callId);
  const rows = await box.row<{ n: number; call_id: string }>('SELECT COUNT(*) AS n, MAX(call_id) AS call_id FROM tickets', [], (r) => r.n >= 1);
  t.same(rows, { n: 1, call_id: callId }, 'one ticket, linked to the call');
});
