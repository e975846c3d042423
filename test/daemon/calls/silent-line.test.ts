import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rms, tone } from '../../../drivers/audio/tones.js';
import { spokenPrompt } from '../../../scripts/speech-sample.js';
import { startPhone, writeTestWav } from '../../helpers/baresip.js';
import { startBox } from '../../helpers/box.js';
import { sleep, waitFor } from '../../helpers/net.js';

const CALLER = '5551234';

t.test('analog line whose modem answers off-hook with VCON: the caller reaches the bot and an agent, who does not hear their own echo; <DLE>s hang-up ends the call in the bot and bridged', async (t) => {
  // The agent talks for 16 s; the line returns it 12 dB down. The silent-caller backstop (30 s) must not be what ends this call.
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-echo-agent-'));
  const agentWav = await writeTestWav(wavDir, 'agent.wav', Buffer.concat([spokenPrompt(16), Buffer.alloc(8000 * 2 * 60)]));
  const phone = await startPhone({ user: '801', answer: 'auto', playWav: agentWav });
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

  // In the bot: the caller hangs up into silence during the greeting; the second <DLE>s ends the call.
  modem.ring(CALLER);
  const inBot = await box.event('call.phase', (l) => l.phase === 'bot');
  t.ok(modem.commands.some((c) => c.line === 'AT+VLS=1'), 'off hook with AT+VLS=1 (answered VCON)');
  await sleep(1000);
  const t1 = performance.now();
  modem.hangup('silence');
  const ended = await box.event('call.ended', (l) => l.callId === inBot.callId, 10_000);
  const botMs = performance.now() - t1;
  t.ok(botMs < 5000, `the bot's call ended ${botMs.toFixed(0)} ms after the line went silent (second <DLE>s at 500 ms)`);
  t.equal(ended.cause, 'silence');
  const botCdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE id = ?', [inBot.callId as string], (r) => r.ended_at !== null);
  t.equal(botCdr.hung_up_by, 'caller');
  t.equal(botCdr.cause, 'silence', "in the bot: the CDR says the caller hung up into silence (not left-in-bot)");
  await waitFor(() => modem.state === 'idle', 5000, 'modem on hook');
  await sleep(1000);

  // Bridged to the agent.
  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== inBot.callId);
  t.ok(modem.commands.filter((c) => c.line === 'AT+VLS=1').length >= 2, 'off hook again with AT+VLS=1 (answered VCON)');
  modem.dtmf('0', { inBand: false });
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  const establishedAt = performance.now();
  await box.event('call.phase', (l) => l.phase === 'connected', 30_000);
  t.pass('the caller reached the agent');
  // The echo of the agent's voice second by second, from 8 s (the canceller has converged) to 14 s into the call.
  const until = (ms: number): Promise<void> => sleep(Math.max(0, establishedAt + ms - performance.now()));
  const echoAt: { energy: number; frames: number; underruns: number }[] = [];
  for (let s = 8; s <= 14; s++) {
    await until(s * 1000);
    echoAt.push({ ...modem.echoStats });
  }
  const t0 = performance.now();
  modem.hangup('silence');
  await phone.waitEvent('CALL_CLOSED', 10_000);
  const ms = performance.now() - t0;
  const dbfs = (energy: number, samples: number): number => 10 * Math.log10(energy / Math.max(1, samples) / 32768 ** 2 + 1e-12);
  // What the agent's phone recorded (it starts with the call) against what the line returned, per second.
  const heard = await phone.heard();
  const seconds = echoAt.slice(1).map((e, i) => {
    const from = echoAt[i]!;
    const agent = heard.subarray((8 + i) * 8000, (9 + i) * 8000);
    const echoDb = dbfs(e.energy - from.energy, (e.frames - from.frames) * 160);
    return { echoDb, erle: echoDb - dbfs(agent.reduce((sum, x) => sum + x * x, 0), agent.length), underruns: e.underruns - from.underruns };
  });
  const show = seconds.map((x) => `${x.echoDb.toFixed(0)}/${x.erle.toFixed(0)}${x.underruns ? '*' : ''}`).join(' ');
  t.ok(Math.min(...seconds.map((x) => x.echoDb)) > -45, `the line returned the agent's voice every second (echo dBFS / dB less heard by the agent, * = modem playout ran dry: ${show})`);
  // The median second: a second in which the modem's playout ran dry (the echo delay moved) lets echo through until the canceller follows.
  const erle = seconds.map((x) => x.erle).sort((x, y) => x - y)[2]!;
  t.ok(erle >= 20, `the agent heard the echo of their voice ${erle.toFixed(1)} dB down (median second; echo_cancel 64ms)`);
  t.ok(ms < 5000, `the agent's phone got BYE ${ms.toFixed(0)} ms after the line went silent (second <DLE>s at 500 ms)`);
  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ? AND id != ?', ['pstn1', inBot.callId as string], (r) => r.ended_at !== null);
  t.equal(cdr.outcome, 'transferred');
  t.equal(cdr.hung_up_by, 'caller');
  t.equal(cdr.cause, 'silence', 'the CDR says the caller hung up into silence');
});

