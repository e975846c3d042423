import { randomBytes } from 'node:crypto';
import type { HttpApp, Reply, Req } from './http.js';
import { WebRtcLeg } from '../../drivers/webrtc/leg.js';
import { WebCallerLine } from '../../drivers/webrtc/web-line.js';
import type { ServerDeps } from './server.js';

/**
 * Web callers (console.web_callers): the public /call page calls the box over WebRTC and reaches
 * the same bot and queues as a phone caller, on a line of its own. No login: limited to max_calls
 * at once and per_hour calls from one address; each call's hang-up and keys need its own token.
 */
export function webCallRoutes(app: HttpApp, d: ServerDeps & { page: (reply: Reply, name: string) => Promise<Reply> }): void {
  const lines = new Map<string, WebCallerLine>();
  const calls = new Map<string, { leg: WebRtcLeg; token: string }>();
  const recent = new Map<string, number[]>();
  const settings = () => d.config().console?.web_callers;

  app.get('/call', async (_req, reply) => (settings() ? d.page(reply, 'call') : reply.code(404).send('Not found')));

  app.post<{ Body: { sdp?: unknown } }>('/api/webcall', async (req, reply) => {
    const cfg = settings();
    if (!cfg) return reply.code(404).send({ error: 'web calls are off' });
    if (typeof req.body?.sdp !== 'string' || !req.body.sdp.startsWith('v=0')) return reply.code(400).send({ error: 'an SDP offer is needed' });
    const id = cfg.line_id ?? 'web';
    let line = lines.get(id);
    if (!line) lines.set(id, (line = new WebCallerLine(id)));
    if (line.active >= (cfg.max_calls ?? 2)) return reply.code(503).header('retry-after', '60').send({ error: 'busy: all web lines are in use' });
    const hourAgo = Date.now() - 3_600_000;
    const mine = (recent.get(req.ip) ?? []).filter((t) => t > hourAgo);
    if (mine.length >= (cfg.per_hour ?? 6)) return reply.code(429).header('retry-after', String(Math.ceil((mine[0]! - hourAgo) / 1000))).send({ error: 'too many calls from this address; try again later' });
    mine.push(Date.now());
    recent.set(req.ip, mine);
    if (recent.size > 10_000) for (const [k, v] of recent) if (v.every((t) => t <= hourAgo)) recent.delete(k);

    const leg = WebRtcLeg.inbound(id, { name: 'web', uri: `web:${req.ip}` }, d.phones.sdpFilter());
    let sdp: string;
    try {
      sdp = await leg.accept(req.body.sdp);
    } catch (err) {
      await leg.hangup('failed');
      return reply.code(400).send({ error: (err as Error).message });
    }
    const token = randomBytes(18).toString('base64url');
    calls.set(leg.id, { leg, token });
    const l = line;
    l.active++;
    leg.once('ended', () => {
      l.active--;
      calls.delete(leg.id);
    });
    d.incoming(leg, l);
    return { legId: leg.id, token, sdp };
  });

  const own = (req: Req<{ Params: { leg: string } }>, reply: Reply): WebRtcLeg | undefined => {
    const c = calls.get(req.params.leg);
    if (!c || req.headers['x-webcall-token'] !== c.token) return void reply.code(404).send({ error: 'no such call' });
    return c.leg;
  };
  app.post<{ Params: { leg: string } }>('/api/webcall/:leg/hangup', async (req, reply) => {
    const leg = own(req, reply);
    if (!leg) return reply;
    leg.remoteHangup();
    return { ok: true };
  });
  app.post<{ Params: { leg: string }; Body: { digits?: unknown } }>('/api/webcall/:leg/dtmf', async (req, reply) => {
    const leg = own(req, reply);
    if (!leg) return reply;
    if (typeof req.body?.digits !== 'string' || !/^[0-9*#]{1,16}$/.test(req.body.digits)) return reply.code(400).send({ error: 'digits: 0-9, *, #' });
    leg.remoteDtmf(req.body.digits);
    return { ok: true };
  });
}
