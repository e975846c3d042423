import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Leg } from '../../drivers/line.js';
import type { MediaPort } from '../../drivers/media/port.js';
import { tone } from '../../drivers/audio/tones.js';
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';
import { BotSession, type Step } from '../bot/dialog.js';
import { isOpen } from '../bot/hours.js';
import type { PromptResolver } from '../speech/prompts.js';
import { record } from '../speech/recorder.js';
import { Call } from './call.js';
import { CallerDigits } from './digits.js';
import { CallerInput } from './caller-input.js';
import type { SpeechService } from '../speech/supervisor.js';
import { handOff, type HandoffDeps } from './handoff.js';
import { Speaker } from './speak.js';

export interface CallDeps extends HandoffDeps {
  bus: Bus;
  log: Logger;
  config: () => Config;
  prompts: PromptResolver;
  /** Where voicemail WAVs go. */
  voicemailDir: string;
  now?: () => Date;
  /** The speech worker (absent or down: the call runs on DTMF alone). */
  speech?: SpeechService;
  /** Told of each new call (the call core keeps them by id for transfers). */
  onCall?: (call: Call) => void;
}

const DEFAULTS = {
  zh: { noAgent: '对不起,现在没有客服可以接听您的电话。', voicemail: '请在提示音后留言,按井号键结束。', thanks: '您的留言已收到,谢谢,再见。' },
  en: { noAgent: 'Sorry, nobody is available to take your call right now.', voicemail: 'Please leave a message after the tone, and press hash when you are done.', thanks: 'Thank you, your message has been recorded. Goodbye.' },
};

/**
 * One inbound call from start to end: answer, business hours, the bot dialog, handoff to an agent
 * or voicemail, and the outcome. Everything stops as soon as the caller hangs up.
 */
