import t from 'tap';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { sleep } from '../../helpers/net.js';

interface Report {
  schema: number;
  id: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

t.test('a real call is reported to central IT over MQTT, in order, with the number masked', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/#']);
  const box = await startBox({
    agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }],
    extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 60s\n`,
  });
  t.teardown(() => box.close());

  await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/status' && (m.json as { state?: string }).state === 'online', 20_000, 'status online');
  const line = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/lines/gsm1' && (m.json as { state?: string }).state === 'ready', 20_000, 'line gsm1 ready');
  t.match(line.json, { kind: 'gsm', state: 'ready' }, 'retained line state: a GSM line, ready');

  box.emu.modem.ring('+8613812345678');
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(1000);
  box.emu.modem.play(dtmfTones('2', 120, 200));
  await box.event('bot.turn');
  await sleep(500);
  box.emu.modem.hangup();
  await box.event('call.ended');

  const ended = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/events' && (m.json as Report).type === 'call.ended', 20_000, 'call.ended report');
  const reports = central.messages.filter((m) => m.topic === 'frontdesk/test/box-1/events').map((m) => m.json as Report).filter((r) => r.type.startsWith('call.') || r.type === 'bot.turn');
  t.same(
    reports.map((r) => r.type),
    ['call.offered', 'call.phase', 'bot.turn', 'call.ended'],
    'the call story arrives in order',
  );
  const seqs = reports.map((r) => r.seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'sequence numbers increase');
  t.equal(new Set(reports.map((r) => r.id)).size, reports.length, 'unique ids');
  const offered = reports[0]!;
  t.equal(offered.schema, 1);
  t.notMatch(JSON.stringify(offered.data), /13812345678/, 'the caller number is masked for central IT');
  t.match(String(offered.data.caller), /\*{4}/);
  t.equal((ended.json as Report).data.outcome, 'bot-resolved');
});
