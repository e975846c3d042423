import t from 'tap';
import { join } from 'node:path';
import { dtmfTones, tone, toneLevel } from '../../../drivers/audio/tones.js';
import { readWav } from '../../../drivers/audio/wav.js';
import { sleep } from '../../helpers/net.js';
import { callAndPress, eventAfter, mark } from '../../helpers/routing.js';
import { ACCOUNT_BOT, callerHeard, callWithAccount, launchPhoneBrowser, micWav, pageAs, shotDir, startConsoleBox, tempDir, WEBRTC_LOOPBACK } from './rig.js';

const CALLER = '+8613912345678';

interface FdRtc {
  ready(): boolean;
  state(): string | null;
  levelAt(hz: number): number | null;
  peak(): { hz: number; db: number } | null;
}

t.test('browser agent (contact webrtc): rings in the workbench, answers, talks both ways, keypad, hang-up; recording, survey and whisper on its leg', async (t) => {
  const dir = await tempDir(t, 'fd-rtc-');
  const mic = await micWav(dir, 600, 30);
  const cb = await startConsoleBox({
    agents: [{ extension: '801', contact: 'webrtc', extra: 'wrap_up: 0s' }, { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'logged_in: false' }],
    ringTimeout: '30s',
    record: true,
    // The survey after the agent hangs up, as for a desk-phone agent.
    bot: `${ACCOUNT_BOT}\n  survey:\n    say: "Please rate us from one to five."\n    timeout: 10s`,
    consoleMore: WEBRTC_LOOPBACK,
  });
  t.teardown(() => cb.close());
  const { box, url } = cb;
  const browser = await launchPhoneBrowser(mic);
  t.teardown(() => browser.close());
  const { page } = await pageAs(browser, url, 'ann', 'en');
  await page.waitForSelector('#agent-state[data-state="available"]');
  const shots = await shotDir();

  // The caller gives an account number and presses 0: the page rings with the screen-pop.
  const from = mark(box);
  const callId = await callWithAccount(box, CALLER, '4321');
  const ring = await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.result === 'ringing');
  await page.waitForSelector('#phone-state[data-state="ringing"]');
  await page.waitForSelector(`#pop-body[data-call-id="${callId}"]`);
  await page.waitForFunction(() => (globalThis as unknown as { fdPopAt?: number }).fdPopAt !== undefined);
  const popAt = await page.evaluate(() => (globalThis as unknown as { fdPopAt: number }).fdPopAt);
  t.ok(popAt - Number(ring.time) < 1000, `screen-pop ${popAt - Number(ring.time)} ms after ringing began (< 1 s)`);
  t.match(await page.textContent('#pop-caller'), CALLER, 'caller number');
  t.equal(await page.textContent('#pop-reason'), 'asked for a person', 'reason');
  t.match(await page.textContent('#pop-slots'), /account\s*4321/, 'what the bot captured');
  t.match(await page.textContent('#phone-caller'), CALLER, 'the phone shows who calls');
  await page.screenshot({ path: join(shots, 'webrtc-ringing-en.png') });

  // Answer from the page: the call connects through the router like a desk phone's.
  await page.click('#phone-answer');
  await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.result === 'answered' && l.extension === '801');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'connected');
  await page.waitForSelector('#phone-state[data-state="talking"]');
  await page.waitForFunction(() => (globalThis as unknown as { fdRtc: FdRtc }).fdRtc.ready());

  // Caller's 1 kHz reaches the page (WebAudio analyser); the page's 600 Hz microphone reaches the modem.
  await sleep(500);
  const talkFrom = performance.now();
  box.emu.modem.play(tone([1000], 4000, -10));
  await sleep(2500);
  const peak = await page.evaluate(() => (globalThis as unknown as { fdRtc: FdRtc }).fdRtc.peak());
  const at1k = (await page.evaluate(() => (globalThis as unknown as { fdRtc: FdRtc }).fdRtc.levelAt(1000)))!;
  const at2k5 = (await page.evaluate(() => (globalThis as unknown as { fdRtc: FdRtc }).fdRtc.levelAt(2500)))!;
  t.ok(peak && Math.abs(peak.hz - 1000) < 30, `the page hears a peak at ${peak?.hz.toFixed(0)} Hz (${peak?.db.toFixed(1)} dB)`);
  t.ok(at1k - at2k5 > 20, `1 kHz stands ${(at1k - at2k5).toFixed(1)} dB above 2.5 kHz in the page`);
  await sleep(1500);
  const toCaller = callerHeard(box, talkFrom);
  const l600 = toneLevel(toCaller, 600);
  t.ok(l600 > 0.05, `the page's 600 Hz microphone reaches the caller's modem (level ${l600.toFixed(3)})`);
  await page.screenshot({ path: join(shots, 'webrtc-talking-en.png') });

  // Keypad: the agent's key reaches the caller in band (770 + 1336 Hz for 5).
  const keyFrom = performance.now();
  await page.click('#key-5');
  await sleep(800);
  const keyAudio = callerHeard(box, keyFrom);
  t.ok(toneLevel(keyAudio, 770) > 0.02 && toneLevel(keyAudio, 1336) > 0.02, `key 5 heard by the caller (770 Hz ${toneLevel(keyAudio, 770).toFixed(3)}, 1336 Hz ${toneLevel(keyAudio, 1336).toFixed(3)})`);

  // The page hangs up: the page's phone ends; the caller, still on the line, is asked the survey
  // (as after a desk-phone agent), keys 4, and the box hangs up their line.
  await page.click('#phone-hangup');
  await page.waitForSelector('#phone-state[data-state="ended"]');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'survey', 20_000);
  await sleep(700);
  box.emu.modem.play(dtmfTones('4', 120, 200));
  const answered = await eventAfter(box, from, 'survey.answered', (l) => l.callId === callId);
  t.equal(answered.score, 4, 'survey after the browser agent hung up: the caller\'s key is the score');
  const ended = await eventAfter(box, from, 'call.ended', (l) => l.callId === callId, 20_000);
  t.equal(ended.hungUpBy, 'agent', 'the agent hung up');
  await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE id = ? AND outcome = 'transferred' AND agent_ext = '801'", [callId], (r) => r.n === 1);
  t.ok(box.emu.modem.commands.some((c) => c.line === 'AT+CHUP'), 'the caller\'s line was hung up (AT+CHUP)');
  await page.waitForSelector('#agent-state[data-state="available"]');

  // Recorded like a desk-phone call: both voices in the WAV the CDR names.
  const rec = await box.row<{ recording_path: string }>('SELECT recording_path FROM calls WHERE id = ?', [callId], (r) => Boolean(r.recording_path));
  const wav = await readWav(rec.recording_path);
  t.ok(toneLevel(wav.samples, 1000) > 0.02 && toneLevel(wav.samples, 600) > 0.02, `the recording holds the caller's 1 kHz (${toneLevel(wav.samples, 1000).toFixed(3)}) and the browser agent's 600 Hz (${toneLevel(wav.samples, 600).toFixed(3)})`);

  // A second call: a supervisor whispers to the browser agent (heard in the agent's page, not by the
  // caller); then the caller hangs up first and both pages' phones clear.
  const from2 = mark(box);
  const call2 = await callAndPress(box, 0, '+8613900000077', '0');
  await page.waitForSelector('#phone-state[data-state="ringing"]');
  await page.click('#phone-answer');
  await eventAfter(box, from2, 'call.phase', (l) => l.callId === call2 && l.phase === 'connected');
  await page.waitForSelector('#phone-state[data-state="talking"]');
  const supBrowser = await launchPhoneBrowser(await micWav(dir, 1500, 30));
  t.teardown(() => supBrowser.close());
  const { page: sup } = await pageAs(supBrowser, url, 'sue', 'en');
  await sup.click('tr[data-ext="801"] button.whisper');
  await sup.waitForSelector('#phone-state[data-state="talking"]');
  await sleep(1500);
  const w0 = performance.now();
  const agentHears = await page.evaluate(() => {
    const r = (globalThis as unknown as { fdRtc: FdRtc }).fdRtc;
    return { sup: r.levelAt(1500)!, none: r.levelAt(2500)! };
  });
  t.ok(agentHears.sup - agentHears.none > 20, `whisper: the browser agent hears the supervisor (1500 Hz ${(agentHears.sup - agentHears.none).toFixed(1)} dB above 2.5 kHz)`);
  await sleep(1500);
  const whisperToCaller = callerHeard(box, w0);
  t.ok(toneLevel(whisperToCaller, 1500) < 0.01, `whisper: the caller does not hear the supervisor (1500 Hz ${toneLevel(whisperToCaller, 1500).toFixed(4)})`);
  t.ok(toneLevel(whisperToCaller, 600) > 0.05, `but still the agent (600 Hz ${toneLevel(whisperToCaller, 600).toFixed(3)})`);
  box.emu.modem.hangup();
  const ended2 = await eventAfter(box, from2, 'call.ended', (l) => l.callId === call2);
  t.equal(ended2.hungUpBy, 'caller', 'the caller hung up');
  await page.waitForSelector('#phone-state[data-state="ended"]');
  await sup.waitForSelector('#phone-state[data-state="ended"]');
  t.pass("the agent's and the supervisor's phones show the call ended");

  // With the workbench closed the router skips the browser agent, as a desk phone that cannot be reached.
  await page.close();
  const from3 = mark(box);
  const call3 = await callAndPress(box, 0, '+8613900000088', '0');
  const skipped = await eventAfter(box, from3, 'call.agent', (l) => l.callId === call3 && l.extension === '801' && l.result !== 'ringing');
  t.match(skipped, { result: 'failed', detail: /no workbench open/ }, `workbench closed: 801 is not rung (${String(skipped.result)}: ${String(skipped.detail)})`);
  box.emu.modem.hangup();
  await eventAfter(box, from3, 'call.ended', (l) => l.callId === call3);
});
