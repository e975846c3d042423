import t from 'tap';
import { decodeDeliver, decodeSubmit, encodeDeliver, encodeSubmit } from '../../../drivers/gsm/sms/pdu.js';
import { SmsAssembler } from '../../../drivers/gsm/sms/assembler.js';
import { csqToDbm, parseCreg } from '../../../drivers/gsm/health.js';

t.test('GSM 7-bit submit matches a known PDU', async (t) => {
  // "hellohello" to +31641600986 (classic reference PDU from the 23.040 tutorials, VP relative AA).
  const [p] = encodeSubmit('+31641600986', 'hellohello', 0);
  t.equal(p!.hex, '0011000B911346610089F60000AA0AE8329BFD4697D9EC37');
  t.equal(p!.tpduLength, 23);
  t.same(decodeSubmit(p!.hex), { address: '+31641600986', text: 'hellohello', encoding: 'gsm7' });
});

t.test('a known DELIVER PDU decodes', async (t) => {
  const d = decodeDeliver('07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07');
  t.equal(d.address, '+31641600986');
  t.equal(d.text, 'How are you?');
  t.match(d.timestamp, /^2002-08-26T19:37:41[+-]/, 'service-centre time stamp');
});

t.test('UCS2 Chinese multipart round-trips through submit and deliver', async (t) => {
  const text = '您好，这是一条很长的中文短信，用来测试分段发送和接收是否正确。'.repeat(4) + '😀结束';
  const parts = encodeSubmit('+8613800000000', text, 42);
  t.ok(parts.length >= 2, `${parts.length} parts`);
  const decoded = parts.map((p) => decodeSubmit(p.hex));
  t.ok(decoded.every((d) => d.encoding === 'ucs2' && d.concat?.ref === 42 && d.concat.total === parts.length));
  t.equal(decoded.map((d) => d.text).join(''), text, 'surrogate pair not split');
  const asm = new SmsAssembler();
  const delivered = encodeDeliver('+8613800000000', text).reverse(); // out of order
  const done = delivered.map((hex, i) => asm.add(decodeDeliver(hex), i)).filter((x) => x !== null);
  t.equal(done.length, 1, 'one message once all parts are in');
  t.equal(done[0]!.text, text);
  t.same([...done[0]!.slots].sort(), delivered.map((_, i) => i), 'every SIM slot is reported for deletion');
});

t.test('GSM 7-bit with extension chars and concatenation', async (t) => {
  const text = 'Price: 10€ [promo] {x} ~ ^ | \\ '.repeat(8);
  const parts = encodeSubmit('10086', text, 7);
  t.ok(parts.length > 1);
  t.equal(parts.map((p) => decodeSubmit(p.hex).text).join(''), text);
  t.equal(decodeSubmit(parts[0]!.hex).address, '10086');
});

t.test('health parsers', async (t) => {
  t.equal(csqToDbm('+CSQ: 0,99'), -113);
  t.equal(csqToDbm('+CSQ: 31,99'), -51);
  t.equal(csqToDbm('+CSQ: 99,99'), undefined);
  t.equal(parseCreg('+CREG: 2,5,"1A2B","0C3D"', true), 'roaming');
  t.equal(parseCreg('+CREG: 1,"1A2B","0C3D"', false), 'home');
  t.throws(() => decodeDeliver('ZZZ'));
  t.throws(() => decodeDeliver('0791'));
});
