import type { DialOptions, Leg } from '../../drivers/line.js';
import type { MediaPort } from '../../drivers/media/port.js';
import { whisperText } from './whisper.js';
import type { Config } from '../config/schema.js';
import { durationMs, durationOr } from '../config/duration.js';
import type { HandoffReason } from '../bus/events.js';
import type { AgentPool } from '../routing/agents.js';
import type { Router } from '../routing/router.js';
import type { CustomerInfo } from '../routing/customers.js';
import type { BotSummary, Say } from '../bot/dialog.js';
import { join } from 'node:path';
import type { Bridge } from './bridge.js';
import { CallRecording } from './call-recording.js';
import { recordingsDir } from '../config/paths.js';
import type { Call, TransferTarget } from './call.js';
import type { CallerDigits } from './digits.js';
import type { Speaker } from './speak.js';
import { defaultHoldMusic, waitTexts, WaitingAudio } from './waiting.js';
import { loopSource } from '../speech/player.js';
import { callLanguage } from '../config/locale.js';
import { ringPhone, serveTicket, type DialAgent, type Served } from './ring.js';
import { converse, legParty } from './converse.js';

export type { DialAgent } from './ring.js';

/** Callbacks as the call core sees them: whether a number can be called back, and asking for one. */
export interface CallbackDesk {
  /** False for a number the dialing policy would refuse (the router never offers such a caller one). */
  accepts(number: string): boolean;
  /** Asks for a callback; resolves once it is handed to the store. */
  request(r: { callId: string; number: string; queue: string; lineId: string; since: number }): Promise<unknown>;
}

export interface HandoffDeps {
  config: () => Config;
  agents: AgentPool;
  router: Router;
  dialAgent: DialAgent;
  /** What the store knows of the caller: VIP tag, last call, last agent. */
  customers?: (caller: string, callId: string) => Promise<CustomerInfo>;
  callbacks?: CallbackDesk;
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
  /** The call's language: what the caller is told while waiting. */
  language: string;
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
 * sticky-agent information from the store) and do what the router decides — ring the agents it
 * names, say the announcements it decides (with hold music in between), follow an overflow, accept
 * "1" for a callback when it offers one; then talk to the agent who answered until one side hangs
 * up. Leaving the queue without an agent (max wait, nobody logged in, full, closed, nobody answered)
 * ends as the router says: a callback, or 'no-agent' (the runner apologises and takes a voicemail).
 */
