import type { LineAlarm, LineHealth, Sms } from '../../drivers/line.js';

/**
 * Typed domain events. The call core, bot, router and line supervisor emit them; the store,
 * telemetry and console subscribe. Add a new event here, with its payload, before emitting it.
 * Payloads are plain JSON data (they are stored and published as they are).
 */
export interface DomainEvents {
  'call.offered': { callId: string; lineId: string; caller?: string; callerName?: string };
  'call.phase': { callId: string; phase: CallPhase; detail?: Record<string, unknown> };
  'call.ended': { callId: string; outcome: CallOutcome; hungUpBy: 'caller' | 'agent' | 'system'; cause?: string };
  'call.agent': { callId: string; extension: string; result: 'ringing' | 'answered' | 'no-answer' | 'busy' | 'failed'; detail?: string };
  'voicemail.recorded': { callId: string; caller?: string; path: string; durationMs: number; id: string };
  'bot.turn': { callId: string; input: { kind: 'dtmf' | 'speech' | 'timeout'; value: string }; intent?: string; say?: string };
  'handoff.requested': { callId: string; reason: HandoffReason; queue?: string; detail?: string };
  'agent.state': { extension: string; state: AgentState; reason?: string };
  'line.health': LineHealth;
  'line.alarm': LineAlarm;
  'sms.received': Sms;
  'alarm': { code: string; active: boolean; message: string; source?: string; severity?: AlarmSeverity };
  'system.reload': { ok: boolean; errors?: string[]; configHash?: string };
  /** A caller's post-call survey answer (CSAT): score on a 1..scale scale (default 5). */
  'survey.answered': { callId: string; score: number; scale?: number };
}

export type AlarmSeverity = 'warning' | 'critical';

export type CallPhase = 'bot' | 'queued' | 'ringing-agent' | 'connected' | 'survey' | 'voicemail' | 'ended';
export type CallOutcome = 'bot-resolved' | 'transferred' | 'abandoned' | 'voicemail' | 'failed';
export type HandoffReason = 'requested' | 'no-match' | 'no-input' | 'vip' | 'emotion' | 'menu';
export type AgentState = 'logged-out' | 'available' | 'ringing' | 'busy' | 'wrap-up' | 'paused';

export type EventName = keyof DomainEvents;

/** An event as it travels: its name, payload and when it happened. */
export interface Envelope<K extends EventName = EventName> {
  type: K;
  at: string; // ISO 8601 UTC
  data: DomainEvents[K];
}
