import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { dtmfTones, tone, toneSamples } from '../../../drivers/audio/tones.js';
import { Bus } from '../../../daemon/bus/bus.js';
import type { DomainEvents } from '../../../daemon/bus/events.js';
import type { Config } from '../../../daemon/config/schema.js';
import { DialGate, checkNumber, dialRules } from '../../../daemon/routing/dial-policy.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { afterBeep, callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { freePort, sleep } from '../../helpers/net.js';
import { consoleSection, login } from '../console/rig.js';

const cfg = (dialing: Config['dialing']): Config => ({ site: 's', node: 'n', lines: [], bot: { greeting: 'hi' }, ...(dialing ? { dialing } : {}) });

t.test('prefix rules: the longest matching prefix decides; only plain numbers', async (t) => {
  const rules = dialRules(cfg({ allowed_prefixes: ['0', '1', '+86'], blocked_prefixes: ['00', '+', '0900'] }));
  t.ok(checkNumber('13800000001', rules).ok, 'national mobile');
  t.ok(checkNumber('021 1234-5678', rules).ok, 'spaces and dashes are ignored');
  t.ok(checkNumber('+8613800000001', rules).ok, '"+86" allowed beats "+" blocked');
  t.match(checkNumber('+447700900123', rules), { ok: false, kind: 'number', reason: /blocked range \(\+\.\.\.\)/ }, 'international E.164 blocked');
  t.match(checkNumber('0044770090012', rules), { ok: false, reason: /blocked range \(00\.\.\.\)/ }, 'international access code blocked');
  t.match(checkNumber('09001234567', rules), { ok: false, reason: /0900/ }, 'premium range blocked although "0" is allowed');
  t.match(checkNumber('55512345', rules), { ok: false, reason: /not under an allowed prefix/ });
  t.match(checkNumber('sip:evil@example.com', rules), { ok: false, reason: /not a plain phone number/ });
  t.match(checkNumber('1234;ext=5', rules), { ok: false });
  const defaults = dialRules(cfg(undefined));
  t.same([defaults.blockedPrefixes, defaults.maxPerLine, defaults.windowMs], [['00'], 30, 3_600_000], 'defaults: international access code blocked, 30 per line per hour');
  t.ok(checkNumber('+8613800000001', defaults).ok, 'no allow-list: anything not blocked');
  t.notOk(checkNumber('00861380000000', defaults).ok);
});

t.test('per-line rate limit; refusals are logged and alarmed, a permitted dial clears the alarm', async (t) => {
  const bus = new Bus();
  const alarms: DomainEvents['alarm'][] = [];
  bus.on('alarm', (e) => {
    alarms.push(e.data);
  });
  let now = 1_000_000;
  const gate = new DialGate({ bus, log: pino({ level: 'silent' }), config: () => cfg({ max_per_line: 2, per_line_window: '10m' }), now: () => now });
  t.ok(gate.permit('gsm1', '13800000001', 'callback').ok);
  t.ok(gate.permit('gsm1', '13800000002', 'callback').ok);
  t.match(gate.permit('gsm1', '13800000003', 'campaign'), { ok: false, kind: 'rate', reason: /gsm1 already dialled 2 times within 10 min/ });
  t.ok(gate.permit('gsm2', '13800000003', 'campaign').ok, 'the limit is per line');
  t.match(alarms, [{ code: 'dial-refused', source: 'gsm1', active: true, message: /campaign to 13800000003 refused/ }]);
  now += 10 * 60_000;
  t.ok(gate.permit('gsm1', '13800000003', 'campaign').ok, 'allowed again once the window has passed');
  t.match(alarms[1], { code: 'dial-refused', source: 'gsm1', active: false }, 'alarm cleared');
  t.notOk(gate.permit('gsm1', '0044123', 'originate').ok);
  t.notOk(gate.screen('gsm1', '0044123', 'callback'));
  t.equal(alarms.filter((a) => a.active).length, 3);
});

