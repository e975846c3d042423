import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import type { Logger } from '../log.js';
import { can, csrfOk, LoginLimiter, Sessions, type Session, type User } from './auth.js';
import { dummyHash, verifyPassword } from './passwords.js';
import type { LiveHub, StreamClient } from './hub.js';
import type { LiveState } from './live-state.js';
import type { ConsoleDeps } from './extension.js';
import { audit, auditTrail } from './records.js';
import { historyRoutes } from './history-routes.js';
import { agentRoutes } from './agent-routes.js';
import { phoneRoutes } from './phone-routes.js';
import { webCallRoutes } from './web-call-routes.js';
import { HttpApp, type Reply, type Req } from './http.js';

export const COOKIE = 'fd_session';
const PUBLIC = fileURLToPath(new URL('../../../daemon/console/public/', import.meta.url));
const UPLOT = fileURLToPath(new URL('../../../node_modules/uplot/dist/', import.meta.url));

/** What the console extension hands the server: its own deps plus the live state it keeps. */
export interface ServerDeps extends ConsoleDeps {
  config: () => Config;
  db: Db;
  log: Logger;
  hub: LiveHub;
  state: LiveState;
  sessions: Sessions;
  tls?: { cert: Buffer; key: Buffer };
}

/** Users of the config by name, with their hashes. */
function userTable(cfg: Config): Map<string, User & { hash: string }> {
  return new Map((cfg.console?.users ?? []).map((u) => [u.name, { name: u.name, role: u.role, ...(u.extension ? { extension: u.extension } : {}), hash: u.password_hash }]));
}

