import type { DialOptions, Leg } from '../../drivers/line.js';
import type { MediaPort } from '../../drivers/media/port.js';
import { whisperText } from './whisper.js';
import type { Config } from '../config/schema.js';
import { durationMs, durationOr } from '../config/duration.js';
import type { HandoffReason } from '../bus/events.js';
import type { AgentPool } from '../routing/agents.js';
import type { DialAgent, Router, TicketResult } from '../routing/router.js';
import type { CustomerInfo } from '../routing/customers.js';
import type { BotSummary, Say } from '../bot/dialog.js';
import { join } from 'node:path';
import { Bridge } from './bridge.js';
import { CallRecording } from './call-recording.js';
import { DEFAULT_DATA_DIR } from '../config/paths.js';
import type { Call, TransferTarget } from './call.js';
import type { CallerDigits } from './digits.js';
import type { Speaker } from './speak.js';
import { defaultHoldMusic, offersCallback, playWhileWaiting, waitTexts } from './waiting.js';
import { loopSource } from '../speech/player.js';

export type { DialAgent } from '../routing/router.js';

/** Asks for a callback; resolves once it is stored durably. */
export type CallbackRequester = (r: { callId: string; number: string; queue: string; lineId: string; since: number }) => Promise<void>;

export interface HandoffDeps {
  config: () => Config;
  agents: AgentPool;
  router: Router;
  /** What the store knows of the caller: VIP tag, last call, last agent. */
  customers?: (caller: string, callId: string) => Promise<CustomerInfo>;
  callbacks?: CallbackRequester;
  /** Say a text to the agent alone (bot.handoff.tell_agent: whisper) before the caller is put through. */
  whisper?: (agentMedia: MediaPort, text: string, signal: AbortSignal) => Promise<unknown>;
}

export interface HandoffRequest {
  queue?: string;
  reason: HandoffReason;
  summary: BotSummary;
  vip: boolean;
  /** The transfer announcement, played once the call is queued. */
  announce?: Say[];
  /** The caller's keys (press 1 for a callback while waiting). */
  digits?: CallerDigits;
  /** Ring this agent first (a transfer to them), as the sticky agent is. */
  preferAgent?: string;
}

export type HandoffResult =
  | { kind: 'connected-and-ended'; by: 'caller' | 'agent' }
  | { kind: 'no-agent' }
  | { kind: 'caller-gone' }
  /** The caller will be called back; the call can end. */
  | { kind: 'callback' }
  /** The agent moved the caller to another queue or agent: hand off again. */
  | { kind: 'transfer'; target: TransferTarget };

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
 * Hand the caller to a person through the router: join the queue (with VIP, repeat-caller and
 * sticky-agent information from the store), hear the announcement, position and hold music while
 * the router rings agents, press 1 for a callback if the queue offers it; then talk to the agent
 * who answered through the bridge until one side hangs up. Leaving the queue without an agent
 * (max wait, nobody logged in, full, closed, nobody answered) ends in the queue's on_max_wait:
 * a callback when we know the caller's number, else 'no-agent' (the runner apologises and takes a
 * voicemail).
 */
