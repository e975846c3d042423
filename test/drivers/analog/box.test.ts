import t from 'tap';
import { rms } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';
import { waitFor } from './rig.js';

const CALLER = '5551234';

t.test('the real daemon on an analog line: rings → bot answers → <DLE>2 → bot.turn → caller hangs up → CDR', async (t) => {
  // The agent is never rung here; the box only needs one configured.
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }], lines: 1, analog: true });
  t.teardown(() => box.close());
  const modem = box.analog!;
  await waitFor('analog line initialised', () => modem.commands.some((c) => c.line === 'AT+VLS=0'), 15_000);
  t.equal(modem.chosenFormat.kind, 's16', 'the daemon chose 16-bit linear');

  modem.ring(CALLER, 'JOHN DOE');
  const offered = await box.event('call.offered', (l) => l.lineId === 'pstn1');
  t.equal(offered.caller, CALLER, 'caller ID reached the call core');
  await box.event('call.phase', (l) => l.phase === 'bot');
  t.ok(modem.rings >= 2, `answered after ${modem.rings} rings`);
  t.ok(modem.commands.some((c) => c.line === 'AT+VTR'), 'the daemon went into full-duplex voice');
  const answeredAt = performance.now();
  await sleep(1500);
  const greeting = Buffer.concat(modem.recording.filter((r) => r.at >= answeredAt).map((r) => r.frame));
  t.ok(rms(greeting) > 300, `the caller hears the greeting (rms ${rms(greeting).toFixed(0)})`);

  modem.dtmf('2', { inBand: false });
  const turn = await box.event('bot.turn', (l) => (l.input as { value: string }).value === '2');
  t.match(turn.say, /open from nine to six/, 'menu answer chosen from <DLE>2');
  await sleep(500);

  modem.hangup('busy');
  const ended = await box.event('call.ended');
  t.equal(ended.hungUpBy, 'caller');
  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ?', ['pstn1'], (r) => r.ended_at !== null);
  t.equal(cdr.caller, CALLER);
  t.equal(cdr.hung_up_by, 'caller');
  t.equal(cdr.menu_path, '2');
  t.comment(`CDR: outcome ${String(cdr.outcome)}, offered ${String(cdr.offered_at)}, ended ${String(cdr.ended_at)}`);
  await waitFor('modem on hook', () => modem.state === 'idle', 5000);
  t.pass('the daemon put the modem back on hook');
});
