import type { LineAlarm, LineHealth, Sms } from '../../drivers/line.js';

/**
 * Typed domain events. The call core, bot, router and line supervisor emit them; the store,
 * telemetry and console subscribe. Add a new event here, with its payload, before emitting it.
 * Payloads are plain JSON data (they are stored and published as they are).
 */
export interface DomainEvents {
  /** direction outbound: the box dialled (originate, campaigns); `caller` is then the callee. vip: the caller is on priority.vip_numbers (after number normalisation). */
  'call.offered': { callId: string; lineId: string; caller?: string; callerName?: string; vip?: boolean; direction?: 'outbound' };
  'call.phase': { callId: string; phase: CallPhase; detail?: Record<string, unknown> };
  /**
   * vip: on priority.vip_numbers, or a customer the store knows as VIP (found at handoff); slots: what
   * the bot captured (slot → value), when anything; menuPath: the keys pressed in the bot, ">"-joined.
   */
  'call.ended': { callId: string; outcome: CallOutcome; hungUpBy: 'caller' | 'agent' | 'system'; cause?: string; slots?: Record<string, string>; menuPath?: string; vip?: boolean; /** The call took a safe path after a fault: the config key to fix (or step:<phase>). */ fault?: string };
  'call.agent': { callId: string; extension: string; result: 'ringing' | 'answered' | 'no-answer' | 'busy' | 'failed'; detail?: string };
  'call.recorded': { callId: string; path: string; durationMs: number };
  'voicemail.recorded': { callId: string; caller?: string; path: string; durationMs: number; id: string };
  'bot.turn': { callId: string; input: { kind: 'dtmf' | 'speech' | 'timeout'; value: string }; intent?: string; say?: string };
  /** One caller utterance heard by the speech worker: transcript when ASR runs, emotion reading. */
  'speech.utterance': { callId: string; utt: number; durationMs: number; text?: string; confidence?: number; emotion?: { label: string; score: number; negative: number } };
  /** detail: the intent, when known; slots: what the bot captured (the console's screen-pop shows them). */
  'handoff.requested': { callId: string; reason: HandoffReason; queue?: string; detail?: string; menuPath?: string; slots?: Record<string, string> };
  'agent.state': { extension: string; state: AgentState; reason?: string };
  'line.health': LineHealth;
  'line.alarm': LineAlarm;
  'sms.received': Sms;
  'alarm': { code: string; active: boolean; message: string; source?: string; severity?: AlarmSeverity };
  'system.reload': { ok: boolean; errors?: string[]; configHash?: string };
  // Contact-centre routing, in the manner of Asterisk's queue_log (one row each in queue_log).
  /** A caller joined a queue at this position (1 = next). priority: vip, resume, repeat, sticky. */
  'queue.enter': { callId: string; queue: string; position: number; priority: string[]; caller?: string };
  /** The caller was told their position (and expected wait, and the callback offer). */
  'queue.announce': { callId: string; queue: string; position: number; estimateMs?: number; callbackOffered: boolean };
  /** An agent answered a queued caller after waitMs in the queue. */
  'queue.connect': { callId: string; queue: string; extension: string; waitMs: number; ringMs: number };
  /** The caller hung up while waiting (position at that moment). */
  'queue.abandon': { callId: string; queue: string; position: number; waitMs: number };
  /** The caller left the queue without an agent: max wait, no agents, full, closed, overflow (to another queue), callback. */
  'queue.exit': { callId: string; queue: string; reason: QueueExitReason; position: number; waitMs: number; to?: string };
  /** An agent's phone rang for a caller and was not answered (or was busy / failed). */
  'agent.ring-no-answer': { callId: string; queue: string; extension: string; ringMs: number; result: 'no-answer' | 'busy' | 'failed'; detail?: string };
  /** The caller asked to be called back (or was offered it at max wait); kept durably until done. */
  'callback.requested': { id: string; callId: string; queue: string; number: string; lineId: string; enteredAt: string };
  /** Progress of a callback: an agent reserved and rung, the customer dialled, connected, done or given up. */
  'callback.state': { id: string; callId: string; state: CallbackState; extension?: string; attempts?: number; detail?: string };
  /** A caller's post-call survey answer (CSAT): score on a 1..scale scale (default 5). */
  'survey.answered': { callId: string; score: number; scale?: number };
  /** Events the store could not keep (its pending backlog overflowed while it was failing): the outbox seq skips exactly `lost`. */
  'store.gap': { lost: number; from: string; to: string };
  /** A SIP call's dialog confirmed (open, with what a BYE needs) or over; kept in open_dialogs, not reported. */
  'sip.dialog': { lineId: string; open: boolean; dialog: { callId: string; localTag: string; [k: string]: unknown } };
  /** The daemon started after a crash and closed what the previous run left open. */
  'system.recovered': { calls: string[]; agents: string[]; journaled: number };
  // After the call (issue 15): SMS out, tickets, originate.
  /** The bot captured a detail the flow asked for (slot), with everything captured so far. */
  'bot.captured': { callId: string; slot: string; slots: Record<string, string> };
  /** An SMS was queued durably (parts: PDUs it takes). */
  'sms.queued': { id: string; to: string; kind: string; parts: number; callId?: string; ticket?: string };
  /** Every part went out; mrs are the message references the modem gave. */
  'sms.sent': { id: string; to: string; lineId: string; parts: number; mrs: number[]; attempts: number };
  /** A try failed; final: no more tries (state failed), else retried at retryAt. */
  'sms.failed': { id: string; to: string; attempts: number; error: string; final: boolean; retryAt?: string };
  /** A delivery report from the network (matched to a sent message when id is set). */
  'sms.status': { lineId: string; mr: number; to: string; status: number; outcome: 'delivered' | 'pending' | 'failed'; dischargedAt: string; id?: string };
  /** A number sent an opt-out word: no more SMS to it. */
  'sms.optout': { number: string; word: string };
  /** A ticket (工单) was opened. `ticket` is its number (not called number: reports mask numbers). */
  'ticket.created': { ticket: string; status: string; by: string; callId?: string; customer?: string; owner?: string; subject?: string; fields: Record<string, string> };
  /** A ticket changed: status, owner, or a note. */
  'ticket.updated': { ticket: string; by: string; status?: string; owner?: string; note?: string };
  /** The box dialled out on request (MQTT originate, CLI): where, and what the callee is connected to. */
  /** A campaign contact's try ended (state retry: tried again later; done/skipped: final outcome). */
  'campaign.contact': { campaign: string; number: string; attempt: number; result: string; state: 'retry' | 'done' | 'skipped'; lineId?: string; retryAt?: string };
  'call.originated': { id: string; lineId: string; target: string; connect: 'bot' | 'agent'; extension?: string; by: string; result: 'answered' | 'busy' | 'no-answer' | 'failed' | 'refused'; detail?: string };
  // Knowledge base (issue 16).
  /** The bot answered from a knowledge-base entry (by speech or the common-questions menu). */
  'kb.answered': { callId: string; entry: string; via: KbVia; language: string };
  /** A question the knowledge base could not answer: a no-match utterance or a menu miss ("key 7"). */
  'kb.unanswered': { callId: string; via: KbVia; text: string };
  /** Entries matching what the caller said or chose, for the agent's screen (the console), at handoff. */
  'kb.suggested': { callId: string; entries: { id: string; title: string; answer: string; score: number }[] };
  /** A party of a connected call put the other on hold (held true) or resumed (SIP re-INVITE sendonly/inactive). */
  'call.hold': { callId: string; held: boolean; by: 'agent' | 'caller' };
  // Quality inspection (issue 16), after every agent call.
  /** A call's quality score (0..100) with the evidence of every rule that fired. */
  'quality.scored': { callId: string; agent?: string; score: number; flagged: boolean; findings: QualityFinding[]; metrics: Record<string, number | string | null> };
  /** The same for a flagged call (score under quality.flag_below, or a critical rule), for alerting. */
  'quality.flagged': { callId: string; agent?: string; score: number; findings: QualityFinding[] };
  /** The bot's first words, in the call's language (issue 15): greeting and menu offers, or the repeat-caller question; prompts: recorded prompt ids among them. */
  'bot.started': { callId: string; language: string; say: string; prompts?: string[] };
}

