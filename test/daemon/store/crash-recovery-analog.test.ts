import t from 'tap';
import { startPhone } from '../../helpers/baresip.js';
import { startBox } from '../../helpers/box.js';
import { sleep, waitFor } from '../../helpers/net.js';

const CALLER = '+8613800000011';

/**
 * kill -9 in the middle of a bridged call on an analog line (V.253 modem emulator on a real tty):
 * the modem is left off hook in voice mode, taking text for audio. The restart leaves voice mode the
 * V.253 way (<DLE><ETX>), puts the line on hook, closes the call as interrupted and takes calls again.
 */
t.test('kill -9 mid-call on an analog line: the restart hangs the modem up and closes the call', async (t) => {
  const phone = await startPhone({ user: '801', answer: 'auto' });
  t.teardown(() => phone.stop());
  const box = await startBox({ agents: [{ extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' }], analog: { yaml: 'rings_before_answer: 1' } });
  t.teardown(() => box.close());
  const modem = box.analog!;
  await sleep(500);
  modem.ring(CALLER);
  const offered = await box.event('call.offered', (l) => l.lineId === 'pstn1');
  await box.event('call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
  modem.dtmf('0', { inBand: false });
  await box.event('call.phase', (l) => l.callId === offered.callId && l.phase === 'connected', 30_000);
  await sleep(500);
  t.equal(modem.state, 'call', 'the analog line is off hook in the call');
  t.ok(modem.voiceOn, '... with voice flowing');

  const commandsBefore = modem.commands.length;
  const dleBefore = modem.dleFromDte.length;
  await box.restart(); // SIGKILL, then start again on the same store, ttys and ports

  await box.event('analog modem was still in a call nobody handles (restart after a crash); hung up', () => true, 20_000);
  t.ok(modem.dleFromDte.slice(dleBefore).includes(3), 'the restarted daemon left voice mode with <DLE><ETX>');
  const after = modem.commands.slice(commandsBefore).map((c) => c.line.trim().toUpperCase());
  t.ok(after.includes('AT+VLS=0') || after.includes('ATH'), `and put the line on hook (${after.join(' ')})`);
  t.equal(modem.state, 'idle', 'the modem is on hook');

  const row = await box.row<{ outcome: string | null; ended_at: string | null }>('SELECT outcome, ended_at FROM calls WHERE id = ?', [String(offered.callId)], (r) => r.ended_at !== null, 20_000);
  t.equal(row.outcome, 'interrupted', 'the call record is closed as interrupted');

  // The line works again: a new caller reaches the bot.
  await waitFor(() => modem.state === 'idle', 5000, 'idle line');
  modem.ring('+8613800000012');
  await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== offered.callId, 30_000);
  t.pass('a new call on the line is answered after the restart');
});