export async function handOff(call: Call, speaker: Speaker, req: HandoffRequest, deps: HandoffDeps): Promise<HandoffResult> {
  const cfg = deps.config();
  const queueId = req.queue ?? cfg.bot.handoff?.default_queue ?? cfg.queues?.[0]?.id ?? 'default';
  call.setPhase('queued', { queue: queueId, reason: req.reason });
  const signal = call.gone.signal;

  const info = call.caller && deps.customers ? await deps.customers(call.caller, call.id).catch(() => undefined) : undefined;
  if (signal.aborted) return { kind: 'caller-gone' };
  const now = Date.now();
  const vip = req.vip || Boolean(info?.vip);
  if (vip) call.vip = true;
  const repeatWithin = cfg.priority?.repeat_caller_within;
  const repeat = Boolean(repeatWithin && info?.previousCallAt !== undefined && now - info.previousCallAt <= durationMs(repeatWithin));
  const q = deps.router.queueConfig(queueId);
  const sticky = req.preferAgent ? { extension: req.preferAgent, waitMs: durationOr(q.ring_timeout, '20s') } : q.sticky_agent && info?.lastAgent && now - info.lastAgent.at <= durationMs(q.sticky_agent.within) ? { extension: info.lastAgent.extension, waitMs: durationOr(q.sticky_agent.wait_for_them, '20s') } : undefined;

  const ticket = deps.router.enter({
    kind: 'call',
    callId: call.id,
    ...(call.caller ? { caller: call.caller } : {}),
    queue: queueId,
    vip,
    repeat,
    ...(sticky ? { sticky } : {}),
    briefing: agentBriefing(call, { ...req, vip }),
    signal,
    onRing: (ext) => {
      call.setPhase('ringing-agent', { agent: ext });
      call.emit('call.agent', { callId: call.id, extension: ext, result: 'ringing' });
    },
    onRingResult: (ext, result, detail) => call.emit('call.agent', { callId: call.id, extension: ext, result, ...(detail ? { detail } : {}) }),
  });

  // While waiting: announcements and hold music; "1" asks for a callback where the queue offers it.
  const waiting = new AbortController();
  const stopWaiting = (): void => waiting.abort();
  signal.addEventListener('abort', stopWaiting, { once: true });
  req.digits?.clear();
  let pressedOne!: () => void;
  const callbackPressed = new Promise<'callback'>((resolve) => (pressedOne = () => resolve('callback')));
  const offDigit = req.digits?.onDigit((d) => {
    if (d === '1' && !ticket.done && offersCallback(deps.router.queueConfig(ticket.queue), call.caller) && deps.callbacks) pressedOne();
  });
  const audio = playWhileWaiting(call, speaker, ticket, { config: deps.config, ...(req.announce ? { first: req.announce } : {}), signal: waiting.signal });
  let r: TicketResult | 'callback';
  try {
    r = await Promise.race([ticket.result, callbackPressed]);
    if (r === 'callback') {
      if (ticket.done) r = await ticket.result; // an agent won the race with the key press
      else ticket.leaveForCallback();
    }
  } finally {
    offDigit?.();
    waiting.abort();
    signal.removeEventListener('abort', stopWaiting);
    // Not awaited: a prompt still being synthesised must not delay the bridge; once aborted it never plays.
    void audio.catch(() => undefined);
    speaker.stop();
  }
  const texts = waitTexts(cfg);

  if (r === 'callback') {
    await requestCallback(call, ticket.queue, ticket.since, deps);
    await speaker.say([{ text: texts.callbackOk }], signal);
    return { kind: 'callback' };
  }
  if (r.kind === 'gone') return { kind: 'caller-gone' };
  if (r.kind === 'exit') {
    const exitQueue = deps.router.queueConfig(r.queue);
    if (exitQueue.on_max_wait === 'callback' && call.caller && deps.callbacks && !signal.aborted) {
      await requestCallback(call, r.queue, ticket.since, deps);
      await speaker.say([{ text: texts.callbackAtMax }], signal);
      return { kind: 'callback' };
    }
    return signal.aborted ? { kind: 'caller-gone' } : { kind: 'no-agent' };
  }

  return talk(call, r.leg, r.extension, { ...req, queue: r.queue }, deps);
}

/**
 * Ring one extension for the caller (lines[].answer: extension:<ext>): the announcement, then the
 * desk phone rings for bot.handoff.ring_timeout with the usual briefing; answered, the two talk
 * through the bridge. Not answered, busy or unreachable: 'no-agent' (the runner takes a voicemail).
 */
export async function ringExtension(call: Call, speaker: Speaker, extension: string, req: HandoffRequest, deps: HandoffDeps & { dialAgent: DialAgent }): Promise<HandoffResult> {
  const cfg = deps.config();
  const signal = call.gone.signal;
  const agent = deps.agents.get(extension) ?? { extension };
  call.setPhase('ringing-agent', { agent: extension });
  call.emit('call.agent', { callId: call.id, extension, result: 'ringing' });
  const ringMs = durationOr(cfg.bot.handoff?.ring_timeout, '20s');
  deps.agents.startRing(extension);
  let result: 'answered' | 'no-answer' | 'busy' | 'failed' | 'cancelled' = 'failed';
  let leg: Leg | undefined;
  // The announcement, then the hold chime while the phone rings.
  const waiting = new AbortController();
  const stopWaiting = (): void => waiting.abort();
  signal.addEventListener('abort', stopWaiting, { once: true });
  const audio = (async () => {
    if (req.announce?.length) await speaker.say(req.announce, waiting.signal);
    await speaker.play(loopSource(defaultHoldMusic()), waiting.signal);
  })();
  try {
    leg = await deps.dialAgent(agent, { ...agentBriefing(call, req), timeoutMs: ringMs });
    const l = leg;
    result = await new Promise((resolve) => {
      const done = (r: typeof result): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', gone);
        resolve(r);
      };
      const gone = (): void => done('cancelled');
      const timer = setTimeout(() => done('no-answer'), ringMs);
      if (l.state === 'answered') return done('answered');
      if (l.state === 'ended') return done('failed');
      l.once('answered', () => done('answered'));
      l.once('ended', (e) => done(e.cause === 'busy' ? 'busy' : e.cause === 'no-answer' ? 'no-answer' : e.cause === 'cancelled' ? 'cancelled' : 'failed'));
      signal.addEventListener('abort', gone, { once: true });
    });
  } catch (err) {
    call.log.warn({ err, extension }, 'could not ring the extension');
  }
  waiting.abort();
  signal.removeEventListener('abort', stopWaiting);
  await audio.catch(() => undefined);
  speaker.stop();
  deps.agents.endRing(extension, result);
  if (result !== 'answered' || !leg) {
    await leg?.hangup(result === 'cancelled' ? 'cancelled' : 'no-answer').catch(() => undefined);
    if (result !== 'cancelled') call.emit('call.agent', { callId: call.id, extension, result });
    return signal.aborted ? { kind: 'caller-gone' } : { kind: 'no-agent' };
  }
  return talk(call, leg, extension, req, deps);
}

