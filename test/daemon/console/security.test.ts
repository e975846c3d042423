import t from 'tap';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { cliPath } from '../../helpers/paths.js';
import { verifyPassword } from '../../../daemon/console/passwords.js';
import { launchChromium, login, pageAs, startConsoleBox, USERS } from './rig.js';

const exec = promisify(execFile);

t.test('frontdesk passwd prints a scrypt hash that verifies; a short password is refused', async (t) => {
  const child = exec(process.execPath, [cliPath, 'passwd']);
  child.child.stdin!.end('correct horse\n');
  const { stdout } = await child;
  const hash = stdout.trim();
  t.match(hash, /^scrypt\$32768\$8\$1\$/, 'scrypt hash with its parameters');
  t.ok(await verifyPassword('correct horse', hash), 'the password verifies');
  t.notOk(await verifyPassword('correct horsf', hash), 'another does not');
  const short = exec(process.execPath, [cliPath, 'passwd']);
  short.child.stdin!.end('short\n');
  const err = await short.then(() => undefined, (e: { code: number; stderr: string }) => e);
  t.equal(err?.code, 1, 'exit 1');
  t.match(err?.stderr, /at least 8 characters/);
});

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Read a server-sent-event stream until `until` matches an event; all events read so far. */
async function readEvents(res: Response, until: (e: StreamEvent) => boolean): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  const dec = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += dec.decode(chunk, { stream: true });
    let k: number;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const msg = buf.slice(0, k);
      buf = buf.slice(k + 2);
      const event = /^event: (.*)$/m.exec(msg)?.[1];
      const data = /^data: (.*)$/m.exec(msg)?.[1];
      if (event === undefined || data === undefined) continue;
      const e = { event, data: JSON.parse(data) as unknown };
      out.push(e);
      if (until(e)) return out;
    }
  }
  return out;
}

