import t from 'tap';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, toneSamples } from '../../../drivers/audio/tones.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { DEFAULT_BOT, phoneAgent, startBox } from '../../helpers/box.js';
import { brokerAndCentral, command } from '../../helpers/central.js';
import { callAndPress, eventAfter, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

interface Window { csat: number | null; csatAvg: number | null; csatResponses: number }

t.test('DTMF survey after the agent hangs up: stored, reported over MQTT, moves CSAT; a low score raises the supervisor alarm', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/#']);
  // The agent's phone plays 1 s of tone and hangs up when the file ends: the agent ends the call.
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-survey-'));
  const phone = await testPhone(t, { user: '801', answer: 'auto', playWav: await writeTestWav(wavDir, 'agent.wav', toneSamples(600, 1000)) });
  const box = await startBox({
    agents: [phoneAgent(phone)],
    bot: `${DEFAULT_BOT.replace('"0": agent', '"0": agent\n    "9": { say: "Bye.", then: hangup }')}\n  survey:\n    say: "Please rate us from one to five."\n    timeout: 10s\n    low_score: { at_most: 2, then: alarm }`,
    extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 1s\n  commands: [status, survey-followed-up]\n`,
  });
  t.teardown(() => box.close());

  const rateCall = async (number: string, key: string): Promise<string> => {
    const from = mark(box);
    const id = await callAndPress(box, 0, number);
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'connected');
    await eventAfter(box, from, 'call.phase', (l) => l.callId === id && l.phase === 'survey', 20_000);
    await sleep(700);
    box.emu.modem.play(dtmfTones(key, 120, 200));
    const ans = await eventAfter(box, from, 'survey.answered', (l) => l.callId === id);
    t.equal(ans.score, Number(key), `the caller's key ${key} is the score`);
    await eventAfter(box, from, 'call.ended', (l) => l.callId === id, 20_000);
    return id;
  };

  const first = await rateCall('+8613800000011', '5');
  const row = await box.row<{ score: number; scale: number }>('SELECT score, scale FROM surveys WHERE call_id = ?', [first], () => true);
  t.same(row, { score: 5, scale: 5 }, 'stored in surveys');
  const cdr = await box.row<{ outcome: string; hung_up_by: string }>('SELECT outcome, hung_up_by FROM calls WHERE id = ?', [first], (r) => r.outcome !== null);
  t.same(cdr, { outcome: 'transferred', hung_up_by: 'agent' }, 'the agent ended the conversation; the box ended the call after the survey');
  const ev = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/events' && (m.json as { type: string }).type === 'survey.answered', 20_000, 'survey.answered on MQTT');
  t.match((ev.json as { data: unknown }).data, { score: 5, scale: 5 });
  const m1 = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/metrics' && (m.json as { windows: Record<string, Window> }).windows['15m']!.csatResponses === 1, 20_000, 'metrics with one answer');
  t.match((m1.json as { windows: Record<string, Window> }).windows['15m'], { csat: 1, csatAvg: 5, csatResponses: 1 }, 'CSAT 100 % after a 5');
  t.notOk(central.messages.some((m) => m.topic.endsWith('/alarms') && /low-survey-score/.test(JSON.stringify(m.json))), 'a good score raises nothing');

  const second = await rateCall('+8613800000012', '2');
  const m2 = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/metrics' && (m.json as { windows: Record<string, Window> }).windows['15m']!.csatResponses === 2, 20_000, 'metrics with two answers');
  t.match((m2.json as { windows: Record<string, Window> }).windows['15m'], { csat: 0.5, csatAvg: 3.5, csatResponses: 2 }, 'CSAT moves to 50 % (mean 3.5) after a 2');
  const alarm = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/alarms' && /low-survey-score/.test(JSON.stringify(m.json)), 20_000, 'low-score alarm');
  t.match(JSON.stringify(alarm.json), /rated 2\/5/, 'the supervisor alarm says the score');
  t.match(alarm.json, { data: { source: second, active: true } }, 'one alarm per call: its source is the call id');

  // after_bot: a call the bot resolved is asked too.
  const file = join(box.dir, 'frontdesk.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('    timeout: 10s', '    timeout: 10s\n    after_bot: true'));
  const from2 = mark(box);
  box.daemon.kill('SIGHUP');
  await eventAfter(box, from2, 'config reloaded', () => true, 10_000);
  box.emu.modem.ring('+8613800000014');
  const offered = await eventAfter(box, from2, 'call.offered');
  await eventAfter(box, from2, 'call.phase', (l) => l.phase === 'bot');
  await sleep(800);
  box.emu.modem.play(dtmfTones('9', 120, 200));
  await eventAfter(box, from2, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'survey', 20_000);
  await sleep(700);
  box.emu.modem.play(dtmfTones('4', 120, 200));
  const ended = await eventAfter(box, from2, 'call.ended', (l) => l.callId === offered.callId, 20_000);
  t.equal(ended.outcome, 'bot-resolved');
  const s4 = await box.row<{ score: number }>('SELECT score FROM surveys WHERE call_id = ?', [String(offered.callId)], () => true);
  t.equal(s4.score, 4, 'a bot-resolved call was surveyed (after_bot)');
  const still = await box.row<{ active: number }>("SELECT active FROM alarms WHERE code = 'low-survey-score' AND source = ?", [second], () => true);
  t.equal(still.active, 1, 'a good score from someone else does not clear it');
  const fu = await command(broker.url, 'survey-followed-up', { callId: second, by: 'supervisor 900' });
  t.ok(fu.ok, JSON.stringify(fu));
  const cleared = await box.row<{ active: number; message: string }>("SELECT active, message FROM alarms WHERE code = 'low-survey-score' AND source = ?", [second], (r) => r.active === 0);
  t.same(cleared, { active: 0, message: 'followed up by supervisor 900' }, 'the supervisor\'s follow-up clears it');
  const again = await command(broker.url, 'survey-followed-up', { callId: second, by: 'supervisor 900' });
  t.equal(again.ok, false, 'nothing left to follow up on that call');

  // low_score.then: callback — a low score leaves a callback task for the caller.
  await writeFile(file, (await readFile(file, 'utf8')).replace('then: alarm', 'then: callback'));
  const from = mark(box);
  box.daemon.kill('SIGHUP');
  await eventAfter(box, from, 'config reloaded', () => true, 10_000);
  const third = await rateCall('+8613800000013', '1');
  const cb = await box.row<{ number: string; queue: string; call_id: string }>('SELECT number, queue, call_id FROM callbacks WHERE call_id = ?', [third], () => true);
  t.same(cb, { number: '+8613800000013', queue: 'general', call_id: third }, 'a callback task for the unhappy caller, in the queue they were in');
});
