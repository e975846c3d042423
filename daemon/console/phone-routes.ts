import type { HttpApp, Reply, Req } from './http.js';
import { can } from './auth.js';
import { audit } from './records.js';
import type { ServerDeps } from './server.js';

/** The workbench as a phone: answer with an SDP offer, keys, hang up. Only the agent whose phone it is. */
export function phoneRoutes(app: HttpApp, d: ServerDeps): void {
  // Listen, whisper, barge (supervisors): the wallboard's phone rings, answers by itself and joins the call.
  app.post<{ Params: { id: string }; Body: { mode?: unknown } }>('/api/calls/:id/listen', async (req, reply) => {
    const u = req.session!.user;
    if (!can.wallboard(u)) return reply.code(403).send({ error: 'forbidden' });
    const mode = req.body?.mode ?? 'listen';
    if (mode !== 'listen' && mode !== 'whisper' && mode !== 'barge') return reply.code(400).send({ error: 'mode: listen, whisper or barge' });
    const live = d.state.calls.get(req.params.id);
    if (!live?.agent) return reply.code(409).send({ error: 'the call is not connected to an agent' });
    try {
      const leg = await d.phones.dial(`sup:${u.name}`, { timeoutMs: 20_000, ...(live.caller ? { callerNumber: live.caller } : {}), headers: { 'X-Frontdesk-Listen': live.callId } });
      try {
        d.listen(live.callId, leg, mode);
      } catch (err) {
        await leg.hangup('failed');
        throw err;
      }
      await audit(d.db, { user: u, ip: req.ip, action: mode, target: live.callId, detail: { agent: live.agent } });
      return { ok: true, legId: leg.id };
    } catch (err) {
      return reply.code(409).send({ error: (err as Error).message });
    }
  });

  const ownLeg = (req: Req<{ Params: { leg: string } }>, reply: Reply) => {
    const leg = d.phones.leg(req.params.leg);
    if (!leg) return void reply.code(404).send({ error: 'no such call' });
    // Only the agent whose phone it is may answer, talk on or end it.
    const u = req.session!.user;
    if (u.extension !== leg.extension && `sup:${u.name}` !== leg.extension) return void reply.code(403).send({ error: 'not your phone' });
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
