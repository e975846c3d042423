import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { sleep } from '../../helpers/net.js';
import { eventAfter, mark } from '../../helpers/routing.js';
import { startConsoleBox, USERS } from './rig.js';

const exec = promisify(execFile);

/** One HTTPS request trusting only our test certificate. */
function https(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; ca: Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (no keep-alive): a request after the console closed must not reuse a socket.
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ca: opts.ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

t.test('console over TLS: HTTPS only, Secure cookie; session_ttl ends an idle login; reload removes a user, then the console', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
  const cb = await startConsoleBox({ tls: { cert, key }, sessionTtl: '5s' });
  t.teardown(() => cb.close());
  const ca = await readFile(cert);
  t.match(cb.url, /^https:/);

  const plain = await fetch(cb.url.replace('https:', 'http:') + '/login').then((r) => r.status, (e: Error) => e.message);
  t.not(plain, 200, `plain HTTP is not served on the TLS port (${String(plain)})`);

  const r = await https(`${cb.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: cb.url }, body: JSON.stringify({ user: 'sue', password: USERS.sue.password }), ca });
  t.equal(r.status, 200, 'login over HTTPS');
  const setCookie = String(r.headers['set-cookie']);
  t.match(setCookie, /;\s*Secure/i, 'the session cookie is Secure under TLS');
  t.match(setCookie, /HttpOnly/i);
  const cookie = setCookie.split(';')[0]!;
  t.equal((await https(`${cb.url}/api/me`, { headers: { cookie }, ca })).status, 200, 'the session works');

  // A reload without bob ends bob's login at once and refuses him afterwards; others stay.
  const loginAs = async (user: 'bob' | 'sue') => https(`${cb.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: cb.url }, body: JSON.stringify({ user, password: USERS[user].password }), ca });
  const bob = String((await loginAs('bob')).headers['set-cookie']).split(';')[0]!;
  const sue = String((await loginAs('sue')).headers['set-cookie']).split(';')[0]!;
  const file = join(cb.box.dir, 'frontdesk.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).split('\n').filter((l) => !l.includes('name: bob')).join('\n'));
  cb.box.daemon.kill('SIGHUP');
  await cb.box.event('config reloaded', () => true, 10_000);
  t.equal((await https(`${cb.url}/api/me`, { headers: { cookie: bob }, ca })).status, 401, "removed user's session ended by the reload");
  t.equal((await loginAs('bob')).status, 401, 'and he cannot log in again');
  t.equal((await https(`${cb.url}/api/me`, { headers: { cookie: sue }, ca })).status, 200, 'other sessions stay');

  // session_ttl (5 s): a login used within it stays; one idle longer ends.
  await sleep(2000);
  t.equal((await https(`${cb.url}/api/me`, { headers: { cookie: sue }, ca })).status, 200, 'use within session_ttl keeps it alive');
  await sleep(6000);
  t.equal((await https(`${cb.url}/api/me`, { headers: { cookie: sue }, ca })).status, 401, 'idle longer than session_ttl: logged out');

  // The console is off unless configured: a reload without console: closes its port.
  const doc = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  delete doc.console;
  await writeFile(file, stringify(doc));
  const from = mark(cb.box);
  cb.box.daemon.kill('SIGHUP');
  await eventAfter(cb.box, from, 'config reloaded', () => true, 10_000);
  const off = await https(`${cb.url}/login`, { ca }).then((r) => `HTTP ${r.status}`, (e: NodeJS.ErrnoException) => e.code);
  t.equal(off, 'ECONNREFUSED', `without console: nothing listens on its port (${off})`);
});
