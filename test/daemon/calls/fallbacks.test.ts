import t from 'tap';
import { access } from 'node:fs/promises';
import { dtmfTones, rms, tone } from '../../../drivers/audio/tones.js';
import { readWav } from '../../../drivers/audio/wav.js';
import { startPhone } from '../../helpers/baresip.js';
import { DEFAULT_BOT, startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';
import { afterBeep } from '../../helpers/routing.js';
import { localTime } from '../../../daemon/bot/hours.js';

const CALLER = '+8613900000002';

t.test('first agent does not answer → the second gets the call', async (t) => {
  const slow = await startPhone({ user: '802', answer: 'manual' });
  t.teardown(() => slow.stop());
  const quick = await startPhone({ user: '803', answer: 'auto' });
  t.teardown(() => quick.stop());
  // With tell_agent: whisper, the agent who answers first hears who calls and why.
  const bot = DEFAULT_BOT.replace('  handoff:\n', '  handoff:\n    tell_agent: whisper\n');
  const box = await startBox({ agents: [{ extension: '802', contact: slow.uri }, { extension: '803', contact: quick.uri }], ringTimeout: '2s', bot });
  t.teardown(() => box.close());

  box.emu.modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(800);
  box.emu.modem.play(dtmfTones('0', 120, 200));
  await slow.waitEvent('CALL_INCOMING', 20_000);
  t.pass('802 (longest idle) rang first');
  await box.event('call.agent', (l) => l.extension === '802' && l.result === 'no-answer', 20_000);
  await quick.waitEvent('CALL_ESTABLISHED', 20_000);
  await box.event('call.phase', (l) => l.phase === 'connected' && (l.detail as { agent: string }).agent === '803');
  t.pass('803 answered after 802 did not');
  const whisper = await box.daemon.waitForLog((l) => l.msg === 'whisper to the agent');
  t.match(whisper.text, /Call from 8 6 1 3 9 0 0 0 0 0 0 0 2, asked for a person, queue general\./, 'the whisper says who calls and why');
  // 802's phone stopped ringing (CANCEL).
  await slow.waitEvent('CALL_CLOSED', 10_000);
  // This time the agent hangs up: the caller's GSM call is hung up too.
  await sleep(500);
  await quick.hangup();
  await quick.waitEvent('CALL_CLOSED', 10_000);
  t.ok(rms(await quick.heard()) > 200, 'the agent heard the whisper (the caller said nothing)');
  await box.event('call.ended', (l) => l.outcome === 'transferred' && l.hungUpBy === 'agent');
  await sleep(500);
  t.ok(box.emu.modem.commands.some((c) => c.line === 'AT+CHUP'), 'the daemon hung up the GSM call (AT+CHUP)');
  const cdr = await box.row<{ agent_ext: string; hung_up_by: string }>('SELECT agent_ext, hung_up_by FROM calls', [], (r) => r.agent_ext !== null);
  t.equal(cdr.agent_ext, '803');
  t.equal(cdr.hung_up_by, 'agent');
});

t.test('nobody answers → apology and voicemail, saved with caller and time', async (t) => {
  const phone = await startPhone({ user: '804', answer: 'manual' });
  t.teardown(() => phone.stop());
  const box = await startBox({ agents: [{ extension: '804', contact: phone.uri }], ringTimeout: '2s' });
  t.teardown(() => box.close());

  box.emu.modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(800);
  box.emu.modem.play(dtmfTones('0', 120, 200));
  await box.event('call.agent', (l) => l.result === 'no-answer', 20_000);
  await box.event('call.phase', (l) => l.phase === 'voicemail', 20_000);
  // The caller leaves a message after the prompt and the beep, then presses #.
  await afterBeep(box.emu.modem, performance.now());
  box.emu.modem.play(Buffer.concat([tone([440], 1500, -12), dtmfTones('#', 150, 100)]));
  const vm = await box.event('voicemail.recorded', () => true, 30_000);
  await access(vm.path as string);
  const wav = await readWav(vm.path as string);
  t.equal(wav.sampleRate, 8000);
  t.ok(wav.samples.length / 8000 >= 1, `voicemail holds the message (${(wav.samples.length / 8000).toFixed(1)} s)`);
  await box.event('call.ended', (l) => l.outcome === 'voicemail', 20_000);
  const row = await box.row<{ caller: string; recorded_at: string; duration_ms: number }>('SELECT caller, recorded_at, duration_ms FROM voicemail', [], (r) => Boolean(r.caller));
  t.equal(row.caller, CALLER);
  t.ok(row.duration_ms >= 1000);
  t.ok(Date.parse(row.recorded_at) > Date.now() - 120_000, 'recorded just now');
});

t.test('after hours → the closed message and voicemail, no agent rung', async (t) => {
  const phone = await startPhone({ user: '805', answer: 'auto' });
  t.teardown(() => phone.stop());
  // Closed today: today is a holiday in the box's time zone.
  const today = localTime(new Date(), 'Asia/Shanghai').date;
  const box = await startBox({
    agents: [{ extension: '805', contact: phone.uri }],
    extra: `hours:\n  open: { mon-sun: "00:00-24:00" }\n  holidays: ["${today}"]\n  closed: { say: "We are closed now. Please leave a message.", then: voicemail }\n`,
  });
  t.teardown(() => box.close());
  box.emu.modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'voicemail', 20_000);
  await afterBeep(box.emu.modem, performance.now());
  box.emu.modem.play(Buffer.concat([tone([500], 1200, -12), dtmfTones('#', 150, 100)]));
  await box.event('voicemail.recorded', () => true, 30_000);
  await box.event('call.ended', (l) => l.outcome === 'voicemail', 20_000);
  t.notOk(phone.events.some((e) => e.type === 'CALL_INCOMING' || e.type === 'CALL_ESTABLISHED'), 'no desk phone rang');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'bot.turn'), 'the bot menu did not run');
});