t.test('console security: login, roles, CSRF, cross-site, audit, rate limit', async (t) => {
  const cb = await startConsoleBox();
  t.teardown(() => cb.close());
  const { url, box } = cb;
  const get = (path: string, cookie?: string) => fetch(`${url}${path}`, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });

  // Without a login: pages redirect to the login page, the API and the stream refuse.
  for (const p of ['/wallboard', '/agent/801', '/admin', '/history', '/voicemail', '/kpis']) {
    const r = await get(p);
    t.equal(r.status, 302, `${p} without login redirects`);
    t.match(r.headers.get('location'), /^\/login\?next=/, `${p} → login`);
  }
  t.equal((await get('/api/stream')).status, 401, 'stream needs a login');
  t.equal((await get('/api/me')).status, 401, 'api needs a login');
  t.equal((await get('/api/audit')).status, 401, 'audit needs a login');
  t.equal((await get('/login')).status, 200, 'the login page is open');

  // Cookie attributes (plain HTTP here: no Secure).
  const lr = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ann', password: USERS.ann.password }) });
  const setCookie = lr.headers.get('set-cookie') ?? '';
  t.match(setCookie, /HttpOnly/i, 'session cookie is HttpOnly');
  t.match(setCookie, /SameSite=Strict/i, 'and SameSite=Strict');
  t.notMatch(setCookie, /Secure/i, 'not Secure without TLS');

  // An agent: own workbench yes; another agent's, the wallboard and admin no.
  const ann = await login(url, 'ann');
  t.equal((await get('/agent/801', ann.cookie)).status, 200, 'agent opens own workbench');
  t.equal((await get('/agent/802', ann.cookie)).status, 403, "agent cannot open another agent's workbench");
  t.equal((await get('/admin', ann.cookie)).status, 403, 'agent cannot open the admin page');
  t.equal((await get('/wallboard', ann.cookie)).status, 403, 'agent cannot open the wallboard');
  t.equal((await get('/api/audit', ann.cookie)).status, 403, 'agent cannot read the audit trail');
  for (const p of ['/history', '/voicemail', '/kpis', '/api/calls', '/api/voicemail', '/api/kpis']) t.equal((await get(p, ann.cookie)).status, 403, `agent cannot open ${p}`);
  t.equal((await get('/api/stream?ext=802', ann.cookie)).status, 403, "agent cannot stream another agent's workbench");
  const post = (path: string, body: unknown, headers: Record<string, string>) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  t.equal((await post('/api/agents/802/state', { state: 'paused' }, { cookie: ann.cookie, 'x-csrf-token': ann.csrf, origin: url })).status, 403, "agent cannot change another agent's state");

  // CSRF: a state change needs the page's token and our own origin.
  t.equal((await post('/api/agents/801/state', { state: 'paused' }, { cookie: ann.cookie, origin: url })).status, 403, 'no CSRF token: refused');
  t.equal((await post('/api/agents/801/state', { state: 'paused' }, { cookie: ann.cookie, 'x-csrf-token': 'forged', origin: url })).status, 403, 'wrong CSRF token: refused');
  t.equal((await post('/api/agents/801/state', { state: 'paused' }, { cookie: ann.cookie, 'x-csrf-token': ann.csrf, origin: 'http://evil.example' })).status, 403, 'cross-site origin: refused');
  t.equal((await post('/api/agents/801/state', { state: 'paused' }, { cookie: ann.cookie, 'x-csrf-token': ann.csrf, 'sec-fetch-site': 'cross-site' })).status, 403, 'Sec-Fetch-Site cross-site: refused');
  t.equal((await post('/api/login', { user: 'ann', password: USERS.ann.password }, { origin: 'http://evil.example' })).status, 403, 'cross-site login refused');
  const st = await box.row<{ state: string }>('SELECT state FROM agent_state_log WHERE extension = ? ORDER BY id DESC LIMIT 1', ['801'], () => true);
  t.equal(st.state, 'available', 'none of the refused requests changed the agent');

  // The same from a real browser: a page on another origin of this host (same site, so the browser
  // even sends the SameSite=Strict cookie) posts a form at the console with the agent's session.
  const evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form id="f" method="post" enctype="text/plain" action="${url}/api/agents/801/state"><input name='{"state":"paused","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => evil.close(r)));
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page } = await pageAs(browser, url, 'ann', 'en');
  await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
  await page.waitForURL(`${url}/api/agents/801/state`);
  t.match(await page.textContent('body'), /cross-site request refused/, 'a cross-site form POST from a real browser (cookie sent) is refused');
  const after = await box.row<{ state: string }>('SELECT state FROM agent_state_log WHERE extension = ? ORDER BY id DESC LIMIT 1', ['801'], () => true);
  t.equal(after.state, 'available', 'and the agent is not paused');

  // The real thing: own page, own token → the router pauses the agent (same as MQTT cmd/agent-state).
  const ok = await post('/api/agents/801/state', { state: 'paused', reason: 'lunch' }, { cookie: ann.cookie, 'x-csrf-token': ann.csrf, origin: url });
  t.equal(ok.status, 200, 'agent pauses self');
  const paused = await box.row<{ state: string; reason: string }>('SELECT state, reason FROM agent_state_log WHERE extension = ? ORDER BY id DESC LIMIT 1', ['801'], (r) => r.state === 'paused');
  t.equal(paused.reason, 'console: lunch', 'paused with the reason, logged by the store');

  // Supervisor: wallboard and any workbench, not admin.
  const sue = await login(url, 'sue');
  t.equal((await get('/wallboard', sue.cookie)).status, 200, 'supervisor opens the wallboard');
  t.equal((await get('/agent/802', sue.cookie)).status, 200, 'supervisor opens any workbench');
  t.equal((await get('/admin', sue.cookie)).status, 403, 'supervisor cannot open admin');
  // The supervisor's live stream (what the wallboard reads): the bus's events as they happen.
  const streamAbort = new AbortController();
  t.teardown(() => streamAbort.abort());
  const stream = await fetch(`${url}/api/stream`, { headers: { cookie: sue.cookie }, signal: streamAbort.signal });
  t.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8', 'one server-sent-event stream');
  const seen = readEvents(stream, (e) => e.event === 'ev' && (e.data as { type: string; data: { extension?: string; state?: string } }).type === 'agent.state' && (e.data as { data: { extension?: string } }).data.extension === '801');
  t.equal((await post('/api/agents/801/state', { state: 'ready' }, { cookie: sue.cookie, 'x-csrf-token': sue.csrf, origin: url })).status, 200, 'supervisor sets an agent ready');
  await box.row<{ state: string }>('SELECT state FROM agent_state_log WHERE extension = ? ORDER BY id DESC LIMIT 1', ['801'], (r) => r.state === 'available');
  const got = await seen;
  t.equal(got[0]?.event, 'wall', 'the stream opens with the wallboard');
  t.match(got.at(-1)?.data, { type: 'agent.state', data: { extension: '801', state: 'available' }, at: String }, "the bus event (as MQTT's events topic carries it) reaches the stream");
  streamAbort.abort();

  // Logout ends the session: the cookie is worth nothing afterwards.
  t.equal((await post('/api/logout', {}, { cookie: sue.cookie, 'x-csrf-token': sue.csrf, origin: url })).status, 200, 'logout');
  t.equal((await get('/api/me', sue.cookie)).status, 401, 'session gone after logout');

  // Wrong passwords: five are answered 401, then the login is locked (429), even with the right password.
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) codes.push((await post('/api/login', { user: 'root', password: `guess-${i}` }, { origin: url })).status);
  t.same(codes, [401, 401, 401, 401, 401, 429], 'the sixth try is rate-limited');
  const locked = await post('/api/login', { user: 'root', password: USERS.root.password }, { origin: url });
  t.equal(locked.status, 429, 'the right password is refused during the lock');
  t.ok(Number(locked.headers.get('retry-after')) > 0, `Retry-After ${locked.headers.get('retry-after')} s`);

  // The audit trail (read with the admin session made before the lock) says who did what.
  const audit = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM console_audit WHERE action = 'login-failed' AND user = 'root'", [], (r) => r.n === 5);
  t.equal(audit.n, 5, 'five failed logins audited');
  const change = await box.row<{ user: string; role: string; detail: string }>("SELECT user, role, detail FROM console_audit WHERE action = 'agent-state' AND target = '801' ORDER BY id", [], () => true);
  t.same([change.user, change.role, JSON.parse(change.detail)], ['ann', 'agent', { state: 'paused', reason: 'lunch' }], 'who changed which agent to what');
  t.ok(await box.row("SELECT 1 AS x FROM console_audit WHERE action = 'login-blocked'", [], () => true), 'blocked logins audited');
});
