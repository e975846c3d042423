import { randomUUID } from 'node:crypto';
import type { Sms } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { CallOutcome } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { isLowScore } from '../bot/survey.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { EnqueueRequest, EnqueueResult } from './queue.js';

const DEFAULT_TEXT = {
  zh: '感谢您的来电!请回复1-5为本次服务打分(5为非常满意)。回复退订不再接收。',
  en: 'Thank you for calling! Please reply with a score from 1 to 5 (5 = very satisfied). Reply STOP to opt out.',
};

/** Calls whose caller is asked: the ones that reached an end the caller lived through. */
const ASKED_AFTER: readonly CallOutcome[] = ['bot-resolved', 'transferred', 'voicemail', 'callback'];

/** "4", "４", " 4 ", "4分" → 4; anything else → undefined. */
export function parseScore(text: string): number | undefined {
  const t = text.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/分$/, '').trim();
  return /^[1-5]$/.test(t) ? Number(t) : undefined;
}

/**
 * The SMS survey (bot.survey.sms): after a call the caller is texted a 1-5 question; a reply from
 * that number within sms.survey.window answers the most recent open question, lands in the
 * surveys table like a DTMF answer (survey.answered, so it counts in CSAT); a low score gets the
 * same follow-up as a keyed one (bot.survey.low_score, in calls/low-score), noted in follow_up.
 */
export class SmsSurvey {
  constructor(private readonly o: { db: Db; bus: Bus; log: Logger; config: () => Config; send: (r: EnqueueRequest) => Promise<EnqueueResult> }) {}

  async afterCall(callId: string, caller: string | undefined, lineId: string, outcome: CallOutcome): Promise<void> {
    const cfg = this.o.config();
    if (!cfg.bot.survey?.sms || !caller || !ASKED_AFTER.includes(outcome)) return;
    const zh = (cfg.bot.language ?? cfg.language ?? 'zh-CN').startsWith('zh');
    const text = cfg.sms?.survey?.text ?? (zh ? DEFAULT_TEXT.zh : DEFAULT_TEXT.en);
    const r = await this.o.send({ to: caller, text, kind: 'survey', callId, lineId });
    if (!r.queued) return;
    const now = Date.now();
    await this.o.db.run('INSERT INTO sms_surveys (id, call_id, number, sms_id, asked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [`sv-${randomUUID().slice(0, 8)}`, callId, caller, r.id, new Date(now).toISOString(), new Date(now + durationOr(cfg.sms?.survey?.window, '24h')).toISOString()]);
  }

  /** A reply: true when it answered an open survey. */
  async onReply(sms: Sms): Promise<boolean> {
    const score = parseScore(sms.text);
    if (score === undefined) return false;
    const now = new Date().toISOString();
    const open = await this.o.db.get<{ id: string; call_id: string }>('SELECT id, call_id FROM sms_surveys WHERE number = ? AND answered_at IS NULL AND expires_at > ? ORDER BY asked_at DESC LIMIT 1', [sms.from, now]);
    if (!open) return false;
    const sc = this.o.config().bot.survey;
    const followUp = sc && isLowScore(sc, score) ? sc.low_score?.then : undefined;
    await this.o.db.run('UPDATE sms_surveys SET score = ?, answered_at = ?, follow_up = ? WHERE id = ?', [score, now, followUp ?? null, open.id]);
    this.o.log.info({ event: 'survey.answered', callId: open.call_id, score, channel: 'sms' }, 'survey.answered');
    await this.o.bus.emitAndWait('survey.answered', { callId: open.call_id, score, scale: 5 });
    return true;
  }
}