t.test('a blocked caller at max wait ends in voicemail, not a promised callback; a callback to them (console "call back") is never dialled', async (t) => {
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-dp-'));
  const p801 = await testPhone(t, { user: '801', answer: 'auto', playWav: await writeTestWav(wavDir, 'agent.wav', toneSamples(600, 30_000)) });
  const consolePort = await freePort();
  const box = await startBox({
    lines: 2,
    // (802 only because the console's test users name it; never logged in.)
    agents: [phoneAgent(p801), { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'logged_in: false' }],
    queues: `  - id: general\n    skill: general\n    ring_timeout: 3s\n    max_wait: 2s\n    on_max_wait: callback`,
    extra: `dialing:\n  allowed_prefixes: ["+86"]\n  blocked_prefixes: ["00", "+"]\n${await consoleSection(consolePort)}`,
  });
  t.teardown(() => box.close());
  const url = `http://127.0.0.1:${consolePort}`;
  await box.event('console listening', () => true, 15_000);
  const A = '+8613800000001';
  const B = '+447700900123'; // international: blocked
  const lineB = box.emus[1]!.modem;
  const from = mark(box);
  // A talks to 801, so B waits until max_wait: a callback queue, but B's number may not be dialled.
  const a = await callAndPress(box, 0, A);
  await eventAfter(box, from, 'queue.connect', (l) => l.callId === a);
  const b = await callAndPress(box, 1, B);
  const exit = await eventAfter(box, from, 'queue.exit', (l) => l.callId === b, 30_000);
  t.equal(exit.reason, 'timeout', 'B reached max wait');
  await box.daemon.waitForLog((l) => l.msg === 'voicemail instead of a callback: the dialing policy refuses the number' && l.callId === b, 5000);
  await eventAfter(box, from, 'call.phase', (l) => l.callId === b && l.phase === 'voicemail', 20_000);
  await afterBeep(lineB, performance.now());
  lineB.play(Buffer.concat([tone([440], 1200, -12), dtmfTones('#', 150, 100)]));
  const vm = await eventAfter(box, from, 'voicemail.recorded', (l) => l.callId === b, 30_000);
  const ended = await eventAfter(box, from, 'call.ended', (l) => l.callId === b, 20_000);
  t.equal(ended.outcome, 'voicemail', 'the blocked caller ends in voicemail');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'callback.requested' && l.callId === b), 'no callback was promised or stored');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'dial refused by the dialing policy'), 'nothing was even tried');

  // A supervisor presses "call back" on B's voicemail: the callback is stored, then refused at once.
  const sue = await login(url, 'sue');
  const res = await fetch(`${url}/api/voicemail/${String(vm.id)}/call-back`, { method: 'POST', headers: { cookie: sue.cookie, 'x-csrf-token': sue.csrf, origin: url, 'content-type': 'application/json' }, body: '{}' });
  t.equal(res.status, 200, 'the call-back request is taken');
  const req = await eventAfter(box, from, 'callback.requested', (l) => l.callId === b);
  const failed = await eventAfter(box, from, 'callback.state', (l) => l.id === req.id && l.state === 'failed', 15_000);
  t.match(failed.detail, /dialing policy/, `callback failed: ${String(failed.detail)}`);
  const refusal = await box.daemon.waitForLog((l) => l.msg === 'dial refused by the dialing policy' && l.number === B, 5000);
  t.match(refusal, { lineId: 'gsm2', purpose: 'callback', reason: /blocked range/ }, 'logged with line, purpose and reason');
  const alarm = await box.row<{ active: number; message: string }>("SELECT active, message FROM alarms WHERE code = 'dial-refused' AND source = 'gsm2'", [], () => true);
  t.match(alarm, { active: 1, message: new RegExp(`callback to \\${B} refused`) }, 'dial-refused alarm raised');
  await sleep(1000);
  // The agent becomes free: a permitted callback would ring 801 now and then dial B.
  const m2 = mark(box);
  await hangUp(box, 0, a);
  // (The router rings a free agent for a waiting callback at once; 2 s more is ample.)
  await eventAfter(box, m2, 'agent.state', (l) => l.extension === '801' && l.state === 'available', 10_000);
  await sleep(2000);
  t.notOk(box.daemon.logs.slice(m2).some((l) => l.msg === 'callback.state' && l.id === req.id), 'the agent was never rung for it');
  t.same(lineB.commands.filter((c) => c.line.startsWith('ATD')), [], 'no ATD ever reached the modem of the line');
});

t.test('a caller whose number the policy refuses is not offered a callback while waiting; an allowed caller is', async (t) => {
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-dpo-'));
  const p801 = await testPhone(t, { user: '801', answer: 'auto', playWav: await writeTestWav(wavDir, 'agent.wav', toneSamples(600, 60_000)) });
  const box = await startBox({
    lines: 3,
    agents: [phoneAgent(p801)],
    queues: `  - id: general\n    skill: general\n    ring_timeout: 3s\n    max_wait: 5m\n    on_max_wait: callback\n    announce: { position: true, wait_estimate: false, every: 4s }`,
    extra: 'dialing:\n  allowed_prefixes: ["+86"]\n  blocked_prefixes: ["00", "+"]',
  });
  t.teardown(() => box.close());
  const A = '+8613800000001';
  const B = '+447700900123'; // international: blocked
  const C = '+8613800000003';
  const lineB = box.emus[1]!.modem;
  const lineC = box.emus[2]!.modem;
  const from = mark(box);
  // A talks to 801, so B and C wait.
  const a = await callAndPress(box, 0, A);
  await eventAfter(box, from, 'queue.connect', (l) => l.callId === a);
  const b = await callAndPress(box, 1, B);
  const c = await callAndPress(box, 2, C);
  const annB = await eventAfter(box, from, 'queue.announce', (l) => l.callId === b);
  const annC = await eventAfter(box, from, 'queue.announce', (l) => l.callId === c);
  t.equal(annB.callbackOffered, false, 'the blocked caller hears no callback offer');
  t.equal(annC.callbackOffered, true, 'the allowed caller is offered a callback');
  t.ok(box.daemon.logs.some((l) => l.msg === 'no callback offered: the dialing policy refuses the number' && l.callId === b), 'the reason is logged');
  // Both press 1: only C's key asks for a callback; B keeps waiting in the queue.
  const m2 = mark(box);
  lineB.play(dtmfTones('1', 150, 150));
  lineC.play(dtmfTones('1', 150, 150));
  const req = await eventAfter(box, m2, 'callback.requested', (l) => l.callId === c);
  t.equal(req.number, C);
  await eventAfter(box, m2, 'call.ended', (l) => l.callId === c && l.outcome === 'callback', 20_000);
  await eventAfter(box, m2, 'queue.announce', (l) => l.callId === b && l.callbackOffered === false, 15_000);
  const logsAfter = box.daemon.logs.slice(m2);
  t.notOk(logsAfter.some((l) => l.msg === 'callback.requested' && l.callId === b), 'no callback is stored for the blocked caller');
  t.notOk(logsAfter.some((l) => l.msg === 'queue.exit' && l.callId === b), 'the blocked caller is still in the queue');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'dial refused by the dialing policy' && l.number === B), 'nothing was even tried for the blocked number');
  await hangUp(box, 1, b);
  await hangUp(box, 0, a);
});
