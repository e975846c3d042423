import type { Envelope } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import type { Db } from '../store/db.js';
import { RetainedState, type AgentPayload, type LinePayload } from '../telemetry/state.js';

/**
 * What the console shows live, kept from bus events only (the same events MQTT gets), so a page
 * never makes the console query the call path. Seeded at start from the store (lines, agents,
 * alarms) like the retained MQTT topics.
 */

export interface LiveCall {
  callId: string;
  lineId: string;
  caller?: string;
  callerName?: string;
  offeredAt: string;
  phase: string;
  queue?: string;
  /** Set while the caller waits in a queue. */
  waitingSince?: string;
  reason?: string;
  intent?: string;
  menuPath?: string;
  slots: Record<string, string>;
  vip: boolean;
  ringing: string[];
  agent?: string;
  connectedAt?: string;
  turns: { at: string; input: string; intent?: string; say?: string }[];
  utterances: { at: string; text?: string; emotion?: { label: string; score: number } }[];
  emotion?: { label: string; score: number };
  /** Knowledge-base entries matching what the caller said or chose (kb.suggested at handoff), best first. */
  suggestions?: { id: string; title: string; answer: string; score: number }[];
}

export interface Alarm {
  code: string;
  source: string;
  severity: string;
  message: string;
  since: string;
}

const MAX_TURNS = 40;

export class LiveState {
  readonly retained = new RetainedState();
  readonly calls = new Map<string, LiveCall>();
  readonly alarms = new Map<string, Alarm>();

  async seed(config: Config, db: Pick<Db, 'all'>): Promise<void> {
    await this.retained.seed(config, db);
    const rows = await db.all<{ code: string; source: string; severity: string; message: string; raised_at: string }>('SELECT code, source, severity, message, raised_at FROM alarms WHERE active = 1');
    this.alarms.clear();
    for (const r of rows) this.alarms.set(`${r.code}|${r.source}`, { code: r.code, source: r.source, severity: r.severity, message: r.message, since: r.raised_at });
  }

  /** Apply one event; returns the call it concerned, if any. */
  apply(ev: Envelope): LiveCall | undefined {
    switch (ev.type) {
      case 'line.health': {
        const d = ev.data as Envelope<'line.health'>['data'];
        this.retained.onLineHealth(d, ev.at);
        return undefined;
      }
      case 'agent.state': {
        const d = ev.data as Envelope<'agent.state'>['data'];
        this.retained.onAgentState(d.extension, d.state, d.reason, ev.at);
        return undefined;
      }
      case 'alarm': {
        const d = ev.data as Envelope<'alarm'>['data'];
        this.noteAlarm(d.code, d.source ?? '', d.active, d.severity ?? 'warning', d.message, ev.at);
        return undefined;
      }
      case 'line.alarm': {
        // A line's alarms (SIM missing, modem reset, line down) come as their own event; the store keeps them as warnings.
        const d = ev.data as Envelope<'line.alarm'>['data'];
        this.noteAlarm(d.code, d.lineId, d.active, 'warning', d.message, ev.at);
        return undefined;
      }
      case 'call.offered': {
        const d = ev.data as Envelope<'call.offered'>['data'];
        const c: LiveCall = { callId: d.callId, lineId: d.lineId, offeredAt: ev.at, phase: 'bot', slots: {}, vip: false, ringing: [], turns: [], utterances: [], ...(d.caller ? { caller: d.caller } : {}), ...(d.callerName ? { callerName: d.callerName } : {}) };
        this.calls.set(d.callId, c);
        return c;
      }
    }
    const callId = (ev.data as { callId?: unknown }).callId;
    const c = typeof callId === 'string' ? this.calls.get(callId) : undefined;
    if (!c) return undefined;
    switch (ev.type) {
      case 'call.phase':
        c.phase = (ev.data as Envelope<'call.phase'>['data']).phase;
        break;
      case 'call.ended':
        this.calls.delete(c.callId);
        c.phase = 'ended';
        c.ringing = [];
        delete c.waitingSince;
        break;
      case 'handoff.requested': {
        const d = ev.data as Envelope<'handoff.requested'>['data'];
        c.reason = d.reason;
        if (d.detail) c.intent = d.detail;
        if (d.queue) c.queue = d.queue;
        if (d.menuPath) c.menuPath = d.menuPath;
        if (d.slots) c.slots = { ...d.slots };
        if (d.reason === 'vip') c.vip = true;
        break;
      }
      case 'queue.enter': {
        const d = ev.data as Envelope<'queue.enter'>['data'];
        c.queue = d.queue;
        c.waitingSince ??= ev.at;
        if (d.priority.includes('vip')) c.vip = true;
        break;
      }
      case 'queue.connect':
      case 'queue.abandon':
        delete c.waitingSince;
        break;
      case 'queue.exit': {
        const d = ev.data as Envelope<'queue.exit'>['data'];
        // Overflow keeps the caller waiting, in another queue.
        if (d.reason === 'overflow' && d.to) c.queue = d.to;
        else delete c.waitingSince;
        break;
      }
      case 'call.agent': {
        const d = ev.data as Envelope<'call.agent'>['data'];
        c.ringing = c.ringing.filter((e) => e !== d.extension);
        if (d.result === 'ringing') c.ringing.push(d.extension);
        if (d.result === 'answered') {
          c.agent = d.extension;
          c.connectedAt = ev.at;
          c.ringing = [];
        }
        break;
      }
      case 'bot.turn': {
        const d = ev.data as Envelope<'bot.turn'>['data'];
        c.turns.push({ at: ev.at, input: `${d.input.kind}:${d.input.value}`, ...(d.intent ? { intent: d.intent } : {}), ...(d.say ? { say: d.say } : {}) });
        if (c.turns.length > MAX_TURNS) c.turns.shift();
        break;
      }
      case 'kb.suggested':
        c.suggestions = (ev.data as Envelope<'kb.suggested'>['data']).entries;
        break;
      case 'speech.utterance': {
        const d = ev.data as Envelope<'speech.utterance'>['data'];
        const emotion = d.emotion ? { label: d.emotion.label, score: d.emotion.score } : undefined;
        c.utterances.push({ at: ev.at, ...(d.text ? { text: d.text } : {}), ...(emotion ? { emotion } : {}) });
        if (c.utterances.length > MAX_TURNS) c.utterances.shift();
        if (emotion) c.emotion = emotion;
        break;
      }
    }
    return c;
  }

  private noteAlarm(code: string, source: string, active: boolean, severity: string, message: string, at: string): void {
    const key = `${code}|${source}`;
    if (active) this.alarms.set(key, { code, source, severity, message, since: this.alarms.get(key)?.since ?? at });
    else this.alarms.delete(key);
  }

  lines(): LinePayload[] {
    return [...this.retained.lines.values()];
  }

  agents(): (AgentPayload & { callId?: string; caller?: string })[] {
    const onCall = new Map<string, LiveCall>();
    for (const c of this.calls.values()) {
      if (c.agent) onCall.set(c.agent, c);
      for (const e of c.ringing) if (!onCall.has(e)) onCall.set(e, c);
    }
    return [...this.retained.agents.values()].map((a) => {
      const c = onCall.get(a.extension);
      return { ...a, ...(c ? { callId: c.callId, ...(c.caller ? { caller: c.caller } : {}) } : {}) };
    });
  }

  /** The call an agent is ringing for or talking on. */
  callOf(extension: string): LiveCall | undefined {
    let ringing: LiveCall | undefined;
    for (const c of this.calls.values()) {
      if (c.agent === extension) return c;
      if (c.ringing.includes(extension)) ringing = c;
    }
    return ringing;
  }
}