t.test("a line that reports nothing: the silent caller is hung up after silent_caller_hangup, in the bot and bridged; prompts and the agent talking pause the count, the caller's voice restarts it", async (t) => {
  // The agent talks for the first AGENT_MS of the call (a tone), then says nothing. The backstop is
  // 2 s here (the mechanism, not the default): the agent talks longer than that, so the count must pause.
  const AGENT_MS = 3500;
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-silent-'));
  const agentWav = await writeTestWav(wavDir, 'agent.wav', Buffer.concat([tone([440], AGENT_MS, -20), Buffer.alloc(8000 * 2 * 60)]));
  const phone = await startPhone({ user: '801', answer: 'auto', playWav: agentWav });
  t.teardown(() => phone.stop());
  const box = await startBox({
    agents: [{ extension: '801', contact: phone.uri }],
    analog: { yaml: 'rings_before_answer: 1\nsilent_caller_hangup: 2s' },
  });
  t.teardown(() => box.close());
  const modem = box.analog!;
  await sleep(500);

  // In the bot: the greeting plays (the count pauses), then nobody says anything: 2 s after the greeting.
  modem.ring(CALLER);
  const inBot = await box.event('call.phase', (l) => l.phase === 'bot');
  const answeredAt = performance.now();
  modem.hangup('nothing');
  const ended = await box.event('call.ended', (l) => l.callId === inBot.callId, 20_000);
  const endedAt = performance.now();
  t.equal(ended.cause, 'caller-silent');
  const greeting = modem.recording.filter((r) => r.at >= answeredAt && r.at < endedAt && rms(r.frame) > 300);
  t.ok(greeting.length > 50, `the caller heard a greeting (${greeting.length} frames)`);
  const afterGreeting = endedAt - greeting[greeting.length - 1]!.at;
  t.ok(afterGreeting >= 1800 && afterGreeting < 5000, `ended ${afterGreeting.toFixed(0)} ms after the greeting ended (silent_caller_hangup 2s; the count paused while it played)`);
  const cdr = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE id = ?', [inBot.callId as string], (r) => r.ended_at !== null);
  t.equal(cdr.cause, 'caller-silent', 'the CDR says why');
  t.equal(cdr.hung_up_by, 'caller', "the caller's side went away");
  await waitFor(() => modem.state === 'idle', 5000, 'modem on hook');
  await sleep(1000);

  // Bridged to the agent: the caller is silent throughout; the agent talks for 3.5 s (longer than the
  // backstop: the count pauses), then both are quiet, and the backstop ends the call; the phone gets BYE.
  modem.ring(CALLER);
  await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== inBot.callId);
  modem.dtmf('0', { inBand: false });
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  const establishedAt = performance.now();
  await phone.waitEvent('CALL_CLOSED', 20_000);
  const bridgedMs = performance.now() - establishedAt;
  t.ok(bridgedMs >= AGENT_MS && bridgedMs < AGENT_MS + 2000 + 3000, `bridged call ended ${bridgedMs.toFixed(0)} ms after the agent answered (agent talked ${AGENT_MS} ms, then 2 s of silence at most)`);
  const cdr2 = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE line_id = ? AND id != ?', ['pstn1', inBot.callId as string], (r) => r.ended_at !== null);
  t.equal(cdr2.outcome, 'transferred');
  t.equal(cdr2.cause, 'caller-silent', 'bridged: the CDR says why');
  t.equal(cdr2.hung_up_by, 'caller', "bridged: the caller's side went away");
  await waitFor(() => modem.state === 'idle', 5000, 'modem on hook');
  await sleep(1000);

  // In the bot again: 1 s after the greeting the caller says something (1 s above the threshold),
  // then nothing. Without the restart the call would end 2 s after the greeting, as the sound ends;
  // were the count only paused, 1 s after it.
  modem.ring(CALLER);
  const third = await box.event('call.phase', (l) => l.phase === 'bot' && l.callId !== inBot.callId && l.callId !== cdr2.id);
  const answered3 = performance.now();
  const loud = () => modem.recording.filter((r) => r.at >= answered3 && rms(r.frame) > 300);
  const greetingEnd = await waitFor(() => {
    const l = loud().at(-1);
    return l && performance.now() - l.at >= 1000 ? l.at : undefined;
  }, 15_000, 'the greeting, then 1 s of quiet');
  const spokeAt = performance.now();
  modem.play(tone([440], 1000, -20));
  const spokeUntil = spokeAt + 1000;
  const ended3 = await box.event('call.ended', (l) => l.callId === third.callId, 20_000);
  const ended3At = performance.now();
  t.equal(ended3.cause, 'caller-silent');
  t.notOk(loud().some((r) => r.at > greetingEnd), 'no prompt played after the greeting (nothing else paused the count)');
  const afterVoice = ended3At - spokeUntil;
  t.ok(afterVoice >= 1800 && afterVoice < 5000, `ended ${afterVoice.toFixed(0)} ms after the caller's last sound (${(ended3At - greetingEnd).toFixed(0)} ms after the greeting; silent_caller_hangup 2s restarted by the caller's voice)`);
  const cdr3 = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE id = ?', [third.callId as string], (r) => r.ended_at !== null);
  t.equal(cdr3.cause, 'caller-silent', "the CDR says why (the caller's voice restarted the count)");
});
