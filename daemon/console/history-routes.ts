import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { HttpApp, Reply, Req } from './http.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { dataDir } from '../config/paths.js';
import type { Db } from '../store/db.js';
import { callsPerHour, computeKpis, startOfDay } from '../telemetry/kpi.js';
import { can } from './auth.js';
import { audit } from './records.js';

/** Midnight starting the calendar day `date` (YYYY-MM-DD), `plusDays` later, in `timeZone` (default: the process's). */
function localMidnight(date: string, timeZone: string | undefined, plusDays = 0): Date {
  // Noon UTC of that date lies on the same calendar day in every timezone within ±12 h.
  return startOfDay(new Date(Date.parse(`${date}T12:00:00Z`) + plusDays * 86_400_000), timeZone);
}

/** The calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
function localDate(at: Date, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat('en-CA', { ...(timeZone ? { timeZone } : {}), year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * Supervisors' views of what the store holds: call history with its timeline and recordings, the
 * voicemail inbox, and KPIs (the definitions of telemetry/kpi.ts, as MQTT reports them).
 */
export function historyRoutes(app: HttpApp, d: { db: Db; config: () => Config }): void {
  const guard = (req: Req, reply: Reply): boolean => {
    if (!req.session) return void reply.code(401).send({ error: 'login required' }), false;
    if (!can.wallboard(req.session.user)) return void reply.code(403).send({ error: 'forbidden' }), false;
    return true;
  };

  /** A WAV from the store's directory (never a path outside it), streamed to the page's <audio>. */
  const sendWav = async (reply: Reply, path: string | null | undefined): Promise<Reply> => {
    const root = resolve(dataDir(d.config())) + sep;
    const file = path ? resolve(path) : '';
    if (!file || !file.startsWith(root)) return reply.code(404).send({ error: 'no recording' });
    const st = await stat(file).catch(() => undefined);
    if (!st) return reply.code(404).send({ error: 'recording file is gone (retention?)' });
    return reply.type('audio/wav').header('content-length', st.size).send(createReadStream(file));
  };

  app.get<{ Querystring: { number?: string; from?: string; to?: string; outcome?: string; agent?: string } }>('/api/calls', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const q = req.query;
    const where: string[] = [];
    const args: string[] = [];
    if (q.number) {
      where.push('caller LIKE ?');
      args.push(`%${q.number.replace(/[%_]/g, '')}%`);
    }
    // Dates are the box's calendar days (its timezone), as on the KPI page.
    const tz = d.config().timezone;
    if (q.from && /^\d{4}-\d{2}-\d{2}$/.test(q.from)) {
      where.push('offered_at >= ?');
      args.push(localMidnight(q.from, tz).toISOString());
    }
    if (q.to && /^\d{4}-\d{2}-\d{2}$/.test(q.to)) {
      where.push('offered_at < ?');
      args.push(localMidnight(q.to, tz, 1).toISOString());
    }
    if (q.outcome) {
      where.push('outcome = ?');
      args.push(q.outcome);
    }
    if (q.agent) {
      where.push('agent_ext = ?');
      args.push(q.agent);
    }
    const calls = await d.db.all(
      `SELECT id, line_id, caller, offered_at, ended_at, outcome, agent_ext, queue_id, intent, recording_path IS NOT NULL AS recorded FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY offered_at DESC LIMIT 200`,
      args,
    );
    return { calls };
  });

  app.get<{ Params: { id: string } }>('/api/calls/:id', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const call = await d.db.get('SELECT * FROM calls WHERE id = ?', [req.params.id]);
    if (!call) return reply.code(404).send({ error: 'no such call' });
    const timeline = await d.db.all<{ at: string; event: string; data: string | null }>('SELECT at, event, data FROM call_timeline WHERE call_id = ? ORDER BY id', [req.params.id]);
    const notes = await d.db.all('SELECT at, user, disposition, note FROM call_notes WHERE call_id = ? ORDER BY id', [req.params.id]);
    return { call, timeline, notes };
  });

  app.get<{ Params: { id: string } }>('/api/calls/:id/recording', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const row = await d.db.get<{ recording_path: string | null }>('SELECT recording_path FROM calls WHERE id = ?', [req.params.id]);
    return sendWav(reply, row?.recording_path);
  });

  app.get('/api/voicemail', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    return { voicemail: await d.db.all('SELECT id, call_id, caller, recorded_at, duration_ms, heard FROM voicemail ORDER BY recorded_at DESC LIMIT 200') };
  });

  app.get<{ Params: { id: string } }>('/api/voicemail/:id/audio', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const row = await d.db.get<{ path: string }>('SELECT path FROM voicemail WHERE id = ?', [req.params.id]);
    return sendWav(reply, row?.path);
  });

  app.post<{ Params: { id: string }; Body: { handled?: unknown } }>('/api/voicemail/:id/handled', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const handled = req.body?.handled === false ? 0 : 1;
    const r = await d.db.run('UPDATE voicemail SET heard = ? WHERE id = ?', [handled, req.params.id]);
    if (!r.changes) return reply.code(404).send({ error: 'no such voicemail' });
    await audit(d.db, { user: req.session!.user, ip: req.ip, action: 'voicemail-handled', target: req.params.id, detail: { handled: Boolean(handled) } });
    return { ok: true };
  });

  /** KPIs per day for the last 7 days (today included) and calls per hour today. */
  app.get('/api/kpis', async (req, reply) => {
    if (!guard(req, reply)) return reply;
    const cfg = d.config();
    const sl = durationOr(cfg.mqtt?.service_level, '20s');
    const today = startOfDay(new Date(), cfg.timezone);
    const days = [];
    for (let i = 6; i >= 0; i--) {
      const from = new Date(today.getTime() - i * 86_400_000);
      const to = new Date(from.getTime() + 86_400_000);
      days.push({ day: from.toISOString(), date: localDate(from, cfg.timezone), ...(await computeKpis(d.db, { from, to }, sl)) });
    }
    const perHour = await callsPerHour(d.db, today);
    return { days, perHour, serviceLevelSeconds: sl / 1000, timeZone: cfg.timezone ?? null };
  });
}
