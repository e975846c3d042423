import t from 'tap';
import { dtmfTones, tone } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { afterBeep, eventAfter, mark } from '../../helpers/routing.js';
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
    lines: 5,
    modem: () => 'quectel',
    gsmLine: (i) => ['', '    dtmf: in-band', '    answer: voicemail', '    dtmf: in-band', '    dtmf: in-band\n    dtmf_min_level: -50'][i]!,
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

  await t.test('voicemail: the # that ends the message is the modem report too', async (t) => {
    const modem = box.emus[2]!.modem;
    const from = mark(box);
    modem.ring('+8613800000023');
    const offered = await eventAfter(box, from, 'call.offered');
    await eventAfter(box, from, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'voicemail');
    await afterBeep(modem, performance.now()); // the prompt and the beep
    // The caller talks (a tone with no pause, so silence cannot end it) and presses # after 2 s.
    modem.play(tone([440], 10_000, -12));
    await sleep(2000);
    modem.dtmfUrc('#');
    const vm = await eventAfter(box, from, 'voicemail.recorded', (l) => l.callId === offered.callId, 15_000);
    t.ok(Number(vm.durationMs) < 4000, `the report ended the message (${String(vm.durationMs)} ms, not the whole 10 s)`);
    modem.stopPlaying();
    modem.hangup();
  });

  await t.test('dtmf_min_level: a key at -46 dBm0 per tone is heard only on the line whose floor is -50 (default -42)', async (t) => {
    // dtmfTones' level is the pair's: each tone is 3 dB below it; dBm0 = dBFS + 3.14.
    const quiet = dtmfTones('1', 120, 200, -46 - 3.14 + 3);
    const calls: { modem: (typeof box.emus)[number]['modem']; callId: unknown; from: number }[] = [];
    for (const [i, n] of [[3, '24'], [4, '25']] as const) {
      const modem = box.emus[i]!.modem;
      const from = mark(box);
      modem.ring(`+86138000000${n}`);
      const offered = await eventAfter(box, from, 'call.offered');
      await eventAfter(box, from, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
      calls.push({ modem, callId: offered.callId, from });
    }
    await sleep(500);
    for (const c of calls) c.modem.play(quiet);
    const low = calls[1]!;
    await eventAfter(box, low.from, 'bot.turn', (l) => l.callId === low.callId);
    t.equal(keysOf(low.from, low.callId), '1', 'dtmf_min_level -50: the quiet key is found');
    // The default line: the quiet key, then a loud one; the loud one must be the first key heard.
    const def = calls[0]!;
    def.modem.play(dtmfTones('2', 120, 200));
    await eventAfter(box, def.from, 'bot.turn', (l) => l.callId === def.callId);
    t.equal(keysOf(def.from, def.callId), '2', 'default floor: the quiet key is not a key press, the loud one is');
    for (const c of calls) c.modem.hangup();
    for (const c of calls) await eventAfter(box, c.from, 'call.ended', (l) => l.callId === c.callId);
  });
});
