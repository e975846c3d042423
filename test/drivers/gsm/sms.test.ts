import t from 'tap';
import { lineFor, once, ready, spawnEmulator } from './emu.js';
import type { Sms } from '../../../drivers/line.js';

t.test('a Chinese multipart SMS round-trips (PDU mode, UCS2, concatenated)', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'simcom', '--msisdn', '+8613900000099']);
  const line = lineFor(t, emu, 'simcom');
  await ready(line);
  const text = '尊敬的客户，您好！您的预约已确认：明天上午十点在本分行办理业务，请携带身份证原件。如需改期请回复本短信或致电客服。祝您生活愉快！'.repeat(2);
  t.ok(text.length > 70, `${text.length} characters: needs more than one UCS2 part`);
  const received = once<Sms>(line, 'sms');
  // Sent to the SIM's own number, the network delivers it back: both directions of the PDU code.
  await line.sendSms('+8613900000099', text);
  const sent = (await emu.send({ cmd: 'sent-sms' })).messages as { to: string; text: string; parts: number }[];
  t.equal(sent.length, 1);
  t.ok(sent[0]!.parts >= 2, `sent as ${sent[0]!.parts} parts`);
  t.equal(sent[0]!.text, text, 'the modem decoded what we sent');
  const sms = await received;
  t.equal(sms.text, text, 'and it came back intact');
  t.equal(sms.from, '+8613900000099');
  t.equal(sms.lineId, line.id);
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await emu.send({ cmd: 'status' })).storedSms, 0, 'all parts deleted from the SIM');
});

t.test('messages waiting on the SIM at start are read; a failing store keeps them on the SIM', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei']);
  await emu.send({ cmd: 'sms', from: '10086', text: 'Your balance is 12.30' });
  let fail = true;
  const stored: Sms[] = [];
  const line = lineFor(t, emu, 'huawei', {
    smsSink: async (s) => {
      if (fail) throw new Error('disk full');
      stored.push(s);
    },
  });
  await ready(line);
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await emu.send({ cmd: 'status' })).storedSms, 1, 'kept on the SIM while the store fails');
  fail = false;
  const got = once<Sms>(line, 'sms');
  await emu.send({ cmd: 'sms', from: '+8613700000002', text: 'hello' });
  t.equal((await got).text, 'hello');
  t.equal(stored.length, 1);
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await emu.send({ cmd: 'status' })).storedSms, 1, 'the stored one is deleted, the old one waits for the next start');
});
