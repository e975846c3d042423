import type { HttpApp } from './http.js';
import type { AgentAction } from '../routing/feature-codes.js';
import { can } from './auth.js';
import { addNote, audit } from './records.js';
import type { ServerDeps } from './server.js';

/** What agents (and supervisors for them) change from the console: state, notes, transfers, call-backs. */
export function agentRoutes(app: HttpApp, d: ServerDeps): void {
  app.post<{ Params: { ext: string }; Body: { state?: unknown; reason?: unknown } }>('/api/agents/:ext/state', async (req, reply) => {
    const s = req.session!;
    const ext = req.params.ext;
    if (!can.workbench(s.user, ext)) return reply.code(403).send({ error: 'forbidden' });
    const state = req.body?.state;
    const reason = typeof req.body?.reason === 'string' && req.body.reason ? req.body.reason.slice(0, 100) : undefined;
    const actions: Record<string, [AgentAction, string | undefined]> = {
      ready: ['unpause', undefined],
      paused: ['pause', `console: ${reason ?? 'paused'}`],
      // After-call work chosen by the agent: not offered calls, shown as wrap-up until ready again.
      'wrap-up': ['pause', 'wrap-up'],
      'logged-out': ['logout', undefined],
      'logged-in': ['login', undefined],
    };
    const a = typeof state === 'string' ? actions[state] : undefined;
    if (!a) return reply.code(400).send({ error: `state must be one of ${Object.keys(actions).join(', ')}` });
    if (!(d.config().agents ?? []).some((x) => x.extension === ext)) return reply.code(404).send({ error: `no agent with extension "${ext}"` });
    try {
      // "ready" from logged out logs in too.
      if (a[0] === 'unpause') d.agentAction(ext, 'login');
      const result = d.agentAction(ext, a[0], a[1]);
      await audit(d.db, { user: s.user, ip: req.ip, action: 'agent-state', target: ext, detail: { state, ...(reason ? { reason } : {}) } });
      return { ok: true, result };
    } catch (err) {
      return reply.code(409).send({ error: (err as Error).message });
    }
  });

  app.post<{ Params: { id: string }; Body: { note?: unknown; disposition?: unknown } }>('/api/calls/:id/notes', async (req, reply) => {
    const s = req.session!;
    const callId = req.params.id;
    const note = typeof req.body?.note === 'string' ? req.body.note.trim().slice(0, 4000) : '';
    const disposition = typeof req.body?.disposition === 'string' && req.body.disposition ? req.body.disposition.slice(0, 64) : undefined;
    if (!note && !disposition) return reply.code(400).send({ error: 'a note or a disposition is needed' });
    const live = d.state.calls.get(callId);
    const stored = live ? undefined : await d.db.get<{ caller: string | null; agent_ext: string | null }>('SELECT caller, agent_ext FROM calls WHERE id = ?', [callId]);
    if (!live && !stored) return reply.code(404).send({ error: 'no such call' });
    const agent = live?.agent ?? stored?.agent_ext ?? undefined;
    // An agent writes notes on their own calls only.
    if (s.user.role === 'agent' && agent !== s.user.extension) return reply.code(403).send({ error: 'not your call' });
    const caller = live?.caller ?? stored?.caller ?? undefined;
    await addNote(d.db, { callId, ...(caller ? { caller } : {}), ...(agent ? { agent } : {}), user: s.user.name, ...(disposition ? { disposition } : {}), note });
    await audit(d.db, { user: s.user, ip: req.ip, action: 'note', target: callId, detail: { disposition: disposition ?? null, length: note.length } });
    return { ok: true };
  });

  app.post<{ Params: { id: string }; Body: { queue?: unknown; extension?: unknown } }>('/api/calls/:id/transfer', async (req, reply) => {
    const s = req.session!;
    const callId = req.params.id;
    const live = d.state.calls.get(callId);
    if (!live) return reply.code(404).send({ error: 'no such call in progress' });
    // An agent transfers their own caller; supervisors any.
    if (s.user.role === 'agent' && live.agent !== s.user.extension) return reply.code(403).send({ error: 'not your call' });
    const to = { ...(typeof req.body?.queue === 'string' && req.body.queue ? { queue: req.body.queue } : {}), ...(typeof req.body?.extension === 'string' && req.body.extension ? { extension: req.body.extension } : {}) };
    if (!to.queue && !to.extension) return reply.code(400).send({ error: 'a queue or an extension is needed' });
    try {
      const result = d.transfer(callId, to);
      await audit(d.db, { user: s.user, ip: req.ip, action: 'transfer', target: callId, detail: { from: live.agent ?? null, ...to } });
      return { ok: true, result };
    } catch (err) {
      return reply.code(409).send({ error: (err as Error).message });
    }
  });

  // The workbench's knowledge-base search (any logged-in user; the entries are what the bot tells callers).
  app.get<{ Querystring: { q?: string } }>('/api/knowledge', async (req, reply) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    if (!q) return reply.code(400).send({ error: 'q (the text to search for) is needed' });
    const found = d.searchKnowledge?.(q);
    if (!found) return reply.code(404).send({ error: 'no knowledge base is configured' });
    return { entries: found };
  });

  app.post<{ Params: { id: string } }>('/api/voicemail/:id/call-back', async (req, reply) => {
    if (!can.wallboard(req.session!.user)) return reply.code(403).send({ error: 'forbidden' });
    const vm = await d.db.get<{ call_id: string | null }>('SELECT call_id FROM voicemail WHERE id = ?', [req.params.id]);
    if (!vm?.call_id) return reply.code(404).send({ error: 'no such voicemail' });
    try {
      const id = await d.callBack(vm.call_id);
      await audit(d.db, { user: req.session!.user, ip: req.ip, action: 'call-back', target: req.params.id, detail: { callback: id } });
      return { ok: true, callback: id };
    } catch (err) {
      return reply.code(409).send({ error: (err as Error).message });
    }
  });
}
