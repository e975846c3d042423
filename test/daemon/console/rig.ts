import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { dtmfTones, toneSamples } from '../../../drivers/audio/tones.js';
import { writeWav } from '../../../drivers/audio/wav.js';
import { hashPassword } from '../../../daemon/console/passwords.js';
import { startBox, type Box, type BoxOptions } from '../../helpers/box.js';
import { startPhone, writeTestWav, type Phone } from '../../helpers/baresip.js';
import { freePort, sleep } from '../../helpers/net.js';
import { eventAfter, mark, ringToBot } from '../../helpers/routing.js';

/** Console logins used by the tests: one per role (agent 801 and 802, a supervisor, an admin). */
export const USERS = {
  ann: { role: 'agent', extension: '801', password: 'ann-secret-1' },
  bob: { role: 'agent', extension: '802', password: 'bob-secret-2' },
  sue: { role: 'supervisor', password: 'sue-secret-3' },
  root: { role: 'admin', password: 'root-secret-4' },
} as const;
export type UserName = keyof typeof USERS;

/** The console: section for the users above. */
export async function consoleSection(port: number, opts: { tls?: { cert: string; key: string }; sessionTtl?: string; more?: string } = {}): Promise<string> {
  const users: string[] = [];
  for (const [name, u] of Object.entries(USERS)) {
    users.push(`    - { name: ${name}, role: ${u.role}${'extension' in u ? `, extension: "${u.extension}"` : ''}, password_hash: "${await hashPassword(u.password)}" }`);
  }
  return `console:\n  listen: 127.0.0.1:${port}\n${opts.tls ? `  tls: { cert: ${opts.tls.cert}, key: ${opts.tls.key} }\n` : ''}${opts.sessionTtl ? `  session_ttl: ${opts.sessionTtl}\n` : ''}${opts.more ?? ''}  users:\n${users.join('\n')}\n`;
}

export interface ConsoleBox {
  box: Box;
  url: string;
  close(): Promise<void>;
}

/** A whole box (emulated GSM line, the daemon) with the console on, and agents 801/802 by default. */
export async function startConsoleBox(opts: Partial<BoxOptions> & { tls?: { cert: string; key: string }; sessionTtl?: string; /** More console keys, indented two spaces, newline-terminated. */ consoleMore?: string } = {}): Promise<ConsoleBox> {
  const port = await freePort();
  const section = await consoleSection(port, { ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.sessionTtl ? { sessionTtl: opts.sessionTtl } : {}), ...(opts.consoleMore ? { more: opts.consoleMore } : {}) });
  const box = await startBox({
    agents: opts.agents ?? [
      { extension: '801', contact: 'sip:801@127.0.0.1:9', extra: 'wrap_up: 0s' },
      { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'wrap_up: 0s' },
    ],
    ...opts,
    extra: `${opts.extra ?? ''}\n${section}`,
  });
  try {
    await box.event('console listening', () => true, 15_000);
  } catch (err) {
    await box.close();
    throw err;
  }
  return { box, url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, close: () => box.close() };
}

export interface Login {
  cookie: string;
  csrf: string;
}

/** Log in over HTTP (as the login page does); the session cookie and the page's CSRF token. */
export async function login(url: string, user: UserName): Promise<Login> {
  const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ user, password: USERS[user].password }) });
  if (!r.ok) throw new Error(`login ${user}: ${r.status} ${await r.text()}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  const me = (await (await fetch(`${url}/api/me`, { headers: { cookie } })).json()) as { csrf: string };
  return { cookie, csrf: me.csrf };
}

/** The bit of the DOM's Storage the tests use (the test build has no DOM types). */
interface Storage {
  setItem(k: string, v: string): void;
}

/** Debian's chromium, headless, through playwright-core (never a downloaded browser). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** Media between browser phones and the box stays on loopback: only these ICE candidates are offered or accepted. */
export const WEBRTC_LOOPBACK = '  webrtc: { networks: [127.0.0.1/32, "::1/128"] }\n';

/** A 48 kHz sine WAV, the browser's fake microphone (as a real one delivers 48 kHz). */
export async function micWav(dir: string, hz: number, seconds: number): Promise<string> {
  const path = join(dir, `mic-${hz}hz.wav`);
  const s = new Int16Array(48000 * seconds);
  for (let i = 0; i < s.length; i++) s[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 48000));
  await writeWav(path, s, 48000);
  return path;
}

/** Chromium whose microphone plays `mic` (no permission prompt), allowed to talk WebRTC on loopback and to autoplay. */
export function launchPhoneBrowser(mic: string): Promise<Browser> {
  return launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${mic}`, '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required']);
}