export async function runInboundCall(leg: Leg, deps: CallDeps): Promise<Call> {
  const call = new Call(leg, deps.bus, deps.log);
  deps.onCall?.(call);
  const log = call.log;
  call.offered();
  try {
    await leg.answer();
  } catch (err) {
    log.warn({ err }, 'could not answer');
    const end = call.customerEnd;
    // The caller gave up while it rang (CANCEL during the answer delay): abandoned, not a failure.
    if (end?.by === 'remote') await call.end('abandoned', 'caller', end.cause);
    else await call.end('failed', 'system', end?.cause === 'overload' ? 'overload' : 'answer-failed');
    return call;
  }
  if (!leg.media) {
    // The leg ended while our 200 waited for its ACK. Say how: a caller who hung up (BYE overtook a late
    // or lost ACK) completed a normal call; no ACK at all is its own cause, not missing media.
    const end = call.customerEnd;
    if (end?.by === 'remote') await call.end('bot-resolved', 'caller', end.cause === 'normal' ? undefined : end.cause);
    else await call.end('failed', 'system', end?.cause === 'no-ack' ? 'no-ack' : 'no-media');
    return call;
  }
  call.setPhase('bot');
  const cfg = deps.config();
  const lang = cfg.bot.language ?? cfg.language ?? 'zh-CN';
  const texts = lang.startsWith('zh') ? DEFAULTS.zh : DEFAULTS.en;
  const voice = cfg.speech?.tts?.voice ?? (lang.startsWith('zh') ? 'cmn' : 'en');
  const speaker = new Speaker(leg.media, deps.prompts, voice, log);
  const digits = new CallerDigits(leg);
  // Caller speech (VAD, ASR, emotion in the speech worker) joins the digits when speech is on.
  const speech = cfg.speech?.worker === false ? undefined : deps.speech?.open(call.id, lang);
  const input = new CallerInput(digits, speech);
  const media = leg.media;
  const hear = (f: Buffer): void => speech?.write(f);
  if (speech) {
    media.on('frame', hear);
    speech.on('utterance', (u) => call.emit('speech.utterance', { callId: call.id, utt: u.utt, durationMs: u.durationMs, ...(u.text !== undefined ? { text: u.text } : {}), ...(u.confidence !== undefined ? { confidence: u.confidence } : {}), ...(u.emotion ? { emotion: { label: u.emotion.label, score: u.emotion.score, negative: u.emotion.scores['negative'] ?? 0 } } : {}) }));
  }
  const stopListening = (): void => {
    media.off('frame', hear);
    input.close();
  };
  const signal = call.gone.signal;
  const vip = Boolean(call.caller && cfg.priority?.vip_numbers?.includes(call.caller));

  const voicemail = async (): Promise<void> => {
    call.setPhase('voicemail');
    await speaker.say([{ text: cfg.bot.voicemail?.say ?? texts.voicemail }], signal);
    if (signal.aborted) return;
    await speaker.play(tone([1000], 400, -12), signal);
    await mkdir(deps.voicemailDir, { recursive: true });
    const id = call.id;
    const path = join(deps.voicemailDir, `${id}.wav`);
    digits.clear();
    const rec = await record(leg.media!, { path, maxMs: durationOr(cfg.bot.voicemail?.max_length, '2m'), silenceMs: 5000, signal });
    call.emit('voicemail.recorded', { callId: call.id, id, path: rec.path, durationMs: rec.durationMs, ...(call.caller ? { caller: call.caller } : {}) });
    if (!signal.aborted) await speaker.say([{ text: texts.thanks }], signal);
  };

  try {
    // Outside business hours: the closed message, then what the installer chose.
    if (!isOpen(cfg.hours, cfg.timezone, deps.now?.() ?? new Date())) {
      const closed = cfg.hours?.closed;
      log.info('outside business hours');
      if (closed?.say) await speaker.say([{ text: closed.say }], signal);
      const then = closed?.then ?? 'voicemail';
      if (then === 'voicemail') {
        await voicemail();
        return await finish(call, 'voicemail');
      }
      if (then === 'hangup') return await finish(call, 'bot-resolved');
    }

    const bot = new BotSession(cfg.bot, { language: lang, vip });
    let step: Step = bot.start();
    if (cfg.speech?.asr?.grammar) speech?.setGrammar(bot.phrases());
    for (;;) {
      await speaker.say(step.say, signal, input);
      if (signal.aborted) return await finish(call, call.phase === 'bot' ? 'bot-resolved' : 'abandoned');
      const next = step.next;
      if (next.kind === 'listen') {
        // A digit pressed during the prompt is already queued; otherwise wait for one.
        // A digit that cut the prompt short is already queued and comes back at once.
        // Speech that cut the prompt short is delivered when its utterance ends.
        const ev = await input.next(next.timeoutMs, signal);
        if (signal.aborted) return await finish(call, 'bot-resolved');
        step = bot.input(ev);
        const turn = ev.kind === 'digit' ? { kind: 'dtmf' as const, value: ev.digit } : ev.kind === 'speech' ? { kind: 'speech' as const, value: ev.text ?? '' } : { kind: 'timeout' as const, value: '' };
        // An untranscribed utterance that changed nothing is not a turn.
        if (ev.kind !== 'speech' || ev.text || step.next.kind !== 'listen') call.emit('bot.turn', { callId: call.id, input: turn, ...(bot.summary().intent ? { intent: bot.summary().intent! } : {}), ...(step.say[0] ? { say: step.say.map((s) => s.text).join(' ') } : {}) });
        continue;
      }
      if (next.kind === 'hangup') return await finish(call, 'bot-resolved');
      if (next.kind === 'voicemail') {
        await voicemail();
        return await finish(call, 'voicemail');
      }
      // Handoff: announce, ring agents, bridge.
      stopListening();
      const summary = bot.summary();
      call.emit('handoff.requested', { callId: call.id, reason: next.reason, ...(next.queue ? { queue: next.queue } : {}), ...(summary.intent ? { detail: summary.intent } : {}), ...(summary.menuPath ? { menuPath: summary.menuPath } : {}), ...(Object.keys(summary.slots).length ? { slots: summary.slots } : {}) });
      const announce = cfg.bot.handoff?.say;
      const whisper = (agentMedia: MediaPort, text: string, sig: AbortSignal): Promise<unknown> => new Speaker(agentMedia, deps.prompts, voice, log).say([{ text }], sig);
      let r = await handOff(call, speaker, { ...(next.queue ? { queue: next.queue } : {}), reason: next.reason, summary, vip, announce: announce ? [{ text: announce }] : [], digits }, { ...deps, whisper });
      // The agent transferred the caller (console): queue again, ringing the chosen agent first.
      while (r.kind === 'transfer') {
        log.info({ to: r.target }, 'transferred by the agent');
        r = await handOff(call, speaker, { queue: r.target.queue, reason: next.reason, summary, vip, announce: announce ? [{ text: announce }] : [], digits, ...(r.target.extension ? { preferAgent: r.target.extension } : {}) }, { ...deps, whisper });
      }
      if (r.kind === 'caller-gone') return await finish(call, 'abandoned');
      if (r.kind === 'callback') return await finish(call, 'callback');
      if (r.kind === 'connected-and-ended') return await finish(call, 'transferred', r.by);
      // Nobody answered: apologise and take a message.
      await speaker.say([{ text: cfg.bot.handoff?.no_agent_say ?? texts.noAgent }], signal);
      if (signal.aborted) return await finish(call, 'abandoned');
      await voicemail();
      return await finish(call, 'voicemail');
    }
  } catch (err) {
    log.error({ err }, 'call failed');
    return await finish(call, 'failed', undefined, 'internal-error');
  } finally {
    stopListening();
    digits.close();
    speaker.stop();
  }
}

async function finish(call: Call, outcome: Parameters<Call['end']>[0], by?: 'caller' | 'agent', cause?: string): Promise<Call> {
  const hungUpBy = by ?? (call.customerEnd && call.customerEnd.by === 'remote' ? 'caller' : 'system');
  await call.end(outcome, hungUpBy, cause);
  return call;
}
