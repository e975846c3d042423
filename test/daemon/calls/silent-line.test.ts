import t from 'tap';
import { startPhone } from '../../helpers/baresip.js';
import { startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';

const CALLER = '5551234';

t.test('analog line whose modem answers off-hook with VCON: the caller reaches the bot and an agent; <DLE>s hang-up ends the bridged call', async (t) => {
  // The phone "says" nothing (60 s of silence): the silent-caller backstop must not be what ends this call.
  const phone = await startPhone({ user: '801', answer: 'auto' });
  t.teardown(() => phone.stop());
  const box = await startBox({
    agents: [{ extension: '801', contact: phone.uri }],
    analog: { emulator: { vlsVcon: true, echoDb: -12 }, yaml: 'rings_before_answer: 1\nsilence_events: 2\nsilent_caller_hangup: 30s\necho_cancel: 64ms' },
  });
  t.teardown(() => box.close());
  const modem = box.analog!;
  await box.daemon.waitForLog((l) => l.msg === 'line started' && l.lineId === 'pstn1');
  await sleep(500);
  modem.silenceEveryMs = 500;
  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  t.ok(modem.commands.some((c) => c.line === 'AT+VLS=1'), 'off hook with AT+VLS=1 (answered VCON)');
  modem.dtmf('0', { inBand: false });
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  await box.event('call.phase', (l) => l.phase === 'connected', 30_000);
  t.pass('the caller reached the agent');
  await sleep(1000);
  const t0 = performance.now();
  modem.hangup('silence');
  await phone.waitEvent('CALL_CLOSED', 10_000);
  const ms = performance.now() - t0;
  t.ok(ms < 5000, `the agent's phone got BYE ${ms.toFixed(0)} ms after the line went silent (second <DLE>s at 500 ms)`);
  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ?', ['pstn1'], (r) => r.ended_at !== null);
  t.equal(cdr.outcome, 'transferred');
  t.equal(cdr.hung_up_by, 'caller');
  t.equal(cdr.cause, 'silence', 'the CDR says the caller hung up into silence');
});

t.test('a line that reports nothing: the silent caller is hung up after silent_caller_hangup, in the bot and bridged', async (t) => {
  const phone = await startPhone({ user: '801', answer: 'auto' });
  t.teardown(() => phone.stop());
  const box = await startBox({
    agents: [{ extension: '801', contact: phone.uri }],
    analog: { yaml: 'rings_before_answer: 1\nsilent_caller_hangup: 3s' },
  });
  t.teardown(() => box.close());
  const modem = box.analog!;
  await sleep(500);

  // In the bot: the greeting plays (the count pauses), then the caller says nothing at all.
  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  modem.hangup('nothing');
  const ended = await box.event('call.ended', () => true, 20_000);
  t.equal(ended.cause, 'caller-silent');
  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ?', ['pstn1'], (r) => r.ended_at !== null);
  t.equal(cdr.cause, 'caller-silent', 'the CDR says why');
  t.equal(cdr.hung_up_by, 'caller', "the caller's side went away");
  const took = Date.parse(cdr.ended_at!) - Date.parse(cdr.answered_at!);
  t.ok(took < 12_000, `ended ${took} ms after answer (greeting, then 3 s of silence)`);
  await sleep(1500);

  // Bridged to the agent, whose phone plays silence: both quiet, the backstop ends it, the phone gets BYE.
  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== ended.callId);
  modem.dtmf('0', { inBand: false });
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  await box.event('call.phase', (l) => l.phase === 'connected', 30_000);
  modem.hangup('nothing');
  await phone.waitEvent('CALL_CLOSED', 15_000);
  const cdr2 = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ? ORDER BY offered_at DESC', ['pstn1'], (r) => r.ended_at !== null && r.outcome === 'transferred');
  t.equal(cdr2.cause, 'caller-silent', 'bridged: the CDR says why');
  t.equal(cdr2.hung_up_by, 'caller', "bridged: the caller's side went away");
});
