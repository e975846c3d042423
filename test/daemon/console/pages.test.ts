import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { tone } from '../../../drivers/audio/tones.js';
import { Db } from '../../../daemon/store/db.js';
import { startPhone } from '../../helpers/baresip.js';
import { sleep } from '../../helpers/net.js';
import { eventAfter, mark } from '../../helpers/routing.js';
import { ACCOUNT_BOT, callWithAccount, launchChromium, pageAs, shotDir, startConsoleBox } from './rig.js';

const CALLER = '+8613812345678';
/** The box's zone (test/helpers/box.ts) and the browsers' (another one: times must follow the box's clock). */
const BOX_TZ = 'Asia/Shanghai';
const BROWSER_TZ = 'America/New_York';

/** An instant as the console shows it: on the box's wall clock, in the page's language (24-hour). */
function boxTime(iso: string, lang: 'en' | 'zh', withDate = true): string {
  const day = withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } as const : {};
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { ...day, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: BOX_TZ }).format(new Date(iso));
}

/** The bit of a DOM element the page checks read (the test build has no DOM types). */
interface El {
  textContent: string | null;
  querySelectorAll(s: string): Iterable<El>;
}

/** Fetch a WAV as the page would and decode it with WebAudio: its length and loudness. */
function decodeInPage(page: Page, src: string | null): Promise<{ duration: number; rms: number }> {
  return page.evaluate(async (url) => {
    const g = globalThis as unknown as { fetch: typeof fetch; AudioContext: new () => { decodeAudioData(b: ArrayBuffer): Promise<{ duration: number; getChannelData(i: number): Float32Array }> } };
    const buf = await g.fetch(url!).then((r) => r.arrayBuffer());
    const audio = await new g.AudioContext().decodeAudioData(buf);
    const x = audio.getChannelData(0);
    let e = 0;
    for (const v of x) e += v * v;
    return { duration: audio.duration, rms: Math.sqrt(e / x.length) };
  }, src);
}

