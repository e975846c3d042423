import t from 'tap';
import { toneLevel, toneSamples } from '../../../drivers/audio/tones.js';
import { startPhone, writeTestWav } from '../../helpers/baresip.js';
import { callAndPress, eventAfter, mark } from '../../helpers/routing.js';
import { DEFAULT_BOT } from '../../helpers/box.js';
import { callerHearsNext, launchPhoneBrowser, micWav, pageAs, startConsoleBox, tempDir, WEBRTC_LOOPBACK } from './rig.js';

const CALLER = '+8613912340000';

t.test('browser agent who does not answer: after the ring timeout the caller goes to the next agent, the page stops ringing, the agent is auto-paused as a desk-phone agent would be', async (t) => {
  const dir = await tempDir(t, 'fd-rtc-na-');
  // 802: a baresip desk phone that answers by itself and plays 600 Hz.
  const p802 = await startPhone({ user: '802', answer: 'auto', playWav: await writeTestWav(dir, 'agent-600.wav', toneSamples(600, 30_000)) });
  t.teardown(() => p802.stop());
  const cb = await startConsoleBox({
    agents: [{ extension: '801', contact: 'webrtc', skills: '{ general: 1, web: 1 }', extra: 'wrap_up: 0s' }, { extension: '802', contact: p802.uri, extra: 'wrap_up: 0s' }],
    // general, linear: the browser agent 801 first, then 802; web: 801 alone (key 1), voicemail when nobody answers.
    // One miss pauses an agent (as routing does for desk phones).
    queues: '  - id: general\n    skill: general\n    strategy: linear\n    ring_timeout: 3s\n  - id: web\n    skill: web\n    ring_timeout: 3s\n    on_max_wait: voicemail',
    bot: DEFAULT_BOT.replace('    "0": agent', '    "0": agent\n    "1": queue:web'),
    extra: 'routing:\n  auto_pause_after: 1\n',
    consoleMore: WEBRTC_LOOPBACK,
  });
  t.teardown(() => cb.close());
  const { box, url } = cb;
  const browser = await launchPhoneBrowser(await micWav(dir, 1500, 10));
  t.teardown(() => browser.close());
  const { page } = await pageAs(browser, url, 'ann', 'en');
  await page.waitForSelector('#agent-state[data-state="available"]');

  // The caller presses 0: 801's page rings with the screen-pop; nobody clicks Answer.
  const from = mark(box);
  const callId = await callAndPress(box, 0, CALLER, '0');
  await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.extension === '801' && l.result === 'ringing');
  await page.waitForSelector('#phone-state[data-state="ringing"]');
  await page.waitForSelector(`#pop-body[data-call-id="${callId}"]`);
  t.ok(await page.$('#pop.ringing-banner'), 'the workbench rings with the screen-pop');

  // The ring timeout: 801's ring ends unanswered, exactly as a desk phone's.
  const miss = await eventAfter(box, from, 'agent.ring-no-answer', (l) => l.callId === callId && l.extension === '801', 15_000);
  t.equal(miss.result, 'no-answer', `801 rang ${String(miss.ringMs)} ms without an answer`);
  t.ok(Number(miss.ringMs) >= 2900 && Number(miss.ringMs) < 6000, 'for the queue\'s ring timeout (3 s)');
  const paused = await eventAfter(box, from, 'agent.state', (l) => l.extension === '801' && l.state === 'paused');
  t.match(paused.reason, /auto/, `801 auto-paused (${String(paused.reason)})`);

  // The caller goes on to the next agent: 802's desk phone answers and the caller hears it.
  const conn = await eventAfter(box, from, 'queue.connect', (l) => l.callId === callId, 15_000);
  t.equal(conn.extension, '802', 'the next agent (802, a desk phone) takes the call');
  const heard = await callerHearsNext(box, 800, 1000);
  t.ok(toneLevel(heard, 600) > 0.05, `the caller talks to 802 (600 Hz ${toneLevel(heard, 600).toFixed(3)})`);

  // The page: its phone stopped ringing (the ring leg ended), the screen-pop is gone, the agent shows paused.
  await page.waitForSelector('#phone-state[data-state="ended"]');
  t.ok(await page.isDisabled('#phone-answer'), 'the Answer button is off');
  await page.waitForSelector('#pop-body[data-call-id=""]');
  t.notOk(await page.$('#pop.ringing-banner'), 'the screen-pop is cleared');
  await page.waitForSelector('#agent-state[data-state="paused"]');
  t.match(await page.textContent('#agent-state'), /auto/, `the workbench shows 801 paused (${(await page.textContent('#agent-state')) ?? ''})`);

  box.emu.modem.hangup();
  const ended = await eventAfter(box, from, 'call.ended', (l) => l.callId === callId, 20_000);
  t.equal(ended.hungUpBy, 'caller', 'the caller hung up; the call ends normally');
  await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE id = ? AND outcome = 'transferred' AND agent_ext = '802'", [callId], (r) => r.n === 1);
  t.pass('the CDR: transferred to 802');

  // Ready again from the page: the next caller rings the browser agent first again.
  await page.click('#set-ready');
  await page.waitForSelector('#agent-state[data-state="available"]');
  // A queue only the browser agent serves: when it does not answer, the queue's behaviour for a caller
  // nobody takes (on_max_wait: voicemail) follows, and the page stops ringing.
  const from2 = mark(box);
  const call2 = await callAndPress(box, 0, '+8613912340001', '1');
  await eventAfter(box, from2, 'call.agent', (l) => l.callId === call2 && l.extension === '801' && l.result === 'ringing');
  await page.waitForSelector('#phone-state[data-state="ringing"]');
  t.pass('once ready, 801 is rung again (queue web)');
  const exit = await eventAfter(box, from2, 'queue.exit', (l) => l.callId === call2, 15_000);
  // The miss paused 801 again (auto_pause_after: 1), so the queue is left without an agent.
  t.equal(exit.reason, 'empty', 'nobody answered and 801 is paused: the caller leaves the queue (empty)');
  await eventAfter(box, from2, 'call.phase', (l) => l.callId === call2 && l.phase === 'voicemail', 15_000);
  t.pass("and is offered voicemail, the queue's on_max_wait");
  await page.waitForSelector('#phone-state[data-state="ended"]');
  await page.waitForSelector('#pop-body[data-call-id=""]');
  await page.waitForSelector('#agent-state[data-state="paused"]');
  t.pass('the page stopped ringing, its screen-pop is cleared, 801 is paused again');
  box.emu.modem.hangup();
  await eventAfter(box, from2, 'call.ended', (l) => l.callId === call2, 20_000);
});