export async function handOff(call: Call, speaker: Speaker, req: HandoffRequest, deps: HandoffDeps): Promise<HandoffResult> {
  const cfg = deps.config();
  const queueId = req.queue ?? cfg.bot.handoff?.default_queue ?? cfg.queues?.[0]?.id ?? 'default';
  call.setPhase('queued', { queue: queueId, reason: req.reason });
  const signal = call.gone.signal;

  const info = call.caller && deps.customers ? await deps.customers(call.caller, call.id).catch((err: unknown) => void call.log.warn({ err }, 'customer record unavailable; handing off without it')) : undefined;
  if (signal.aborted) return { kind: 'caller-gone' };
  const now = Date.now();
  const vip = req.vip || Boolean(info?.vip);
  if (vip) call.vip = true;
  const repeatWithin = cfg.priority?.repeat_caller_within;
  const repeat = Boolean(repeatWithin && info?.previousCallAt !== undefined && now - info.previousCallAt <= durationMs(repeatWithin));
  const sticky = deps.router.stickyFor(queueId, { ...(req.preferAgent ? { preferAgent: req.preferAgent } : {}), ...(info?.lastAgent ? { lastAgent: info.lastAgent } : {}) }, now);

  const ticket = deps.router.enter({
    kind: 'call',
    callId: call.id,
    ...(call.caller ? { caller: call.caller } : {}),
    queue: queueId,
    vip,
    repeat,
    ...(sticky ? { sticky } : {}),
    signal,
  });
  // While waiting: what the router decides to tell the caller, hold music in between.
  const waiting = new AbortController();
  const stopWaiting = (): void => waiting.abort();
  signal.addEventListener('abort', stopWaiting, { once: true });
  const texts = waitTexts(req.language);
  const audio = new WaitingAudio(call, speaker, { config: deps.config, queue: queueId, texts, signal: waiting.signal, announced: (id) => ticket.announced(id), ...(req.announce ? { first: req.announce } : {}) });
  const served = serveTicket(ticket, {
    dialAgent: deps.dialAgent,
    briefing: agentBriefing(call, { ...req, vip }),
    log: call.log,
    waiting: {
      announce: (a) => audio.announce(a),
      ringing: () => audio.ringing(),
      moved: (to, from, reason) => {
        call.setPhase('queued', { queue: to, reason: 'overflow', from, why: reason });
        audio.moved(to);
      },
    },
    onRing: (ext) => {
      call.setPhase('ringing-agent', { agent: ext });
      call.emit('call.agent', { callId: call.id, extension: ext, result: 'ringing' });
    },
    onRingResult: (ext, result, detail) => call.emit('call.agent', { callId: call.id, extension: ext, result, ...(detail ? { detail } : {}) }),
  });
  // "1" asks for a callback; the router decides whether it offers one (and whether the key came in time).
  req.digits?.clear();
  const offDigit = req.digits?.onDigit((d) => {
    if (d === '1') ticket.leaveForCallback();
  });
  // Not awaited: it ends when `waiting` aborts, and a prompt still being synthesised must not delay
  // the bridge (once aborted it never plays). A fault in it is logged; the hand-off goes on.
  void audio.run().catch((err: unknown) => call.log.warn({ err }, 'waiting audio failed'));
  let r: Served;
  try {
    r = await served;
  } finally {
    offDigit?.();
    waiting.abort();
    signal.removeEventListener('abort', stopWaiting);
    speaker.stop();
  }

  if (r.kind === 'gone') return { kind: 'caller-gone' };
  if (r.kind === 'exit') {
    if (r.then === 'callback' && call.caller && deps.callbacks && !signal.aborted) {
      await requestCallback(call, r.queue, ticket.since, deps);
      await speaker.say([{ text: r.reason === 'callback' ? texts.callbackOk : texts.callbackAtMax }], signal);
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
export async function ringExtension(call: Call, speaker: Speaker, extension: string, req: HandoffRequest, deps: HandoffDeps): Promise<HandoffResult> {
  const cfg = deps.config();
  const signal = call.gone.signal;
  call.setPhase('ringing-agent', { agent: extension });
  call.emit('call.agent', { callId: call.id, extension, result: 'ringing' });
  const ringMs = durationOr(cfg.bot.handoff?.ring_timeout, '20s');
  deps.agents.startRing(extension);
  // The announcement, then the hold chime while the phone rings.
  const waiting = new AbortController();
  const stopWaiting = (): void => waiting.abort();
  signal.addEventListener('abort', stopWaiting, { once: true });
  const audio = (async () => {
    if (req.announce?.length) await speaker.say(req.announce, waiting.signal);
    await speaker.play(loopSource(defaultHoldMusic()), waiting.signal);
  })();
  const contact = deps.agents.get(extension)?.contact;
  const target = { extension, ...(contact ? { contact } : {}) };
  const { result, leg } = await ringPhone(() => deps.dialAgent(target, { ...agentBriefing(call, req), timeoutMs: ringMs }), ringMs, signal, () => true, call.log.child({ extension }));
  waiting.abort();
  signal.removeEventListener('abort', stopWaiting);
  await audio.catch((err: unknown) => call.log.warn({ err }, 'ringing audio failed')); // the ring's outcome counts, not the prompt's
  speaker.stop();
  deps.agents.endRing(extension, result);
  if (result !== 'answered' || !leg) {
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
  const customerMedia = call.customer.media;
  const agentMedia = agentLeg.media;
  if (signal.aborted || !customerMedia || !agentMedia) {
    await agentLeg.hangup('normal').catch(() => undefined); // the agent's leg reports its own end
    deps.agents.callEnded(ext, 0);
    return { kind: 'caller-gone' };
  }
  if (cfg.bot.handoff?.tell_agent === 'whisper' && deps.whisper) {
    // The agent hears who is calling and why; the caller keeps hearing the line until put through.
    const text = whisperText(call.caller, req, callLanguage(cfg));
    call.log.info({ agent: ext, text }, 'whisper to the agent');
    await deps.whisper(agentMedia, text, signal).catch((err: unknown) => call.log.warn({ err }, 'whisper failed'));
    if (signal.aborted || agentLeg.state === 'ended') {
      await agentLeg.hangup('normal').catch(() => undefined); // the agent's leg reports its own end
      deps.agents.callEnded(ext, 0);
      return signal.aborted ? { kind: 'caller-gone' } : { kind: 'connected-and-ended', by: 'agent' };
    }
  }
  const conversation = converse({ media: customerMedia, gone: signal }, legParty(agentLeg, agentMedia), call.transferRequested());
  call.bridge = conversation.bridge;
  call.setPhase('connected', { agent: ext });
  const recording = await startRecording(call, conversation.bridge, deps);
  const offHold = watchHold(call, agentLeg, 'agent');
  const talkFrom = Date.now();
  const end = await conversation.ended;
  call.bridge = undefined;
  offHold();
  const by = end.by === 'a' ? 'caller' : end.by === 'b' ? 'agent' : 'transfer';
  if (by !== 'agent') await agentLeg.hangup(by === 'transfer' ? 'transferred' : 'normal').catch(() => undefined); // the agent's leg reports its own end
  deps.agents.callEnded(ext, Date.now() - talkFrom);
  if (recording) {
    try {
      const r = await recording.stop();
      call.emit('call.recorded', { callId: call.id, path: r.path, durationMs: r.durationMs });
    } catch (err) {
      call.log.error({ err }, 'call recording could not be finished');
    }
  }
  if (end.by === 'interrupt' && !signal.aborted) {
    call.agentLeg = undefined;
    return { kind: 'transfer', target: end.value };
  }
  return { kind: 'connected-and-ended', by: by === 'transfer' ? 'agent' : by };
}

/** Record the conversation when storage.record_calls is on; a failure never touches the call. */
async function startRecording(call: Call, bridge: Bridge, deps: HandoffDeps): Promise<CallRecording | undefined> {
  const storage = deps.config().storage;
  if (!storage?.record_calls) return undefined;
  try {
    const dir = recordingsDir(deps.config());
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
  if (!call.caller || !deps.callbacks) return;
  await deps.callbacks.request({ callId: call.id, number: call.caller, queue, lineId: call.customer.lineId, since });
}