export type KbVia = 'speech' | 'menu';
/** One rule that fired: which, how bad, the measured value and where in the call (seconds after connect). */
export interface QualityFinding { rule: string; severity: 'info' | 'minor' | 'major' | 'critical'; weight: number; value: number | string | null; atS?: number; detail?: string }

export type QueueExitReason = 'timeout' | 'empty' | 'full' | 'closed' | 'overflow' | 'callback' | 'no-answer';
export type CallbackState = 'pending' | 'ringing-agent' | 'dialling-customer' | 'connected' | 'done' | 'retry' | 'failed';

export type AlarmSeverity = 'warning' | 'critical';

export type CallPhase = 'bot' | 'queued' | 'ringing-agent' | 'connected' | 'survey' | 'voicemail' | 'ended';
/** interrupted: the daemon died during the call; closed at the next start. */
export type CallOutcome = 'bot-resolved' | 'transferred' | 'abandoned' | 'voicemail' | 'callback' | 'failed' | 'rejected' | 'interrupted';
export type HandoffReason = 'requested' | 'no-match' | 'no-input' | 'vip' | 'emotion' | 'menu' | 'line' | 'fault';
export type AgentState = 'logged-out' | 'available' | 'ringing' | 'busy' | 'wrap-up' | 'paused' | 'unreachable';

export type EventName = keyof DomainEvents;

/** An event as it travels: its name, payload and when it happened. */
export interface Envelope<K extends EventName = EventName> {
  type: K;
  at: string; // ISO 8601 UTC
  /** Identity from birth: the report id on MQTT, whichever way (outbox or direct) it goes out. */
  id?: string;
  data: DomainEvents[K];
}
