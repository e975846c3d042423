import type { LineAlarm, LineHealth, Sms } from '../../drivers/line.js';

/**
 * Typed domain events. The call core, bot, router and line supervisor emit them; the store,
 * telemetry and console subscribe. Add a new event here, with its payload, before emitting it.
 * Payloads are plain JSON data (they are stored and published as they are).
 */
export interface DomainEvents {
  'call.offered': { callId: string; lineId: string; caller?: string; callerName?: string };
  'call.phase': { callId: string; phase: CallPhase; detail?: Record<string, unknown> };
  /** slots: what the bot captured (slot → value), when anything; menuPath: the keys pressed in the bot, ">"-joined. */
  'call.ended': { callId: string; outcome: CallOutcome; hungUpBy: 'caller' | 'agent' | 'system'; cause?: string; slots?: Record<string, string>; menuPath?: string };
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
}

export type QueueExitReason = 'timeout' | 'empty' | 'full' | 'closed' | 'overflow' | 'callback' | 'no-answer';
export type CallbackState = 'pending' | 'ringing-agent' | 'dialling-customer' | 'connected' | 'done' | 'retry' | 'failed';

export type AlarmSeverity = 'warning' | 'critical';

export type CallPhase = 'bot' | 'queued' | 'ringing-agent' | 'connected' | 'survey' | 'voicemail' | 'ended';
export type CallOutcome = 'bot-resolved' | 'transferred' | 'abandoned' | 'voicemail' | 'callback' | 'failed' | 'rejected';
export type HandoffReason = 'requested' | 'no-match' | 'no-input' | 'vip' | 'emotion' | 'menu' | 'line';
export type AgentState = 'logged-out' | 'available' | 'ringing' | 'busy' | 'wrap-up' | 'paused' | 'unreachable';

export type EventName = keyof DomainEvents;

/** An event as it travels: its name, payload and when it happened. */
export interface Envelope<K extends EventName = EventName> {
  type: K;
  at: string; // ISO 8601 UTC
  data: DomainEvents[K];
}
