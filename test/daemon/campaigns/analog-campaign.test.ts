import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rms } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { waitFor } from '../../drivers/gsm/emu.js';

const BOT = `  greeting: "Hello. This is your follow up call. How did we do?"
  language: en-US
  no_input: { timeout: 700ms, repeats: 0 }
  handoff: { default_queue: general, say: "Connecting you." }
  goodbye: "Goodbye."`;

t.test('an analog campaign: one contact answers (after the ringback) and hears the bot, one is busy, one never answers (no-answer at the ring timeout, ATD aborted, line usable again)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-analog-campaign-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const contacts = join(dir, 'contacts.csv');
  await writeFile(contacts, 'number,name\n5550101,Answers\n5550102,Busy\n5550103,Never answers\n');
  const box = await startBox({
    agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }],
    lines: 1,
    bot: BOT,
    // A fast ringback (400 ms rings, 600 ms pauses) and timers to match: gone 1 s, never 3 s.
    analog: { emulator: { ringbackOnMs: 400, ringbackOffMs: 600 }, yaml: 'ringback_gone: 1s\nringback_never: 3s' },
    extra: `campaigns:
  - id: pstn-followup
    contacts: ${contacts}
    lines: [pstn1]
    window: { open: { mon-sun: "00:00-24:00" } }
    attempts: 1
    ring_timeout: 5s
`,
  });
  t.teardown(() => box.close());
  const modem = box.analog!;
  modem.answerAfterRingbacks = 2;
  modem.dialOutcomes.set('5550102', 'busy');
  modem.dialOutcomes.set('5550103', 'no-answer');
  await box.event('frontdesk running');
  t.ok(modem.commands.some((c) => c.line === 'AT+VRA=10') && modem.commands.some((c) => c.line === 'AT+VRN=3'), 'ringback_gone / ringback_never sent as AT+VRA=10 / AT+VRN=3');

  const offered = await box.event('call.offered', (l) => l.lineId === 'pstn1' && l.caller === '5550101', 30_000);
  await box.event('call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
  const atd = modem.commands.find((c) => c.line === 'ATD5550101;')!;
  const vtr = modem.commands.find((c) => c.line === 'AT+VTR' && c.at > atd.at)!;
  // 300 ms dialling, 2 rings of 400 ms, a 600 ms pause, then 1 s of no ringback before the modem's OK.
  t.ok(vtr.at - atd.at >= 2600, `voice (and the bot) started only once the callee picked up: ${Math.round(vtr.at - atd.at)} ms after ATD`);
  await waitFor('the greeting', () => rms(Buffer.concat(modem.recording.filter((r) => r.at > vtr.at).map((r) => r.frame))) > 300, 10_000);
  t.pass('the answering contact hears the bot greeting');

  const done = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM campaign_contacts WHERE campaign = 'pstn-followup' AND state = 'done'", [], (r) => r.n === 3, 60_000);
  t.equal(done.n, 3);
  const rows = await box.row<{ rows: string }>("SELECT group_concat(number || ':' || outcome, ' ') AS rows FROM (SELECT number, outcome FROM campaign_contacts WHERE campaign = 'pstn-followup' ORDER BY rowid)", [], () => true);
  t.equal(rows.rows, '5550101:answered 5550102:busy 5550103:no-answer', 'answered, busy, no-answer recorded per contact');
  t.equal(modem.dialAborts, 1, 'the unanswered dial was aborted at the ring timeout');
  await waitFor('modem on hook', () => modem.state === 'idle', 5000);
  t.equal(box.daemon.logs.filter((l) => l.msg === 'call.phase' && l.phase === 'bot').length, 1, 'only the answering contact got the bot');

  // The line is usable after the aborted dial: an incoming call is answered by the bot.
  modem.ring('5557777');
  const inbound = await box.event('call.offered', (l) => l.lineId === 'pstn1' && l.caller === '5557777', 20_000);
  await box.event('call.phase', (l) => l.callId === inbound.callId && l.phase === 'bot');
  t.pass('the next call on the line is answered');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'alarm' && l.code === 'line-down'), 'no line-down on the way');
});
