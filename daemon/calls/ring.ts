import type { DialOptions, Leg } from '../../drivers/line.js';
import type { QueueExitReason } from '../bus/events.js';
import type { Logger } from '../log.js';
import type { RingResult } from '../routing/agents.js';
import type { AgentTarget, Announcement, OverflowReason, RingEnd, Ticket } from '../routing/router.js';

/** Places a call to an agent's desk phone (the SIP endpoint, or a browser phone). */
export type DialAgent = (agent: AgentTarget, options: DialOptions) => Promise<Leg>;

export interface Rung {
  result: RingResult;
  /** The answered leg (result 'answered' only). */
  leg?: Leg;
  /** The protocol's reason when the phone refused or failed (e.g. "407 Proxy Authentication Required"). */
  detail?: string;
}

/**
 * Ring one phone for up to `timeoutMs`: answered, busy, no answer, failed, or cancelled once `stop`
 * aborts. An answered phone is kept only if `claim()` agrees (the first of several to answer);
 * otherwise, and for every other outcome, its leg is hung up here.
 */
export async function ringPhone(dial: () => Promise<Leg>, timeoutMs: number, stop: AbortSignal, claim: (leg: Leg) => boolean, log: Logger): Promise<Rung> {
  let leg: Leg;
  try {
    leg = await dial();
  } catch (err) {
    log.warn({ err }, 'could not ring the agent');
    return { result: stop.aborted ? 'cancelled' : 'failed', detail: (err as Error).message };
  }
  let detail: string | undefined;
  const result = await new Promise<RingResult>((resolve) => {
    const finish = (r: RingResult): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      resolve(r);
    };
    const timer = setTimeout(() => finish('no-answer'), timeoutMs);
    const onStop = (): void => finish('cancelled');
    // Stop listening before claiming: a claim may abort `stop` for the other phones.
    const answered = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      resolve(claim(leg) ? 'answered' : 'cancelled');
    };
    if (leg.state === 'answered') return answered();
    if (leg.state === 'ended') return finish('failed');
    if (stop.aborted) return finish('cancelled');
    leg.once('answered', answered);
    leg.once('ended', (end) => {
      detail = end.detail;
      finish(end.cause === 'busy' ? 'busy' : end.cause === 'no-answer' ? 'no-answer' : end.cause === 'cancelled' ? 'cancelled' : 'failed');
    });
    stop.addEventListener('abort', onStop, { once: true });
  });
  if (result === 'answered') return { result, leg };
  await leg.hangup(result === 'cancelled' ? 'cancelled' : 'no-answer').catch(() => undefined); // this ring is over either way; the leg reports its own end
  return { result, ...(detail ? { detail } : {}) };
}

/** What following the router's decisions came to: an agent on the line, or the router's final word. */
export type Served =
  | { kind: 'agent'; extension: string; leg: Leg; waitMs: number; queue: string }
  | { kind: 'exit'; reason: QueueExitReason; queue: string; then: 'callback' | 'voicemail' }
  | { kind: 'gone' };

/** Who plays to a waiting caller what the router decides to tell them (calls/waiting.ts). */
export interface WaitingCaller {
  /** Say this announcement when the caller can hear it; report it on the ticket once said or dropped. */
  announce(a: Announcement): void;
  /** A phone rings for the caller now: an announcement not yet begun is dropped. */
  ringing(): void;
  /** The caller now waits in queue `to` (overflow). */
  moved(to: string, from: string, reason: OverflowReason): void;
}

export interface ServeOptions {
  dialAgent: DialAgent;
  /** The caller on the line (absent for a callback: nobody to tell). */
  waiting?: WaitingCaller;
  /** What the agent's phone shows (caller, why they call). */
  briefing: DialOptions;
  log: Logger;
  onRing?(extension: string): void;
  onRingResult?(extension: string, result: Exclude<RingEnd, 'cancelled'>, detail?: string): void;
}

/**
 * The call core's side of a queue ticket: does what the router decides — rings the agents it names
 * (reporting each phone's result back) — until its final decision, and hands over the answered leg.
 */
export async function serveTicket(ticket: Ticket, o: ServeOptions): Promise<Served> {
  // Ends every ring still going once the router has decided.
  const settled = new AbortController();
  const legs = new Map<string, Leg>();
  const ring = async (id: number, agent: AgentTarget, timeoutMs: number): Promise<void> => {
    o.onRing?.(agent.extension);
    const claim = (leg: Leg): boolean => {
      legs.set(agent.extension, leg);
      if (ticket.answered(id, agent.extension)) return true;
      legs.delete(agent.extension);
      return false;
    };
    const r = await ringPhone(() => o.dialAgent(agent, { ...o.briefing, timeoutMs }), timeoutMs, settled.signal, claim, o.log.child({ extension: agent.extension }));
    if (r.result === 'answered') return;
    ticket.ringEnded(id, agent.extension, r.result, r.detail);
    if (r.result !== 'cancelled') o.onRingResult?.(agent.extension, r.result, r.detail);
  };
  try {
    for (;;) {
      const d = await ticket.next();
      if (d.kind === 'ring') {
        o.waiting?.ringing();
        // Each phone rings on its own; each reports its result on the ticket, and a fault is counted there too.
        for (const a of d.agents) void ring(d.ring, a, d.timeoutMs).catch((err: unknown) => o.log.error({ err }, 'ringing an agent failed'));
        continue;
      }
      if (d.kind === 'announce') {
        if (o.waiting) o.waiting.announce(d);
        else ticket.announced(d.id);
        continue;
      }
      if (d.kind === 'overflow') {
        o.waiting?.moved(d.to, d.from, d.reason);
        continue;
      }
      if (d.kind !== 'connect') return d;
      const leg = legs.get(d.extension);
      if (!leg) throw new Error(`router connected ${d.extension} but no answered leg is held`);
      return { kind: 'agent', extension: d.extension, leg, waitMs: d.waitMs, queue: d.queue };
    }
  } finally {
    settled.abort();
  }
}
