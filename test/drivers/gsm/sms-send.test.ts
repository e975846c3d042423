import t from 'tap';
import { lineFor, ready, spawnEmulator, waitFor } from './emu.js';
import { decodeStatusReport, encodeStatusReport, encodeSubmit } from '../../../drivers/gsm/sms/pdu.js';
import type { StatusReport } from '../../../drivers/gsm/sms/pdu.js';

t.test('status report PDUs round-trip', async (t) => {
  const hex = encodeStatusReport(201, '+8613700000001', 0x41, new Date('2026-11-29T10:00:00Z'));
  const r = decodeStatusReport(hex);
  t.same({ mr: r.mr, recipient: r.recipient, status: r.status }, { mr: 201, recipient: '+8613700000001', status: 0x41 });
  t.match(r.discharged, /^2026-11-29T10:00:00/);
});

t.test('a prepared PDU reaches the modem byte for byte; its delivery report comes back', async (t) => {
  const emu = await spawnEmulator(t, ['--dialect', 'huawei']);
  const reports: (StatusReport & { lineId: string })[] = [];
  const line = lineFor(t, emu, 'huawei', { statusSink: async (r) => void reports.push(r) });
  await ready(line);
  t.ok(line.canSendSms());
  const parts = encodeSubmit('+8613700000001', '您的订单 A123 已确认,谢谢!'.repeat(5), 77, { statusReport: true });
  t.ok(parts.length >= 2);
  const mrs: number[] = [];
  for (const p of parts) mrs.push(await line.submitPdu(p));
  const sent = (await emu.send({ cmd: 'sent-pdus' })).pdus as { hex: string; declaredLength: number; mr: number }[];
  t.same(sent.map((s) => s.hex), parts.map((p) => p.hex), 'the exact PDUs');
  t.same(sent.map((s) => s.declaredLength), parts.map((p) => p.tpduLength), 'AT+CMGS lengths without the SMSC octet');
  t.same(sent.map((s) => s.mr), mrs, 'message references returned');
  await waitFor('reports', () => reports.length === parts.length);
  t.same(reports.map((r) => r.mr).sort(), [...mrs].sort());
  t.ok(reports.every((r) => r.status === 0 && r.recipient === '+8613700000001' && r.lineId === line.id));
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await emu.send({ cmd: 'status' })).storedSms, 0, 'reports deleted from the SIM once handled');

  // A Huawei in a voice call cannot send: the line says so instead of trying.
  const incoming = new Promise((r) => line.once('incoming', r));
  await emu.send({ cmd: 'ring', number: '+8613700000009' });
  await incoming;
  t.notOk(line.canSendSms(), 'no SMS while this modem carries a call');
  await t.rejects(line.submitPdu(parts[0]!), /cannot send SMS now/);
  await emu.send({ cmd: 'hangup' });
  await waitFor('idle again', () => line.canSendSms());
});
