import t from 'tap';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import type { SipLeg } from '../../../drivers/sip/leg.js';
import { DEFAULT_BOT, startBox } from '../../helpers/box.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { startBox as startSipStack } from '../../helpers/sip-box.js';
import { sleep, waitFor } from '../../helpers/net.js';

const BOT = `${DEFAULT_BOT.replace('"0": agent', '"1": collect:order\n    "0": agent').replace('    no_agent_say:', '    tell_agent: whisper\n    no_agent_say:')}
  collect:
    order: { say: "Type the order number, then hash.", kind: digits, min_length: 3, max_length: 12, then: menu }`;

t.test('captured slots stay with the call; menu path as the agent saw it; ASA to the pick-up; silence in the greeting is not contained', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/+/+/events']);
  // The desk phone is our own SIP stack, so the test reads the INVITE's headers and answers when it likes.
  const desk = await startSipStack({ id: 'desk-801' });
  t.teardown(() => desk.stop());
  let pickedUpAt = 0;
  const rung: SipLeg[] = [];
  desk.on('incoming', (leg) => {
    rung.push(leg as SipLeg);
    void sleep(300).then(async () => {
      pickedUpAt = Date.now();
      await leg.answer();
    });
  });
  const box = await startBox({
    agents: [{ extension: '801', contact: `sip:801@127.0.0.1:${desk.ua.port}` }],
    bot: BOT,
    extra: `mqtt:\n  url: ${broker.url}\n`,
  });
  t.teardown(() => box.close());
  const modem = box.emu.modem;

  await t.test('a caller silent through the greeting who hangs up is abandoned, not contained', async (t) => {
    const from = mark(box);
    modem.ring('+8613800000031');
    const offered = await eventAfter(box, from, 'call.offered');
    await eventAfter(box, from, 'call.phase', (l) => l.phase === 'bot');
    await sleep(1000);
    const ended = await hangUp(box, 0, String(offered.callId));
    t.match(ended, { outcome: 'abandoned', cause: 'left-in-bot', hungUpBy: 'caller' });
  });

  await t.test('order number, a wrong key, then a person', async (t) => {
    const from = mark(box);
    modem.ring('+8613800000032');
    const offered = await eventAfter(box, from, 'call.offered');
    const id = String(offered.callId);
    await eventAfter(box, from, 'call.phase', (l) => l.phase === 'bot');
    await sleep(800);
    modem.play(dtmfTones('1', 120, 200));
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === id);
    await sleep(500);
    modem.play(dtmfTones('55512#', 120, 150));
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === id && (l.input as { value: string }).value === '#');
    await sleep(500);
    modem.play(dtmfTones('7', 120, 200)); // no such menu key
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === id && (l.input as { value: string }).value === '7');
    await sleep(500);
    modem.play(dtmfTones('0', 120, 200));
    await waitFor(() => rung.length > 0, 20_000, 'the desk phone rings');
    const header = (name: string): string | undefined => rung[0]!.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
    t.equal(header('X-Frontdesk-Slot-order'), '55512', 'the agent is told the order number');
    const connected = await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'connected', 20_000);
    await sleep(500);
    await hangUp(box, 0, id);

    const cdr = await box.row<{ menu_path: string; slots: string; agent_answered_at: string }>('SELECT menu_path, slots, agent_answered_at FROM calls WHERE id = ?', [id], (r) => r.slots !== null);
    t.equal(cdr.menu_path, header('X-Frontdesk-Menu-Path'), `CDR menu_path and the agent's header agree (${cdr.menu_path})`);
    t.equal(cdr.menu_path, '1>0', 'menu choices only: not the order digits, not the wrong key');
    t.same(JSON.parse(cdr.slots), { order: '55512' }, "the CDR's JSON has the slot");
    const row = await box.row<{ name: string; value: string }>('SELECT name, value FROM call_slots WHERE call_id = ?', [id], () => true);
    t.same(row, { name: 'order', value: '55512' }, 'and the call_slots table');
    const report = await central.waitFor((m) => (m.json as { type: string; data: { callId: string } }).type === 'call.ended' && (m.json as { data: { callId: string } }).data.callId === id, 20_000, 'call.ended on MQTT');
    t.match((report.json as { data: unknown }).data, { slots: { order: '55512' }, menuPath: '1>0' }, 'call.ended carries the slots to central IT');

    // ASA ends at the pick-up, not after the whisper.
    const answeredAt = Date.parse(cdr.agent_answered_at);
    t.ok(Math.abs(answeredAt - pickedUpAt) < 1000, `agent_answered_at is the pick-up (${answeredAt - pickedUpAt} ms off)`);
    const whisperMs = Number(connected.time) - answeredAt;
    t.ok(whisperMs > 1000, `the whisper (${whisperMs} ms) is not in the wait`);
  });
});
