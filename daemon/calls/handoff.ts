import type { DialOptions, Leg } from '../../drivers/line.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { HandoffReason } from '../bus/events.js';
import type { AgentInfo, AgentPool } from '../routing/agents.js';
import { loopSource, ringbackCycle } from '../speech/player.js';
import type { BotSummary, Say } from '../bot/dialog.js';
import { Bridge } from './bridge.js';
import type { Call } from './call.js';
import type { Speaker } from './speak.js';

/** Places a call to an agent's desk phone. */
export type DialAgent = (agent: AgentInfo, options: DialOptions) => Promise<Leg>;

export interface HandoffDeps {
  config: () => Config;
  agents: AgentPool;
  dialAgent: DialAgent;
}

export interface HandoffRequest {
  queue?: string;
  reason: HandoffReason;
  summary: BotSummary;
  vip: boolean;
  /** The transfer announcement, played once the call is queued. */
  announce?: Say[];
}

export type HandoffResult = { kind: 'connected-and-ended'; by: 'caller' | 'agent' } | { kind: 'no-agent' } | { kind: 'caller-gone' };

/** What the agent's phone shows before answering: the caller and why they are calling. */
export function agentBriefing(call: Call, req: HandoffRequest): DialOptions {
  const caller = call.caller ?? 'unknown';
  const why = req.summary.intent ?? req.reason;
  const headers: Record<string, string> = {
    'X-Frontdesk-Call-Id': call.id,
    'X-Frontdesk-Caller': caller,
    'X-Frontdesk-Intent': why,
    'X-Frontdesk-Reason': req.reason,
    'X-Frontdesk-Menu-Path': req.summary.menuPath || '-',
    'X-Frontdesk-VIP': req.vip ? 'yes' : 'no',
  };
  for (const [slot, value] of Object.entries(req.summary.slots)) headers[`X-Frontdesk-Slot-${slot}`] = value;
  return { displayName: `${req.vip ? 'VIP ' : ''}${caller} ${why}`.slice(0, 64), callerNumber: caller, headers };
}

/**
 * Hand the caller to a person: ring the queue's available agents one after another (longest idle
 * first), ringback to the caller meanwhile; the first to answer is bridged to the caller until one
 * side hangs up. This is the first handoff; the contact-centre router will decide the order.
 */
export async function handOff(call: Call, speaker: Speaker, req: HandoffRequest, deps: HandoffDeps): Promise<HandoffResult> {
  const cfg = deps.config();
  const queue = cfg.queues?.find((q) => q.id === req.queue);
  const skill = queue?.skill ?? queue?.skills?.[0] ?? req.queue;
  const ringMs = durationOr(queue?.ring_timeout ?? cfg.bot.handoff?.ring_timeout, '20s');
  call.setPhase('queued', { queue: req.queue ?? null, reason: req.reason });
  if (req.announce?.length) await speaker.say(req.announce, call.gone.signal);

  const tried = new Set<string>();
  const briefing = agentBriefing(call, req);
  for (;;) {
    if (call.gone.signal.aborted) return { kind: 'caller-gone' };
    const agent = deps.agents.candidates(skill).find((a) => !tried.has(a.extension));
    if (!agent) return { kind: 'no-agent' };
    tried.add(agent.extension);
    const outcome = await ringAgent(call, speaker, agent, briefing, ringMs, deps);
    if (outcome === 'answered') break;
    if (outcome === 'caller-gone') return { kind: 'caller-gone' };
  }

  // Connected: caller and agent talk through the bridge until either hangs up.
  const agentLeg = call.agentLeg!;
  const ext = call.agentExt!;
  const bridge = new Bridge(call.customer.media!, agentLeg.media!);
  call.setPhase('connected', { agent: ext });
  const by = await new Promise<'caller' | 'agent'>((resolve) => {
    if (call.gone.signal.aborted) return resolve('caller');
    if (agentLeg.state === 'ended') return resolve('agent');
    call.gone.signal.addEventListener('abort', () => resolve('caller'), { once: true });
    agentLeg.once('ended', () => resolve('agent'));
  });
  bridge.close();
  deps.agents.release(ext);
  return { kind: 'connected-and-ended', by };
}

async function ringAgent(call: Call, speaker: Speaker, agent: AgentInfo, briefing: DialOptions, ringMs: number, deps: HandoffDeps): Promise<'answered' | 'no-answer' | 'failed' | 'caller-gone'> {
  deps.agents.set(agent.extension, 'ringing');
  call.setPhase('ringing-agent', { agent: agent.extension });
  call.emit('call.agent', { callId: call.id, extension: agent.extension, result: 'ringing' });
  const ringback = new AbortController();
  const onGone = (): void => ringback.abort();
  call.gone.signal.addEventListener('abort', onGone, { once: true });
  void speaker.play(loopSource(ringbackCycle()), ringback.signal);

  let leg: Leg | undefined;
  try {
    leg = await deps.dialAgent(agent, { ...briefing, timeoutMs: ringMs });
  } catch (err) {
    ringback.abort();
    call.gone.signal.removeEventListener('abort', onGone);
    deps.agents.set(agent.extension, 'available');
    call.emit('call.agent', { callId: call.id, extension: agent.extension, result: 'failed', detail: (err as Error).message });
    return call.gone.signal.aborted ? 'caller-gone' : 'failed';
  }
  const result = await new Promise<'answered' | 'no-answer' | 'busy' | 'failed' | 'caller-gone'>((resolve) => {
    const timer = setTimeout(() => resolve('no-answer'), ringMs);
    const finish = (r: 'answered' | 'no-answer' | 'busy' | 'failed' | 'caller-gone'): void => {
      clearTimeout(timer);
      resolve(r);
    };
    if (leg!.state === 'answered') return finish('answered');
    leg!.once('answered', () => finish('answered'));
    leg!.once('ended', (end) => finish(end.cause === 'busy' ? 'busy' : end.cause === 'no-answer' || end.cause === 'timeout' ? 'no-answer' : 'failed'));
    call.gone.signal.addEventListener('abort', () => finish('caller-gone'), { once: true });
  });
  ringback.abort();
  call.gone.signal.removeEventListener('abort', onGone);
  if (result === 'answered' && !call.gone.signal.aborted) {
    call.agentLeg = leg;
    call.agentExt = agent.extension;
    deps.agents.set(agent.extension, 'busy');
    call.emit('call.agent', { callId: call.id, extension: agent.extension, result: 'answered' });
    return 'answered';
  }
  await leg.hangup(result === 'caller-gone' ? 'cancelled' : 'no-answer').catch(() => undefined);
  deps.agents.set(agent.extension, 'available');
  if (result === 'caller-gone') return 'caller-gone';
  call.emit('call.agent', { callId: call.id, extension: agent.extension, result: result === 'answered' ? 'no-answer' : result });
  return result === 'busy' ? 'failed' : result === 'answered' ? 'no-answer' : result;
}