/** The bit of a tap test the rig uses: cleaning up after it. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A temp directory removed when the test ends. */
export async function tempDir(t: Teardown, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface DeskCallRig extends ConsoleBox {
  dir: string;
  /** Agent 801's baresip desk phone: answers by itself and plays 600 Hz. */
  phone: Phone;
  /** Chromium with a microphone playing `micHz`. */
  browser: Browser;
}

/**
 * The rig of the supervisor and web-caller tests: agent 801 on a baresip desk phone that answers and
 * plays 600 Hz (802 logged out, so 801 is the one rung), the console with browser phones on loopback,
 * and a browser whose microphone plays `micHz`. Everything is torn down with the test.
 */
export async function startDeskCallRig(t: Teardown, opts: { micHz: number; micSeconds: number; consoleMore?: string; prefix: string }): Promise<DeskCallRig> {
  const dir = await tempDir(t, opts.prefix);
  const mic = await micWav(dir, opts.micHz, opts.micSeconds);
  const phone = await startPhone({ user: '801', answer: 'auto', playWav: await writeTestWav(dir, 'agent-600.wav', toneSamples(600, 40_000)) });
  t.teardown(() => phone.stop());
  const cb = await startConsoleBox({
    agents: [{ extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' }, { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'logged_in: false' }],
    consoleMore: `${opts.consoleMore ?? ''}${WEBRTC_LOOPBACK}`,
  });
  t.teardown(() => cb.close());
  const browser = await launchPhoneBrowser(mic);
  t.teardown(() => browser.close());
  return { ...cb, dir, phone, browser };
}

/** A bot that collects a 4-digit account number (key 4) and hands off on 0: the screen-pop has a slot. */
export const ACCOUNT_BOT = `  greeting: "Welcome. Press 4 to give your account number, or 0 for a person."
  language: en-US
  menu:
    "4": collect:account
    "0": agent
  collect:
    account: { say: "Your four digit account number, please.", kind: digits, length: 4 }
  menu_prompt: "Press 0 for a person."
  handoff:
    say: "Please hold, I am connecting you."
    default_queue: general
    no_agent_say: "Sorry, nobody can take your call."
  goodbye: "Goodbye."`;

/** `number` calls (ACCOUNT_BOT), gives the account number, then presses 0; resolves with the call id. */
export async function callWithAccount(box: Box, number: string, account: string): Promise<string> {
  const from = mark(box);
  const callId = await ringToBot(box, 0, number);
  box.emu.modem.play(dtmfTones('4', 120, 200));
  await eventAfter(box, from, 'bot.turn', (l) => l.callId === callId && (l.input as { value: string }).value === '4');
  await sleep(300);
  box.emu.modem.play(dtmfTones(account, 120, 150));
  await eventAfter(box, from, 'bot.turn', (l) => l.callId === callId && (l.input as { value: string }).value === account.at(-1), 15_000);
  await sleep(500);
  box.emu.modem.play(dtmfTones('0', 120, 200));
  return callId;
}

/** What the caller's modem received from the box since `since` (performance.now()): what the caller heard. */
export function callerHeard(box: Box, since: number): Buffer {
  return Buffer.concat(box.emu.modem.recording.filter((r) => r.at >= since).map((r) => r.frame));
}

/** Let audio settle for `settleMs`, then return what the caller hears during the next `ms`. */
export async function callerHearsNext(box: Box, settleMs: number, ms: number): Promise<Buffer> {
  await sleep(settleMs);
  const from = performance.now();
  await sleep(ms);
  return callerHeard(box, from);
}

/** A page logged in as `user` through the login form; `timezoneId` sets the browser's zone (default: the test's). */
export async function pageAs(browser: Browser, url: string, user: UserName, lang: 'en' | 'zh' = 'en', timezoneId?: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: lang === 'zh' ? 'zh-CN' : 'en-US', ...(timezoneId ? { timezoneId } : {}) });
  const page = await ctx.newPage();
  await page.goto(`${url}/login`);
  await page.evaluate((l) => (globalThis as unknown as { localStorage: Storage }).localStorage.setItem('fd-lang', l), lang);
  await page.fill('#user', user);
  await page.fill('#password', USERS[user].password);
  await page.click('#go');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { ctx, page };
}

/** Where tests put their screenshots (not committed). */
export async function shotDir(): Promise<string> {
  const dir = join(process.cwd(), 'test-output', 'console');
  await mkdir(dir, { recursive: true });
  return dir;
}
