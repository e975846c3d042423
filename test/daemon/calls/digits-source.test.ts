import t from 'tap';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { eventAfter, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

const BOT = `  greeting: "Press 1 to give your order number."
  language: en-US
  menu:
    "1": collect:order
  collect:
    order: { say: "Type the order number, then hash.", kind: digits, min_length: 4, max_length: 16, then: menu }
  handoff: { default_queue: general }`;

t.test('Quectel tone reports in a burst give exactly the digits pressed; dtmf: in-band takes them from the audio alone', async (t) => {
  const box = await startBox({
    lines: 2,
    modem: () => 'quectel',
    gsmLine: (i) => (i === 1 ? '    dtmf: in-band' : ''),
    agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }],
    bot: BOT,
  });
  t.teardown(() => box.close());
  const keysOf = (from: number, callId: unknown): string => box.daemon.logs.slice(from).filter((l) => l.msg === 'bot.turn' && l.callId === callId && (l.input as { kind: string }).kind === 'dtmf').map((l) => (l.input as { value: string }).value).join('');

  await t.test('auto: the modem reports are the digits, the same tones in the audio do not count again', async (t) => {
    const modem = box.emus[0]!.modem;
    const from = mark(box);
    modem.ring('+8613800000021');
    const offered = await eventAfter(box, from, 'call.offered');
    await eventAfter(box, from, 'call.phase', (l) => l.phase === 'bot');
    await sleep(500);
    modem.dtmfUrc('1');
    modem.play(dtmfTones('1', 120, 200));
    await eventAfter(box, from, 'bot.turn', (l) => (l.input as { value: string }).value === '1');
    await sleep(300);
    // The caller types 12345678#: the modem's reports arrive in one burst, the tones follow in the audio.
    for (const d of '12345678#') modem.dtmfUrc(d);
    modem.play(dtmfTones('12345678#', 100, 100));
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === offered.callId && (l.input as { value: string }).value === '#');
    await sleep(2500); // the in-band tones have played out by now; the call is back at the menu
    t.equal(keysOf(from, offered.callId), '112345678#', 'exactly the keys pressed, each once');
    modem.hangup();
    await eventAfter(box, from, 'call.ended', (l) => l.callId === offered.callId);
  });

  await t.test('dtmf: in-band: the modem reports are ignored, the tones in the audio are the digits', async (t) => {
    const modem = box.emus[1]!.modem;
    const from = mark(box);
    modem.ring('+8613800000022');
    const offered = await eventAfter(box, from, 'call.offered');
    await eventAfter(box, from, 'call.phase', (l) => l.phase === 'bot');
    await sleep(500);
    modem.dtmfUrc('1');
    await sleep(1500);
    t.equal(keysOf(from, offered.callId), '', 'a tone report alone is not a key press on this line');
    modem.play(dtmfTones('1', 120, 200));
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === offered.callId);
    await sleep(300);
    modem.play(dtmfTones('4321#', 100, 100));
    await eventAfter(box, from, 'bot.turn', (l) => l.callId === offered.callId && (l.input as { value: string }).value === '#');
    await sleep(500);
    t.equal(keysOf(from, offered.callId), '14321#', 'the keys heard in the audio');
    modem.hangup();
    await eventAfter(box, from, 'call.ended', (l) => l.callId === offered.callId);
  });
});