t.test('wallboard and workbench: screen-pop within 1 s, live states, note, zh and en', async (t) => {
  const phone = await startPhone({ user: '801', answer: 'manual' });
  t.teardown(() => phone.stop());
  const phone2 = await startPhone({ user: '802', answer: 'auto' });
  t.teardown(() => phone2.stop());
  const cb = await startConsoleBox({
    agents: [
      { extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' },
      { extension: '802', contact: phone2.uri, skills: '{ billing: 1 }', extra: 'wrap_up: 0s' },
    ],
    queues: '  - id: general\n    skill: general\n    ring_timeout: 30s\n  - id: billing\n    skill: billing\n    ring_timeout: 10s',
    bot: ACCOUNT_BOT,
    record: true,
  });
  t.teardown(() => cb.close());
  const { box, url } = cb;
  const shots = await shotDir();

  // What the store already knows of this caller: a name, VIP, an earlier call with agent 802 and its note.
  const db = await Db.open(join(box.dataDir, 'frontdesk.db'));
  await db.run("INSERT INTO customers (number, name, vip, last_agent, last_call_at, created_at) VALUES (?, 'Li Lei', 1, '802', '2026-11-20T02:00:00Z', '2026-01-01T00:00:00Z')", [CALLER]);
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, agent_ext, outcome, intent) VALUES ('earlier-1', 'gsm1', ?, '2026-11-20T02:00:00Z', '802', 'transferred', 'billing')", [CALLER]);
  // Another caller, late on 20 November UTC: 21 November on the box's clock (Asia/Shanghai).
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, outcome) VALUES ('earlier-2', 'gsm1', '+8613700000099', '2026-11-20T17:00:00Z', 'bot-resolved')");
  // Two days ago: one call the bot resolved (rated 5), one abandoned.
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, bot_ended_at, ended_at, outcome) VALUES ('past-1', 'gsm1', '+8613600000001', ?, ?, ?, 'bot-resolved')", [twoDaysAgo, twoDaysAgo, twoDaysAgo]);
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, ended_at, outcome) VALUES ('past-2', 'gsm1', '+8613600000002', ?, ?, 'abandoned')", [twoDaysAgo, twoDaysAgo]);
  await db.run("INSERT INTO surveys (call_id, score, scale, at) VALUES ('past-1', 5, 5, ?)", [twoDaysAgo]);
  await db.run("INSERT INTO call_notes (call_id, caller, agent, user, at, disposition, note) VALUES ('earlier-1', ?, '802', 'bob', '2026-11-20T02:10:00Z', 'follow-up', 'Asked about a refund; promised a call back.')", [CALLER]);
  await db.close();

  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page: wall } = await pageAs(browser, url, 'sue', 'zh', BROWSER_TZ);
  t.equal(await wall.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), BROWSER_TZ, `the browsers run in ${BROWSER_TZ}, the box in ${BOX_TZ}`);
  t.equal(new URL(wall.url()).pathname, '/wallboard', 'a supervisor lands on the wallboard');
  const { page: work } = await pageAs(browser, url, 'ann', 'en', BROWSER_TZ);
  t.equal(new URL(work.url()).pathname, '/agent/801', 'an agent lands on their workbench');
  await work.waitForSelector('#agent-state[data-state="available"]');
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-available');
  // Lines: state, signal and operator, as the modem reports them (the emulator: CSQ 20, CHINA MOBILE).
  await wall.waitForSelector('tr[data-line="gsm1"]:has-text("dBm")');
  const gsm = await wall.textContent('tr[data-line="gsm1"]');
  t.match(gsm, /gsm1 \(gsm\)/, 'wallboard: the GSM line');
  t.match(gsm, /-73 dBm/, 'its signal (CSQ 20 = -73 dBm)');
  t.match(gsm, /CHINA MOBILE/, 'its operator');
  t.match(await wall.textContent('#alarms'), /无告警/, 'no alarms yet');
  await wall.screenshot({ path: join(shots, 'wallboard-idle-zh.png') });

  // The caller gives an account number, then presses 0.
  const from = mark(box);
  const callId = await callWithAccount(box, CALLER, '5678');
  const ring = await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.result === 'ringing' && l.extension === '801');

  // The screen-pop: caller number, name, VIP, reason, slots, earlier call and note.
  await work.waitForSelector(`#pop-body[data-call-id="${callId}"]`);
  await work.waitForFunction(() => (globalThis as unknown as { fdPopAt?: number }).fdPopAt !== undefined);
  const popAt = await work.evaluate(() => (globalThis as unknown as { fdPopAt: number }).fdPopAt);
  const ringAt = Number(ring.time);
  t.ok(popAt - ringAt < 1000, `screen-pop ${popAt - ringAt} ms after the phone started ringing (< 1 s)`);
  t.match(await work.textContent('#pop-caller'), CALLER, 'caller number');
  t.ok(await work.$('#pop-vip'), 'VIP badge');
  t.equal(await work.textContent('#pop-name'), 'Li Lei', 'caller name from the store');
  t.equal(await work.textContent('#pop-reason'), 'asked for a person', 'why they called');
  t.match(await work.textContent('#pop-slots'), /account\s*5678/, 'what the bot captured');
  t.equal(await work.textContent('#pop-last-agent'), '802', 'last agent');
  t.match(await work.textContent('#pop-turns'), /dtmf:4/, 'the bot conversation');
  // Its turns were a few seconds ago: their times are close to now on the box's clock (13 h from the browser's).
  const secs = (hms: string): number => hms.split(':').reduce((acc, x) => acc * 60 + Number(x), 0);
  const nowBox = secs(boxTime(new Date().toISOString(), 'en', false));
  const turnTimes = await work.$$eval('#pop-turns .num', (els) => els.map((e) => ((e as unknown as El).textContent ?? '').trim()));
  t.ok(turnTimes.length > 0 && turnTimes.every((x) => /^\d\d:\d\d:\d\d$/.test(x) && Math.abs(((nowBox - secs(x) + 86_400 + 43_200) % 86_400) - 43_200) < 120), `bot turns at ${turnTimes.join(', ')}: the box's clock (now ${boxTime(new Date().toISOString(), 'en', false)})`);
  t.match(await work.textContent('#history-calls'), /billing/, 'earlier call');
  t.match(await work.textContent('#history-notes'), /promised a call back/, 'earlier note');
  t.match(await work.textContent('#history-calls'), boxTime('2026-11-20T02:00:00Z', 'en'), `earlier call at ${boxTime('2026-11-20T02:00:00Z', 'en')}, the box's clock (the browser's would be 11/19 21:00)`);
  t.match(await work.textContent('#history-notes'), boxTime('2026-11-20T02:10:00Z', 'en'), "the earlier note's time too");
  t.ok(await work.$('#pop.ringing-banner'), 'the card rings');
  await work.screenshot({ path: join(shots, 'workbench-ringing-en.png') });

  // The wallboard: 801 ringing for this caller.
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-ringing');
  t.match(await wall.textContent('tr[data-ext="801"] [data-k="call"]'), CALLER, 'wallboard shows whom 801 is ringing for');
  // The caller waits in the general queue while 801 rings: waiting 1, the longest wait ticking.
  await wall.waitForSelector('tr[data-queue="general"] [data-k="waiting"]:text-is("1")');
  t.match(await wall.textContent('tr[data-queue="general"] [data-k="longest"]'), /^0:\d\d/, 'wallboard: one caller waiting, with the longest wait');
  await wall.screenshot({ path: join(shots, 'wallboard-ringing-zh.png') });

  // The desk phone answers: workbench and wallboard show the call.
  await phone.waitEvent('CALL_INCOMING', 10_000);
  await phone.accept();
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'connected');
  await work.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('#pop.ringing-banner'));
  t.match(await work.textContent('#pop-status'), /On a call/, 'workbench: on a call');
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-busy');
  t.match(await wall.textContent('tr[data-ext="801"] [data-k="call"]'), CALLER, 'wallboard: 801 on a call with the caller');
  await wall.waitForSelector('tr[data-queue="general"] [data-k="waiting"]:text-is("0")');
  t.equal(await wall.textContent('tr[data-queue="general"] [data-k="longest"]'), '–', 'answered: nobody waits any more');
  await wall.screenshot({ path: join(shots, 'wallboard-busy-zh.png') });

  // A note and a disposition, stored with the call and the caller.
  await work.fill('#note', 'Wants the account closed.');
  await work.selectOption('#disposition', 'complaint');
  await work.click('#save');
  await work.waitForSelector('#note-flash:has-text("Saved.")');
  const note = await box.row<{ note: string; disposition: string; agent: string; caller: string; user: string }>('SELECT note, disposition, agent, caller, user FROM call_notes WHERE call_id = ?', [callId], () => true);
  t.same(note, { note: 'Wants the account closed.', disposition: 'complaint', agent: '801', caller: CALLER, user: 'ann' }, 'note stored');
  await work.screenshot({ path: join(shots, 'workbench-call-en.png') });

  // 801 transfers the caller to 802 (rung first, in the billing queue 802 serves).
  await work.selectOption('#transfer-to', 'agent:802');
  await work.click('#transfer');
  await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.result === 'answered' && l.extension === '802', 20_000);
  await wall.waitForSelector('tr[data-ext="802"] [data-k="state"].s-busy');
  t.match(await wall.textContent('tr[data-ext="802"] [data-k="call"]'), CALLER, 'after the transfer 802 talks to the caller');
  await work.waitForSelector('#pop-body[data-call-id=""]');
  await work.waitForSelector('#agent-state[data-state="available"]');
  t.pass("801's workbench clears and 801 is free again");
  const tr = await box.row<{ detail: string }>("SELECT detail FROM console_audit WHERE action = 'transfer' AND target = ?", [callId], () => true);
  t.same(JSON.parse(tr.detail), { from: '801', extension: '802' }, 'the transfer is audited');

  // The supervisor, on 802's workbench, transfers the caller to the general queue: 801 is rung and answers.
  const sup802 = await wall.context().newPage();
  await sup802.goto(`${url}/agent/802`);
  await sup802.waitForSelector(`#pop-body[data-call-id="${callId}"]`);
  const beforeQueue = phone.events.length;
  const qFrom = mark(box);
  await sup802.selectOption('#transfer-to', 'queue:general');
  await sup802.click('#transfer');
  await phone.waitEvent('CALL_INCOMING', 15_000, beforeQueue);
  await phone.accept();
  await eventAfter(box, qFrom, 'call.agent', (l) => l.callId === callId && l.result === 'answered' && l.extension === '801', 20_000);
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-busy');
  await wall.waitForSelector('tr[data-ext="802"] [data-k="state"].s-available');
  const tq = await box.row<{ user: string; detail: string }>("SELECT user, detail FROM console_audit WHERE action = 'transfer' AND target = ? ORDER BY id DESC LIMIT 1", [callId], (r) => r.user === 'sue');
  t.same(JSON.parse(tq.detail), { from: '802', queue: 'general' }, 'transfer to a queue: 801 talks to the caller again; audited as the supervisor\'s');
  await sup802.close();

  // The caller talks to 801 (1 kHz, into the recording), then hangs up: the agents are available again.
  box.emu.modem.play(tone([1000], 1500, -10));
  await sleep(2000);
  box.emu.modem.hangup();
  await eventAfter(box, from, 'call.ended', (l) => l.callId === callId);
  await wall.waitForSelector('tr[data-ext="802"] [data-k="state"].s-available');
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-available');
  await wall.waitForFunction(() => /1/.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('tr[data-queue="general"] td:nth-child(5)')?.textContent ?? ''));
  t.pass('wallboard counts the answered call today');
  const answeredCdr = await box.row<{ queued_at: string; agent_answered_at: string }>('SELECT queued_at, agent_answered_at FROM calls WHERE id = ?', [callId], (r) => Boolean(r.agent_answered_at));
  const slToday = Date.parse(answeredCdr.agent_answered_at) - Date.parse(answeredCdr.queued_at) <= 20_000 ? '100%' : '0%';
  await wall.waitForSelector(`tr[data-queue="general"] td:nth-child(4):text-is("${slToday}")`);
  t.pass(`and its service level today (${slToday}: the one call answered within 20 s or not)`);
  t.match(await wall.textContent('tr[data-ext="801"] td:last-child'), /^\d+:\d\d$/, 'time in state');

  // The agent pauses from the page; the supervisor sees it live.
  await work.click('#set-wrap-up');
  await work.waitForSelector('#agent-state[data-state="wrap-up"]');
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-wrap-up');
  await work.click('#set-paused');
  await work.waitForSelector('#agent-state[data-state="paused"]');
  await wall.waitForSelector('tr[data-ext="801"] [data-k="state"].s-paused');
  await work.click('#set-ready');
  await work.waitForSelector('#agent-state[data-state="available"]');
  t.pass('ready / paused / wrap-up from the workbench reach the wallboard');

  // After hours (a reload makes today a holiday on the box's calendar): the next caller hears the
  // closed message and leaves a voicemail; no agent is rung. 801 pauses for the call-back below.
  await work.click('#set-paused');
  await work.waitForSelector('#agent-state[data-state="paused"]');
  const file = join(box.dir, 'frontdesk.yaml');
  const openYaml = await readFile(file, 'utf8');
  const reload = async (yaml: string): Promise<void> => {
    await writeFile(file, yaml);
    const r = mark(box);
    box.daemon.kill('SIGHUP');
    await eventAfter(box, r, 'config reloaded', () => true, 10_000);
  };
  const holiday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  await reload(`${openYaml}\nhours:\n  open: { mon-sun: "00:00-24:00" }\n  holidays: ["${holiday}"]\n  closed: { say: "We are closed now. Please leave a message.", then: voicemail }\n`);
  const vmFrom = mark(box);
  box.emu.modem.ring('+8613700000002');
  const vmCall = String((await eventAfter(box, vmFrom, 'call.offered', (l) => l.caller === '+8613700000002')).callId);
  await eventAfter(box, vmFrom, 'call.phase', (l) => l.callId === vmCall && l.phase === 'voicemail', 20_000);
  await sleep(4500);
  box.emu.modem.play(tone([800], 2000, -10));
  await sleep(2300);
  box.emu.modem.hangup();
  const vm = await eventAfter(box, vmFrom, 'voicemail.recorded', (l) => l.callId === vmCall, 20_000);
  t.notOk(box.daemon.logs.some((l) => l.callId === vmCall && (l.msg === 'call.agent' || l.msg === 'bot.turn')), 'after hours: no menu, no agent rung');
  await reload(openYaml);

  // The inbox plays it in the browser (the page decodes the WAV) and marks it handled.
  await wall.goto(`${url}/voicemail`);
  await wall.waitForFunction(() => (globalThis as unknown as { fdInboxReady?: boolean }).fdInboxReady === true);
  const vmAt = await box.row<{ recorded_at: string }>('SELECT recorded_at FROM voicemail WHERE id = ?', [String(vm.id)], () => true);
  t.equal(await wall.textContent(`tr[data-vm="${String(vm.id)}"] td:first-child`), boxTime(vmAt.recorded_at, 'zh'), `inbox: recorded ${boxTime(vmAt.recorded_at, 'zh')} on the box's clock`);
  const decoded = await decodeInPage(wall, await wall.getAttribute(`tr[data-vm="${String(vm.id)}"] audio`, 'src'));
  t.ok(decoded.duration > 1 && decoded.rms > 0.02, `the voicemail plays in the browser (${decoded.duration.toFixed(1)} s, rms ${decoded.rms.toFixed(3)})`);
  await wall.screenshot({ path: join(shots, 'voicemail-zh.png') });
  await wall.click(`tr[data-vm="${String(vm.id)}"] button`);
  await box.row<{ heard: number }>('SELECT heard FROM voicemail WHERE id = ?', [String(vm.id)], (r) => r.heard === 1);
  // The inbox re-reads the list after marking: wait for the new row before using its buttons.
  await wall.waitForSelector(`tr[data-vm="${String(vm.id)}"]:has-text("✓")`);
  t.pass('marked handled');

  // Call back through the callback policy: stored, then an agent is rung first once one is free.
  await wall.click(`tr[data-vm="${String(vm.id)}"] button.call-back`);
  await wall.waitForSelector(`tr[data-vm="${String(vm.id)}"] button.call-back:disabled`);
  const cbRow = await box.row<{ number: string; queue: string; state: string }>('SELECT number, queue, state FROM callbacks WHERE call_id = ?', [vmCall], () => true);
  t.same([cbRow.number, cbRow.queue], ['+8613700000002', 'general'], 'a callback to the caller is stored');
  const sinceEv = phone.events.length;
  await work.click('#set-ready');
  await phone.waitEvent('CALL_INCOMING', 15_000, sinceEv);
  t.pass("agent 801 is rung for the callback as soon as they are ready");
  await phone.hangup();
  await work.click('#set-paused');

  // History: search by number, the timeline and the recording of the answered call.
  await wall.goto(`${url}/history`);
  await wall.waitForFunction(() => (globalThis as unknown as { fdHistoryReady?: boolean }).fdHistoryReady === true);
  await wall.fill('#q-number', '13812345678');
  await wall.click('#q-go');
  // The first list (unfiltered) is already there: wait for the search's answer.
  await wall.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#calls tr[data-call]').length === 2);
  t.same(await wall.$$eval('#calls tr[data-call]', (rows) => rows.map((r) => (r as unknown as { dataset: { call: string } }).dataset.call)), [callId, 'earlier-1'], "search by number finds this caller's calls, newest first");
  // The other filters: date, outcome, agent (each alone, the form cleared in between).
  const search = async (fields: Partial<Record<'number' | 'from' | 'to' | 'outcome' | 'agent', string>>): Promise<string[]> => {
    const n = await wall.evaluate(() => (globalThis as unknown as { fdHistorySearches: number }).fdHistorySearches);
    for (const k of ['number', 'from', 'to', 'agent'] as const) await wall.fill(`#q-${k}`, fields[k] ?? '');
    await wall.selectOption('#q-outcome', fields.outcome ?? '');
    await wall.click('#q-go');
    await wall.waitForFunction((before) => (globalThis as unknown as { fdHistorySearches: number }).fdHistorySearches > before, n);
    return wall.$$eval('#calls tr[data-call]', (rows) => rows.map((r) => (r as unknown as { dataset: { call: string } }).dataset.call));
  };
  t.same(await search({ from: '2026-11-20', to: '2026-11-20' }), ['earlier-1'], 'by date: only the call of 20 November (box time)');
  t.same(await search({ from: '2026-11-21', to: '2026-11-21' }), ['earlier-2'], 'a call at 17:00 UTC on the 20th is on the 21st in the box\'s timezone');
  t.same(await search({ outcome: 'voicemail' }), [vmCall], 'by outcome: the voicemail call');
  t.same(await search({ agent: '802' }), ['earlier-1'], "by agent: 802's calls");
  t.same(await search({ agent: '801' }), [callId], 'and 801\'s (this call ended with 801, after the transfers)');
  t.same(await search({ agent: '801', outcome: 'voicemail' }), [], 'filters combine');
  await search({ number: '13812345678' });
  await wall.click(`tr[data-call="${callId}"] a`);
  await wall.waitForSelector('#recording');
  t.match(await wall.textContent('#timeline'), /queue\.connect/, 'the timeline');
  const offered = await box.row<{ offered_at: string }>('SELECT offered_at FROM calls WHERE id = ?', [callId], () => true);
  t.equal(await wall.textContent(`tr[data-call="${callId}"] a`), boxTime(offered.offered_at, 'zh'), `history row: ${boxTime(offered.offered_at, 'zh')}, the box's wall clock`);
  t.equal(await wall.textContent('tr[data-call="earlier-1"] a'), '2026/11/20 10:00:00', "02:00 UTC is 10:00 on the box's clock (21:00 the day before in the browser's zone)");
  const ro = await Db.open(join(box.dataDir, 'frontdesk.db'), { readonly: true });
  const steps = await ro.all<{ at: string }>('SELECT at FROM call_timeline WHERE call_id = ? ORDER BY id', [callId]);
  await ro.close();
  t.same(await wall.$$eval('#timeline tr td:first-child', (tds) => tds.map((td) => (td as unknown as El).textContent ?? '')), steps.map((s) => boxTime(s.at, 'zh', false)), `timeline: ${steps.length} steps at box times`);
  const rec = await wall.evaluate(async () => {
    const g = globalThis as unknown as { document: { querySelector(s: string): { play(): Promise<void>; duration: number; readyState: number } } };
    const a = g.document.querySelector('#recording');
    await a.play();
    for (let i = 0; i < 50 && !(a.duration > 0); i++) await new Promise((r) => setTimeout(r, 100));
    return { duration: a.duration };
  });
  const stored = await box.row<{ recording_ms: number }>('SELECT recording_ms FROM calls WHERE id = ?', [callId], (r) => r.recording_ms > 0);
  t.ok(Math.abs(rec.duration * 1000 - stored.recording_ms) < 300, `the recording plays in the page, all of it (${rec.duration.toFixed(2)} s; CDR says ${stored.recording_ms} ms)`);
  const recAudio = await decodeInPage(wall, await wall.getAttribute('#recording', 'src'));
  t.ok(recAudio.duration > 1.5 && recAudio.rms > 0.02, `it holds the caller talking to 801 (${recAudio.duration.toFixed(1)} s, rms ${recAudio.rms.toFixed(3)})`);
  await wall.screenshot({ path: join(shots, 'history-zh.png') });

  // KPIs: uPlot charts of the last 7 days and today per hour.
  await wall.goto(`${url}/kpis`);
  await wall.waitForFunction(() => ((globalThis as unknown as { fdKpisReady?: number }).fdKpisReady ?? 0) === 3);
  // Today's row (the last): two inbound calls, one answered by an agent, one to voicemail after hours; nobody surveyed.
  const today = await wall.$$eval('#kpi-table tr:last-child td', (tds) => tds.map((td) => (td as unknown as El).textContent ?? ''));
  const cdr = await box.row<{ queued_at: string; agent_answered_at: string }>('SELECT queued_at, agent_answered_at FROM calls WHERE id = ?', [callId], () => true);
  const waitS = (Date.parse(cdr.agent_answered_at) - Date.parse(cdr.queued_at)) / 1000;
  // Service level: of the two handed-off calls, the answered one counts when answered within 20 s.
  t.equal(today[0], new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()), `the last row is today on the box's calendar (${today[0]})`);
  t.same(today.slice(1, 5), ['2', '0%', waitS <= 20 ? '100%' : '0%', '0%'], `today: offered 2, containment 0 %, SL ${today[3]} (the one call handed to an agent, answered after ${waitS.toFixed(1)} s), no abandoned call`);
  t.ok(Math.abs(Number(today[5]) - waitS) <= 0.1, `ASA ${today[5]} s: the answered call's wait in the queue`);
  t.equal(today[6], '–', 'no CSAT without survey answers');
  const rows = await wall.$$eval('#kpi-table tr', (trs) => trs.map((tr) => [...(tr as unknown as El).querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const boxDay = (d: Date): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d);
  t.same(rows.slice(1).map((r) => r[0]), [6, 5, 4, 3, 2, 1, 0].map((n) => boxDay(new Date(Date.now() - n * 86_400_000))), 'seven days, oldest first');
  t.same(rows.find((r) => r[0] === boxDay(new Date(Date.now() - 2 * 86_400_000))), [boxDay(new Date(Date.now() - 2 * 86_400_000)), '2', '50%', '–', '50%', '–', '100%'], 'two days ago: 2 offered, containment 50 %, abandonment 50 %, CSAT 100 % (one 5 of 5)');
  // Each chart's legend: the x series first (its label differs by chart), then the series plotted.
  const legends = await wall.$$eval('.uplot', (plots) => plots.map((p) => [...(p as unknown as El).querySelectorAll('.u-legend .u-label')].map((l) => l.textContent ?? '').filter((x) => x)));
  t.same(legends.map((l) => l.slice(1)), [['机器人解决率', '今日服务水平', '放弃率', '满意度'], ['平均应答 (秒)'], ['来电']], 'uPlot charts: the rates of 7 days, ASA of 7 days, calls per hour today');
  await wall.screenshot({ path: join(shots, 'kpis-zh.png') });

  // Chinese workbench, and the admin's audit trail.
  await work.click('#lang');
  await work.waitForSelector('#set-ready:has-text("就绪")');
  await work.screenshot({ path: join(shots, 'workbench-idle-zh.png') });
  const { page: admin } = await pageAs(browser, url, 'root', 'en', BROWSER_TZ);
  await admin.goto(`${url}/admin`);
  await admin.waitForSelector('#audit tr:nth-child(2)');
  t.match(await admin.textContent('#audit'), /ann \(agent\)\s*agent-state\s*801/, 'the audit trail shows who changed what');
  const lastAudit = await box.row<{ at: string }>('SELECT at FROM console_audit ORDER BY id DESC LIMIT 1', [], () => true);
  t.equal(await admin.textContent('#audit tr:nth-child(2) td:first-child'), boxTime(lastAudit.at, 'en'), "audit trail times on the box's clock");
  await admin.screenshot({ path: join(shots, 'admin-audit-en.png') });

  // An alarm on the line (the SIM is pulled) reaches the wallboard live.
  await wall.goto(`${url}/wallboard`);
  await wall.waitForSelector('tr[data-ext="801"]');
  box.emu.modem.setSim('missing');
  box.emu.modem.urc('+CPIN: NOT INSERTED');
  await wall.waitForSelector('#alarms tr:has-text("sim-missing (gsm1)")');
  t.match(await wall.textContent('#alarms'), /SIM removed/, 'wallboard: the line alarm, live');
  await wall.waitForSelector('tr[data-line="gsm1"] .pill:text-is("down")');
  t.pass('and the line is down');
  await wall.screenshot({ path: join(shots, 'wallboard-alarm-zh.png') });
});
