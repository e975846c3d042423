import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { audit } from './records.js';
import type { ServerDeps } from './server.js';

/** The workbench as a phone: answer with an SDP offer, keys, hang up. Only the agent whose phone it is. */
export function phoneRoutes(app: FastifyInstance, d: ServerDeps): void {
  const ownLeg = (req: FastifyRequest<{ Params: { leg: string } }>, reply: FastifyReply) => {
    const leg = d.phones.leg(req.params.leg);
    if (!leg) return void reply.code(404).send({ error: 'no such call' });
    // Only the agent whose phone it is may answer, talk on or end it.
    if (req.session!.user.extension !== leg.extension) return void reply.code(403).send({ error: 'not your phone' });
    return leg;
  };
  app.post<{ Params: { leg: string }; Body: { sdp?: unknown } }>('/api/rtc/:leg/answer', async (req, reply) => {
    const leg = ownLeg(req, reply);
    if (!leg) return reply;
    if (typeof req.body?.sdp !== 'string' || !req.body.sdp.startsWith('v=0')) return reply.code(400).send({ error: 'an SDP offer is needed' });
    try {
      const sdp = await leg.accept(req.body.sdp);
      await audit(d.db, { user: req.session!.user, ip: req.ip, action: 'answer', target: leg.extension, detail: { callId: leg.options.headers?.['X-Frontdesk-Call-Id'] ?? null } });
      return { sdp };
    } catch (err) {
      return reply.code(409).send({ error: (err as Error).message });
    }
  });
  app.post<{ Params: { leg: string } }>('/api/rtc/:leg/hangup', async (req, reply) => {
    const leg = ownLeg(req, reply);
    if (!leg) return reply;
    leg.remoteHangup();
    return { ok: true };
  });
  app.post<{ Params: { leg: string }; Body: { digits?: unknown } }>('/api/rtc/:leg/dtmf', async (req, reply) => {
    const leg = ownLeg(req, reply);
    if (!leg) return reply;
    if (typeof req.body?.digits !== 'string' || !/^[0-9*#A-D]{1,32}$/.test(req.body.digits)) return reply.code(400).send({ error: 'digits: 0-9, *, #, A-D' });
    leg.remoteDtmf(req.body.digits);
    return { ok: true };
  });

}
