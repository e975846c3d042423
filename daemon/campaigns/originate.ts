import { randomUUID } from 'node:crypto';
import type { Leg, Line } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { DomainEvents } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { answerOf, converse, legParty } from '../calls/converse.js';
import { DialRefused, type DialGate } from '../routing/dial-policy.js';
import { dialOut } from './dial-policy.js';

export interface OriginateRequest {
  target: string;
  /** Line to dial on; default: the first ready GSM or analog line not in a call. */
  line?: string;
  connect: 'bot' | 'agent';
  /** For connect: agent. */
  extension?: string;
  /** Who asked (for the record): "mqtt", "cli", "campaign:<id>". */
  by: string;
  ringTimeoutMs?: number;
}

export interface OriginateDeps {
  bus: Bus;
  log: Logger;
  config: () => Config;
  lines: { get(id: string): Line | undefined; all(): Line[]; sipEndpoint(): Line | undefined };
  /** Runs the bot flow on an answered leg (the call core). */
  runBot: (leg: Leg) => void;
  /** The dialing policy (the call core's gate: one per-line rate for callbacks, originate and campaigns). */
  dialGate: () => DialGate;
}

export type OriginateResult = DomainEvents['call.originated'];

/**
 * Dial a number on a chosen line and, once answered, hand the callee to the bot flow or bridge them
 * to an agent's desk phone. Every dial passes the dial policy first; a refused dial is recorded too.
 */
export class Originator {
  constructor(private readonly d: OriginateDeps) {}

  private report(r: OriginateResult): OriginateResult {
    this.d.log.info({ event: 'call.originated', ...r }, 'call.originated');
    this.d.bus.emit('call.originated', r);
    return r;
  }

  private pickLine(id?: string): Line {
    const free = (l: Line): boolean => l.kind !== 'sip' && l.health().state === 'ready' && !l.health().inCall;
    if (id) {
      const l = this.d.lines.get(id);
      if (!l) throw new Error(`no line ${id}`);
      if (l.kind === 'sip') throw new Error(`line ${id} is a SIP line; originate dials out on GSM or analog lines`);
      if (!free(l)) throw new Error(`line ${id} is not free (${l.health().state}${l.health().inCall ? ', in a call' : ''})`);
      return l;
    }
    const l = this.d.lines.all().find(free);
    if (!l) throw new Error('no free GSM or analog line');
    return l;
  }

  async originate(req: OriginateRequest): Promise<OriginateResult> {
    const id = `orig-${randomUUID().slice(0, 8)}`;
    const cfg = this.d.config();
    const base = { id, target: req.target, connect: req.connect, by: req.by, ...(req.extension ? { extension: req.extension } : {}) };
    const agent = req.connect === 'agent' ? (cfg.agents ?? []).find((a) => a.extension === req.extension) : undefined;
    if (req.connect === 'agent' && !agent) return this.report({ ...base, lineId: req.line ?? '', result: 'refused', detail: `no agent ${req.extension ?? '(none given)'}` });
    const line = this.pickLine(req.line);
    let leg: Leg;
    try {
      leg = await dialOut(this.d.dialGate(), line, req.target, { timeoutMs: req.ringTimeoutMs ?? 40_000 }, req.by.startsWith('campaign:') ? 'campaign' : 'originate');
    } catch (err) {
      if (err instanceof DialRefused) return this.report({ ...base, lineId: line.id, result: 'refused', detail: err.message });
      throw err;
    }
    const answered = await answerOf(leg);
    if (!answered) {
      const end = await endOf(leg);
      const result = end === 'busy' ? 'busy' : end === 'no-answer' || end === 'cancelled' ? 'no-answer' : 'failed';
      return this.report({ ...base, lineId: line.id, result, detail: end });
    }
    if (req.connect === 'bot') this.d.runBot(leg);
    else void this.bridgeToAgent(leg, agent!.contact ?? agent!.extension, id); // the bridge lives until a side hangs up; bridgeToAgent catches and logs
    return this.report({ ...base, lineId: line.id, result: 'answered' });
  }

  private async bridgeToAgent(customer: Leg, contact: string, id: string): Promise<void> {
    const sip = this.d.lines.sipEndpoint();
    let agentLeg: Leg | undefined;
    try {
      if (!sip) throw new Error('no SIP endpoint to reach desk phones');
      agentLeg = await sip.dial(contact, { displayName: `Call ${customer.remote.number ?? ''}`.trim(), headers: { 'X-Frontdesk-Originate': id } });
      const customerMedia = customer.media;
      if (!customerMedia) throw new Error('the answered customer leg has no audio');
      // The customer hanging up while the agent's phone rings ends the attempt too.
      const customerParty = legParty(customer, customerMedia);
      const up = await answerOf(agentLeg, { signal: customerParty.gone });
      if (!up || !agentLeg.media) return;
      await converse(customerParty, legParty(agentLeg, agentLeg.media)).ended;
    } catch (err) {
      this.d.log.error({ err, originate: id }, 'could not connect the agent');
    } finally {
      await Promise.allSettled([customer.hangup('normal'), agentLeg?.hangup('normal')]);
    }
  }
}

function endOf(leg: Leg): Promise<string> {
  return new Promise((resolve) => {
    if (leg.state === 'ended') return resolve(leg.end?.cause ?? 'failed');
    leg.once('ended', (e) => resolve(e.cause));
  });
}
