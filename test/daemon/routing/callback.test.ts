import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones, rms, toneLevel, toneSamples } from '../../../drivers/audio/tones.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep, waitFor } from '../../helpers/net.js';

const A = '+8613800000001';
const B = '+8613800000002';

/** The strongest 100 ms window of `freq` in what the caller heard between two moments. */
function peak(rec: { at: number; frame: Buffer }[], from: number, to: number, freq: number): number {
  const frames = rec.filter((r) => r.at >= from && r.at <= to).map((r) => r.frame);
  let best = 0;
  for (let i = 0; i + 5 <= frames.length; i += 5) best = Math.max(best, toneLevel(Buffer.concat(frames.slice(i, i + 5)), freq));
  return best;
}


t.test('waiting: announcements in order with hold music; press 1 → callback: agent first, then the caller’s GSM line', async (t) => {
  const wavDir = await mkdtemp(join(tmpdir(), 'fd-cb-'));
  const p801 = await testPhone(t, { user: '801', answer: 'auto', playWav: await writeTestWav(wavDir, 'agent-600.wav', toneSamples(600, 40_000)) });
  const box = await startBox({
    lines: 2,
    agents: [phoneAgent(p801)],
    queues: `  - id: general
    skill: general
    ring_timeout: 3s
    max_wait: 5m
    on_max_wait: callback
    announce: { position: true, wait_estimate: true, every: 6s }`,
  });
  t.teardown(() => box.close());
  const lineB = box.emus[1]!.modem;

  // A talks to 801; B has to wait.
  const from = mark(box);
  const a = await callAndPress(box, 0, A);
  await eventAfter(box, from, 'queue.connect', (l) => l.callId === a);
  const b = await callAndPress(box, 1, B);
  const first = await eventAfter(box, from, 'queue.announce', (l) => l.callId === b);
  const firstAt = performance.now();
  t.equal(first.position, 1);
  t.equal(first.callbackOffered, true, 'the callback is offered');
  t.ok(Number(first.estimateMs) < 60_000, `the estimate comes from the call answered before (${String(first.estimateMs)} ms: "less than a minute")`);
  const second = await eventAfter(box, from, 'queue.announce', (l) => l.callId === b && l !== first, 30_000);
  const secondAt = performance.now();
  t.ok(second, 'announced again after announce.every');
  const rec = lineB.recording;
  const speech = rms(Buffer.concat(rec.filter((r) => r.at >= firstAt && r.at <= firstAt + 2500).map((r) => r.frame)));
  t.ok(speech > 300, `the announcement is heard after the event (rms ${speech.toFixed(0)})`);
  for (const f of [523, 659, 784]) {
    const p = peak(rec, secondAt - 5000, secondAt, f);
    t.ok(p > 0.02, `hold music (${f} Hz chime) between the announcements (${p.toFixed(3)})`);
  }

  // B presses 1: the callback is stored, B is told and the call ends.
  lineB.play(dtmfTones('1', 150, 150));
  const req = await eventAfter(box, from, 'callback.requested', (l) => l.callId === b);
  const ended = await eventAfter(box, from, 'call.ended', (l) => l.callId === b, 30_000);
  t.equal(ended.outcome, 'callback');
  const row = await box.row<{ state: string; number: string; line_id: string }>('SELECT state, number, line_id FROM callbacks WHERE id = ?', [String(req.id)], () => true);
  t.same(row, { state: 'pending', number: B, line_id: 'gsm2' }, 'kept durably in the store');
  await sleep(500);
  const atdBefore = lineB.commands.filter((c) => c.line.startsWith('ATD')).length;

  // A hangs up: 801 is rung first for the callback, then B's line rings.
  const m2 = mark(box);
  const inc = p801.events.length;
  await hangUp(box, 0, a);
  await eventAfter(box, m2, 'callback.state', (l) => l.id === req.id && l.state === 'ringing-agent' && l.extension === '801');
  // (baresip in auto-answer mode reports CALL_ESTABLISHED without CALL_INCOMING.)
  const incoming = await p801.waitEvent('CALL_ESTABLISHED', 20_000, inc);
  t.equal(lineB.commands.filter((c) => c.line.startsWith('ATD')).length, atdBefore, 'the customer is not dialled before the agent is on the line');
  t.match(String(incoming.peerdisplayname ?? ''), /Callback/, `the agent sees it is a callback (${String(incoming.peerdisplayname)})`);
  const dialling = await eventAfter(box, m2, 'callback.state', (l) => l.id === req.id && l.state === 'dialling-customer', 30_000);
  t.equal(dialling.detail, 'gsm2', 'on the line the customer called from');
  await eventAfter(box, m2, 'callback.state', (l) => l.id === req.id && l.state === 'connected', 30_000);
  t.ok(lineB.commands.some((c) => c.line === `ATD${B};`), `the caller's GSM line was dialled (ATD${B};)`);
  const talkFrom = performance.now();
  const heardAgent = (): Buffer => Buffer.concat(lineB.recording.filter((r) => r.at >= talkFrom).map((r) => r.frame));
  // Up to 2.5 s of the call, as long as it takes the agent's voice to arrive.
  await waitFor(() => toneLevel(heardAgent(), 600) > 0.05 || performance.now() - talkFrom > 2500, 5000, "the agent's voice or 2.5 s");
  const heard = heardAgent();
  t.ok(toneLevel(heard, 600) > 0.05, `the caller hears the agent (600 Hz ${toneLevel(heard, 600).toFixed(3)})`);
  lineB.hangup();
  await eventAfter(box, m2, 'callback.state', (l) => l.id === req.id && l.state === 'done', 20_000);
  const done = await box.row<{ state: string; agent: string }>('SELECT state, agent FROM callbacks WHERE id = ?', [String(req.id)], (r) => r.state === 'done');
  t.equal(done.agent, '801');

  // The timeline of B's call tells the story in order.
  const tl = await box.row<{ j: string }>('SELECT json_group_array(event) AS j FROM (SELECT event FROM call_timeline WHERE call_id = ? ORDER BY id)', [b], (r) => (JSON.parse(r.j) as string[]).includes('callback.state'));
  const events = (JSON.parse(tl.j) as string[]).filter((e) => e.startsWith('queue.') || e.startsWith('callback.') || e === 'handoff.requested');
  const want = ['handoff.requested', 'queue.enter', 'queue.announce', 'queue.announce', 'queue.exit', 'callback.requested', 'queue.enter'];
  t.same(events.slice(0, want.length), want, `timeline: ${events.join(' → ')}`);
  t.ok(events.indexOf('callback.state') > want.length - 1, 'then the callback progress');
});