/** The agent answered: whisper if configured, then caller and agent talk through the bridge until either hangs up. */
async function talk(call: Call, agentLeg: Leg, ext: string, req: HandoffRequest, deps: HandoffDeps): Promise<HandoffResult> {
  const cfg = deps.config();
  const signal = call.gone.signal;
  call.agentLeg = agentLeg;
  call.agentExt = ext;
  call.emit('call.agent', { callId: call.id, extension: ext, result: 'answered' });
  if (signal.aborted || !call.customer.media || !agentLeg.media) {
    await agentLeg.hangup('normal').catch(() => undefined);
    deps.agents.callEnded(ext, 0);
    return { kind: 'caller-gone' };
  }
  if (cfg.bot.handoff?.tell_agent === 'whisper' && deps.whisper) {
    // The agent hears who is calling and why; the caller keeps hearing the line until put through.
    const text = whisperText(call.caller, req, cfg.bot.language ?? cfg.language ?? 'zh-CN');
    call.log.info({ agent: ext, text }, 'whisper to the agent');
    await deps.whisper(agentLeg.media, text, signal).catch((err: unknown) => call.log.warn({ err }, 'whisper failed'));
    if (signal.aborted || agentLeg.state === 'ended') {
      await agentLeg.hangup('normal').catch(() => undefined);
      deps.agents.callEnded(ext, 0);
      return signal.aborted ? { kind: 'caller-gone' } : { kind: 'connected-and-ended', by: 'agent' };
    }
  }
  const bridge = new Bridge(call.customer.media, agentLeg.media);
  call.bridge = bridge;
  call.setPhase('connected', { agent: ext });
  const recording = await startRecording(call, bridge, deps);
  const offHold = watchHold(call, agentLeg, 'agent');
  const talkFrom = Date.now();
  let transfer: TransferTarget | undefined;
  const by = await new Promise<'caller' | 'agent' | 'transfer'>((resolve) => {
    if (signal.aborted) return resolve('caller');
    if (agentLeg.state === 'ended') return resolve('agent');
    signal.addEventListener('abort', () => resolve('caller'), { once: true });
    agentLeg.once('ended', () => resolve('agent'));
    void call.transferRequested().then((t) => ((transfer = t), resolve('transfer')));
  });
  bridge.close();
  call.bridge = undefined;
  offHold();
  if (by !== 'agent') await agentLeg.hangup(by === 'transfer' ? 'transferred' : 'normal').catch(() => undefined);
  deps.agents.callEnded(ext, Date.now() - talkFrom);
  if (recording) {
    try {
      const r = await recording.stop();
      call.emit('call.recorded', { callId: call.id, path: r.path, durationMs: r.durationMs });
    } catch (err) {
      call.log.error({ err }, 'call recording could not be finished');
    }
  }
  if (by === 'transfer' && transfer && !signal.aborted) {
    call.agentLeg = undefined;
    return { kind: 'transfer', target: transfer };
  }
  return { kind: 'connected-and-ended', by: by === 'transfer' ? 'agent' : by };
}

/** Record the conversation when storage.record_calls is on; a failure never touches the call. */
async function startRecording(call: Call, bridge: Bridge, deps: HandoffDeps): Promise<CallRecording | undefined> {
  const storage = deps.config().storage;
  if (!storage?.record_calls) return undefined;
  try {
    const dir = join(storage.dir ?? DEFAULT_DATA_DIR, 'recordings');
    return await CallRecording.start(join(dir, `${call.id}.wav`), bridge, storage.record_mixed ? { mixedPath: join(dir, `${call.id}.mixed.wav`) } : {});
  } catch (err) {
    call.log.error({ err }, 'call recording could not start; the call goes on unrecorded');
    return undefined;
  }
}

/** Report a SIP party's hold and resume as call.hold events (quality inspection counts them). */
function watchHold(call: Call, leg: Leg, by: 'agent' | 'caller'): () => void {
  const on = (held: boolean): void => call.emit('call.hold', { callId: call.id, held, by });
  leg.on('hold', on);
  return () => void leg.off('hold', on);
}

async function requestCallback(call: Call, queue: string, since: number, deps: HandoffDeps): Promise<void> {
  await deps.callbacks!({ callId: call.id, number: call.caller!, queue, lineId: call.customer.lineId, since });
}