/** The web console's HTTP(S) server: pages, the JSON API and the live event stream. */
export function buildServer(d: ServerDeps): HttpApp {
  const secure = Boolean(d.tls);
  const app = new HttpApp({ bodyLimit: 64 * 1024, ...(d.tls ? { tls: d.tls } : {}), onError: (err, req) => d.log.warn({ err, method: req.method, url: req.url }, 'console: request failed') });
  // Served from disk on each request, nothing held in memory.
  app.static('/assets/', PUBLIC);
  app.static('/vendor/uplot/', UPLOT);
  const limiter = new LoginLimiter();

  app.onSend((reply) => {
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  /**
   * Cross-site requests: a state change must come from our own pages. Browsers send Origin on every
   * POST and Sec-Fetch-Site where they know it; either naming another site is refused.
   */
  const sameOrigin = (req: Req): boolean => {
    const site = req.headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    return origin === `${secure ? 'https' : 'http'}://${req.headers.host}`;
  };

  app.preHandler(async (req, reply) => {
    req.session = d.sessions.get(req.cookies[COOKIE]);
    if (req.method === 'GET' || req.method === 'HEAD') return;
    if (!sameOrigin(req)) return reply.code(403).send({ error: 'cross-site request refused' });
    // Logins, and web callers (no account; limited by web-call-routes), need no session.
    if (req.url === '/api/login' || req.url.startsWith('/api/webcall')) return;
    if (!req.session) return reply.code(401).send({ error: 'login required' });
    const token = req.headers['x-csrf-token'];
    if (!csrfOk(req.session, typeof token === 'string' ? token : undefined)) return reply.code(403).send({ error: 'missing or wrong CSRF token' });
  });

  const page = async (reply: Reply, name: string): Promise<Reply> => reply.type('text/html; charset=utf-8').send(await readFile(`${PUBLIC}${name}.html`));
  const needLogin = (req: Req, reply: Reply): Session | undefined => {
    if (req.session) return req.session;
    reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
    return undefined;
  };
  const forbidden = (reply: Reply): Reply => reply.code(403).type('text/plain; charset=utf-8').send('Forbidden: your role may not open this page.');
  const home = (u: User): string => (u.role === 'agent' ? `/agent/${encodeURIComponent(u.extension ?? '')}` : '/wallboard');

  // ---- pages --------------------------------------------------------------------------------------
  app.get('/', async (req, reply) => (req.session ? reply.redirect(home(req.session.user)) : reply.redirect('/login')));
  app.get('/login', async (_req, reply) => page(reply, 'login'));
  app.get('/wallboard', async (req, reply) => {
    const s = needLogin(req, reply);
    if (!s) return reply;
    return can.wallboard(s.user) ? page(reply, 'wallboard') : forbidden(reply);
  });
  app.get<{ Params: { ext: string } }>('/agent/:ext', async (req, reply) => {
    const s = needLogin(req, reply);
    if (!s) return reply;
    return can.workbench(s.user, req.params.ext) ? page(reply, 'agent') : forbidden(reply);
  });
  for (const name of ['history', 'voicemail', 'kpis']) {
    app.get(`/${name}`, async (req, reply) => {
      const s = needLogin(req, reply);
      if (!s) return reply;
      return can.wallboard(s.user) ? page(reply, name) : forbidden(reply);
    });
  }
  historyRoutes(app, d);
  app.get('/admin', async (req, reply) => {
    const s = needLogin(req, reply);
    if (!s) return reply;
    return can.admin(s.user) ? page(reply, 'admin') : forbidden(reply);
  });

  // ---- session ------------------------------------------------------------------------------------
  app.post<{ Body: { user?: unknown; password?: unknown } }>('/api/login', async (req, reply) => {
    const name = typeof req.body?.user === 'string' ? req.body.user.slice(0, 64) : '';
    const password = typeof req.body?.password === 'string' ? req.body.password.slice(0, 256) : '';
    const keys = [`ip:${req.ip}`, `user:${name}`];
    const wait = limiter.wait(keys);
    if (wait > 0) {
      await audit(d.db, { user: { name: name || '?', role: 'agent' }, ip: req.ip, action: 'login-blocked' });
      return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).send({ error: 'too many failed logins; try again later', retryAfter: Math.ceil(wait / 1000) });
    }
    const user = userTable(d.config()).get(name);
    const ok = await verifyPassword(password, user?.hash ?? (await dummyHash()));
    if (!user || !ok) {
      limiter.fail(keys);
      await audit(d.db, { user: { name: name || '?', role: user?.role ?? 'agent' }, ip: req.ip, action: 'login-failed' });
      return reply.code(401).send({ error: 'wrong user name or password' });
    }
    limiter.succeed(keys);
    const { hash: _h, ...u } = user;
    const s = d.sessions.create(u);
    await audit(d.db, { user: u, ip: req.ip, action: 'login' });
    reply.setCookie(COOKIE, s.id, { httpOnly: true, sameSite: 'strict', secure, path: '/' }); // sets a header; the reply is sent by the return below
    return { ok: true, home: home(u) };
  });

  app.post('/api/logout', async (req, reply) => {
    const s = req.session!;
    d.sessions.drop(s.id);
    await audit(d.db, { user: s.user, ip: req.ip, action: 'logout' });
    reply.clearCookie(COOKIE, { path: '/' }); // sets a header; the reply is sent by the return below
    return { ok: true };
  });

  app.get('/api/me', async (req, reply) => {
    if (!req.session) return reply.code(401).send({ error: 'login required' });
    const cfg = d.config();
    return {
      user: req.session.user,
      csrf: req.session.csrf,
      language: cfg.language?.startsWith('zh') ? 'zh' : 'en',
      site: cfg.site,
      node: cfg.node,
      agents: (cfg.agents ?? []).map((a) => ({ extension: a.extension, name: a.name })),
      queues: (cfg.queues ?? []).map((q) => q.id),
      knowledge: Boolean(cfg.knowledge),
      // The box's zone (configured, else the process's): pages show times on its clock, not the browser's.
      timeZone: cfg.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    };
  });

  // ---- live stream (server-sent events) -----------------------------------------------------------
  app.get<{ Querystring: { ext?: string } }>('/api/stream', async (req, reply) => {
    const s = req.session;
    if (!s) return reply.code(401).send({ error: 'login required' });
    const ext = req.query.ext ?? (s.user.role === 'agent' ? s.user.extension : undefined);
    if (ext === undefined ? !can.wallboard(s.user) : !can.workbench(s.user, ext)) return reply.code(403).send({ error: 'forbidden' });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    res.write('retry: 2000\n\n');
    const beat = setInterval(() => res.write(': keepalive\n\n'), 15_000);
    const client: StreamClient = {
      session: s,
      ...(ext !== undefined ? { ext } : {}),
      send: (event, data) => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      close: () => res.end(),
    };
    d.hub.add(client);
    // The agent's own workbench is their browser phone while it is open (not a supervisor's view of it).
    // A supervisor's wallboard is their phone for listening in.
    const phoneId = ext !== undefined ? (s.user.extension === ext ? ext : undefined) : `sup:${s.user.name}`;
    const detach = phoneId !== undefined
      ? d.phones.attach(phoneId, {
          ring: (leg) => client.send('rtc-ring', { legId: leg.id, callId: leg.options.headers?.['X-Frontdesk-Call-Id'] ?? null, caller: leg.options.callerNumber ?? null, display: leg.options.displayName ?? null, listen: leg.options.headers?.['X-Frontdesk-Listen'] ?? null }),
          end: (leg, end) => client.send('rtc-end', { legId: leg.id, by: end.by, cause: end.cause }),
        })
      : undefined;
    req.raw.on('close', () => {
      clearInterval(beat);
      detach?.();
      d.hub.remove(client);
    });
  });

  agentRoutes(app, d);
  webCallRoutes(app, { ...d, page });
  phoneRoutes(app, d);

  // ---- admin --------------------------------------------------------------------------------------
  app.get('/api/audit', async (req, reply) => {
    if (!req.session) return reply.code(401).send({ error: 'login required' });
    if (!can.admin(req.session.user)) return reply.code(403).send({ error: 'forbidden' });
    return { entries: await auditTrail(d.db) };
  });

  return app;
}
