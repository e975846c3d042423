import t from 'tap';
import { join } from 'node:path';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { sleep } from '../../helpers/net.js';
import { callAndPress, eventAfter, mark } from '../../helpers/routing.js';
import { callerHeard, callerHearsNext, pageAs, shotDir, startDeskCallRig } from './rig.js';

interface FdRtc {
  ready(): boolean;
  levelAt(hz: number): number | null;
}

t.test('supervisor from the wallboard: listen (hears both, not heard), whisper (agent only), barge (both)', async (t) => {
  // The supervisor's microphone plays 1500 Hz: it must reach nobody.
  const { box, url, phone, browser } = await startDeskCallRig(t, { prefix: 'fd-listen-', micHz: 1500, micSeconds: 30 });
  const { page } = await pageAs(browser, url, 'sue', 'en');

  const from = mark(box);
  const callId = await callAndPress(box, 0, '+8613912340000', '0');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'connected', 30_000);
  // Wall-clock marks to cut the agent's recording of this call into the listen and whisper parts.
  const connectedAt = Date.now();
  await page.click('tr[data-ext="801"] button.listen');
  await page.waitForSelector('#phone-state[data-state="talking"]');
  const listenFrom = Date.now();
  await page.waitForFunction(() => (globalThis as unknown as { fdRtc: FdRtc }).fdRtc.ready());
  await sleep(500);
  const talkFrom = performance.now();
  box.emu.modem.play(tone([1000], 3000, -10));
  await sleep(2000);
  const lv = await page.evaluate(() => {
    const r = (globalThis as unknown as { fdRtc: FdRtc }).fdRtc;
    return { c: r.levelAt(1000)!, a: r.levelAt(600)!, none: r.levelAt(2500)! };
  });
  t.ok(lv.c - lv.none > 20, `the supervisor hears the caller's 1 kHz (${(lv.c - lv.none).toFixed(1)} dB above 2.5 kHz)`);
  t.ok(lv.a - lv.none > 20, `and the agent's 600 Hz (${(lv.a - lv.none).toFixed(1)} dB above 2.5 kHz)`);
  await page.screenshot({ path: join(await shotDir(), 'wallboard-listen-en.png') });
  await sleep(1200);
  const toCaller = callerHeard(box, talkFrom);
  t.ok(toneLevel(toCaller, 600) > 0.05, `the caller hears the agent (${toneLevel(toCaller, 600).toFixed(3)})`);
  t.ok(toneLevel(toCaller, 1500) < 0.01, `but not the supervisor's microphone (1500 Hz ${toneLevel(toCaller, 1500).toFixed(4)})`);
  t.ok(await box.row("SELECT 1 AS x FROM console_audit WHERE action = 'listen' AND user = 'sue' AND target = ?", [callId], () => true), 'listening in is audited');

  // Whisper: the agent hears the supervisor, the caller does not.
  const listenTo = Date.now();
  await page.click('#phone-hangup');
  await page.waitForSelector('#phone-state[data-state="ended"]');
  await page.click('tr[data-ext="801"] button.whisper');
  await page.waitForSelector('#phone-state[data-state="talking"]');
  const whisperFrom = Date.now() + 1500;
  const whisperToCaller = await callerHearsNext(box, 1500, 2000);
  const whisperTo = Date.now();
  t.ok(toneLevel(whisperToCaller, 1500) < 0.01, `whisper: the caller does not hear the supervisor (1500 Hz ${toneLevel(whisperToCaller, 1500).toFixed(4)})`);

  // The call ends: the supervisor's phone ends with it; the agent heard the whisper (listening sends nothing).
  box.emu.modem.hangup();
  await eventAfter(box, from, 'call.ended', (l) => l.callId === callId);
  await page.waitForSelector('#phone-state[data-state="ended"]');
  t.pass("the supervisor's phone clears when the call ends");
  await phone.waitEvent('CALL_CLOSED', 10_000);
  const agentHeard = await phone.heard();
  // The agent's recording runs from the answer, 8 samples a millisecond; 300 ms margins either side.
  const part = (a: number, b: number): Int16Array => agentHeard.subarray(Math.max(0, Math.round((a - connectedAt + 300) * 8)), Math.round((b - connectedAt - 300) * 8));
  const inListen = part(listenFrom, listenTo), inWhisper = part(whisperFrom, whisperTo);
  t.ok(inListen.length > 8000 && toneLevel(inListen, 1500) < 0.01, `listening: the agent does not hear the supervisor (1500 Hz ${toneLevel(inListen, 1500).toFixed(4)} over ${(inListen.length / 8000).toFixed(1)} s)`);
  t.ok(inWhisper.length > 4000 && toneLevel(inWhisper, 1500) > 0.02, `whisper: the agent hears the supervisor (1500 Hz ${toneLevel(inWhisper, 1500).toFixed(3)} over ${(inWhisper.length / 8000).toFixed(1)} s)`);

  // Barge, on the next call: the caller hears the supervisor too.
  const from2 = mark(box);
  const call2 = await callAndPress(box, 0, '+8613912340001', '0');
  await eventAfter(box, from2, 'call.phase', (l) => l.callId === call2 && l.phase === 'connected', 30_000);
  await page.click('tr[data-ext="801"] button.barge');
  await page.waitForSelector('#phone-state[data-state="talking"]');
  const bargeToCaller = await callerHearsNext(box, 1500, 2000);
  t.ok(toneLevel(bargeToCaller, 1500) > 0.02, `barge: the caller hears the supervisor (1500 Hz ${toneLevel(bargeToCaller, 1500).toFixed(3)})`);
  t.ok(toneLevel(bargeToCaller, 600) > 0.02, 'and still the agent');
  box.emu.modem.hangup();
  await eventAfter(box, from2, 'call.ended', (l) => l.callId === call2);
});
