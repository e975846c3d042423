import t from 'tap';
import { once } from 'node:events';
import { tone } from '../../../drivers/audio/tones.js';
import type { LegEnd } from '../../../drivers/line.js';
import { startPhone } from '../../helpers/baresip.js';
import { DEFAULT_BOT, startBox } from '../../helpers/box.js';
import { afterBeep, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { startBox as startSipStack } from '../../helpers/sip-box.js';
import { freePort, sleep, waitFor } from '../../helpers/net.js';

const MODES = ['voicemail', 'queue:general', 'extension:801', 'reject', 'extension:802'];

t.test('lines[].answer on real lines: voicemail, queue, extension, reject (GSM, analog and SIP)', async (t) => {
  const phone = await startPhone({ user: '801', answer: 'auto' });
  t.teardown(() => phone.stop());
  const deadPbx = await freePort(1);
  const box = await startBox({
    lines: 5,
    analog: { yaml: 'answer: reject' },
    gsmLine: (i) => `    answer: ${MODES[i]}`,
    // The SIP line takes the box's inbound SIP calls; it rejects them.
    moreLines: `  - id: trunk\n    kind: sip\n    host: 127.0.0.1\n    port: ${deadPbx}\n    answer: reject`,
    // 802's desk phone is off (nothing listens at its address).
    agents: [{ extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' }, { extension: '802', contact: `sip:802@127.0.0.1:${deadPbx}`, skills: '{ other: 1 }' }],
    bot: DEFAULT_BOT.replace('    no_agent_say:', '    ring_timeout: 3s\n    no_agent_say:'),
  });
  t.teardown(() => box.close());
  const cdr = (id: string): Promise<Record<string, string | null>> => box.row('SELECT * FROM calls WHERE id = ?', [id], (r: Record<string, string | null>) => r.ended_at !== null);
  const offeredOn = async (line: number, number: string): Promise<string> => {
    const from = mark(box);
    box.emus[line]!.modem.ring(number);
    return String((await eventAfter(box, from, 'call.offered', (l) => l.lineId === `gsm${line + 1}`)).callId);
  };

  await t.test('voicemail: no bot, straight to the message', async (t) => {
    const from = mark(box);
    const id = await offeredOn(0, '+8613800000001');
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'voicemail');
    await afterBeep(box.emus[0]!.modem, performance.now()); // the prompt and the beep
    box.emus[0]!.modem.play(tone([700], 1500, -12));
    await sleep(1800);
    await hangUp(box, 0, id);
    const c = await cdr(id);
    t.equal(c.outcome, 'voicemail');
    t.equal(c.menu_path, null, 'the bot never ran');
    t.notOk(box.daemon.logs.slice(from).some((l) => l.msg === 'bot.turn' && l.callId === id), 'no bot turn');
    const vm = await box.row<{ duration_ms: number }>('SELECT duration_ms FROM voicemail WHERE call_id = ?', [id], () => true);
    t.ok(vm.duration_ms > 1000, `a message was recorded (${vm.duration_ms} ms)`);
  });

  await t.test('queue:general: straight into the queue, the agent answers', async (t) => {
    const from = mark(box);
    const id = await offeredOn(1, '+8613800000002');
    const h = await eventAfter(box, from, 'handoff.requested', (l) => l.callId === id);
    t.match(h, { reason: 'line', queue: 'general' });
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'connected');
    await hangUp(box, 1, id);
    const c = await cdr(id);
    t.match(c, { outcome: 'transferred', queue_id: 'general', agent_ext: '801', menu_path: null });
  });

  await t.test('extension:801: that desk phone rings, no queue', async (t) => {
    const from = mark(box);
    const since = phone.events.length;
    const id = await offeredOn(2, '+8613800000003');
    const est = await phone.waitEvent('CALL_ESTABLISHED', 20_000, since);
    t.match(String(est.peerdisplayname), '8613800000003', `the phone shows the caller (${String(est.peerdisplayname)})`);
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'connected');
    await hangUp(box, 2, id);
    const c = await cdr(id);
    t.match(c, { outcome: 'transferred', queue_id: null, agent_ext: '801' });
  });

  await t.test('extension:802 that does not answer: apology, then voicemail', async (t) => {
    const from = mark(box);
    const id = await offeredOn(4, '+8613800000005');
    await eventAfter(box, from, 'call.agent', (l) => l.callId === id && l.extension === '802' && l.result === 'ringing');
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'voicemail', 20_000);
    await hangUp(box, 4, id);
    const c = await cdr(id);
    t.match(c, { outcome: 'voicemail', agent_answered_at: null });
  });

  await t.test('reject on GSM: hung up unanswered with AT+CHUP', async (t) => {
    const modem = box.emus[3]!.modem;
    const before = modem.commands.length;
    const id = await offeredOn(3, '+8613800000004');
    const c = await cdr(id);
    t.match(c, { outcome: 'rejected', answered_at: null, cause: 'rejected' });
    const cmds = modem.commands.slice(before).map((x) => x.line);
    t.ok(cmds.includes('AT+CHUP'), 'AT+CHUP sent');
    t.notOk(cmds.includes('ATA'), 'never answered');
  });

  await t.test('reject on analog: never off hook; recorded as rejected once the ringing stops', async (t) => {
    const modem = box.analog!;
    await waitFor(() => modem.commands.some((c) => c.line === 'AT+VLS=0'), 15_000, 'analog line initialised');
    const from = mark(box);
    modem.ring('+8613800000006');
    const offered = await eventAfter(box, from, 'call.offered', (l) => l.lineId === 'pstn1');
    await sleep(2500);
    t.notOk(modem.commands.some((c) => c.line === 'AT+VLS=1' || c.line === 'ATA'), 'the modem was never taken off hook');
    modem.hangup(); // the caller gives up
    const c = await box.row<Record<string, string | null>>('SELECT * FROM calls WHERE id = ?', [String(offered.callId)], (r) => r.ended_at !== null, 20_000);
    t.match(c, { outcome: 'rejected', answered_at: null });
  });

  await t.test('reject on SIP: 603 Decline', async (t) => {
    const caller = await startSipStack({ id: 'caller' });
    t.teardown(() => caller.stop());
    const leg = await caller.dial(`sip:100@127.0.0.1:${box.sipPort}`);
    const [end] = (await once(leg, 'ended')) as [LegEnd];
    t.match(end.detail, /^603/, `the box declined (${end.detail})`);
    await waitFor(() => box.daemon.logs.find((l) => l.msg === 'call.ended' && l.outcome === 'rejected' && box.daemon.logs.some((o) => o.msg === 'call.offered' && o.callId === l.callId && o.lineId === 'trunk')), 10_000, 'rejected call recorded');
  });
});
