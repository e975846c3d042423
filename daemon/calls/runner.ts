import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndCause, Leg } from '../../drivers/line.js';
import type { MediaPort } from '../../drivers/media/port.js';
import { tone } from '../../drivers/audio/tones.js';
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import { durationMs, durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';
import { BotSession, type BotSummary, type Step } from '../bot/dialog.js';
import type { KnowledgeSource } from '../bot/knowledge.js';
import { isOpenSafe } from '../bot/hours.js';
import { isVipNumber } from '../routing/vip.js';
import { localText, personalised } from '../bot/menu-offer.js';
import type { PromptResolver } from '../speech/prompts.js';
import { record } from '../speech/recorder.js';
import { Call } from './call.js';
import { CallerDigits } from './digits.js';
import { CallerInput } from './caller-input.js';
import type { SpeechService } from '../speech/supervisor.js';
import { handOff, ringExtension, type HandoffDeps, type HandoffRequest, type HandoffResult } from './handoff.js';
import { askSurvey, surveyApplies, SURVEY_SCALE, type SurveyConfig } from '../bot/survey.js';
import { Speaker } from './speak.js';
import type { CaptureHooks } from './capture.js';
import { guardSilence, silentCallerMs } from './silence-guard.js';
import { callLanguage, languageForCaller, textIn, textTable, voiceFor } from '../config/locale.js';
import { CallStepFault, takeSafePath } from './fallback.js';

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
  /** The queue this caller was in on a call within `withinMs` (bot.repeat_caller). */
  recentQueue?: (caller: string, callId: string, withinMs: number) => Promise<string | undefined>;
  /** The knowledge base in force, if one is configured. */
  knowledge?: () => KnowledgeSource | undefined;
  /** What features do when the bot captures a detail (tickets). */
  captures?: CaptureHooks;
  /** Asked before answering (crm_lookup, customer record): the caller's language and VIP for this call. */
  callerProfile?: (caller: string, callId: string) => Promise<{ vip: boolean; language?: string }>;
  /** The menu paths of the caller's earlier calls, newest first (personalised menus). */
  menuHistory?: (caller: string, callId: string) => Promise<string[]>;
}

const DEFAULTS = {
  zh: { noAgent: '对不起,现在没有客服可以接听您的电话。', voicemail: '请在提示音后留言,按井号键结束。', thanks: '您的留言已收到,谢谢,再见。', sorry: '对不起,我们现在无法处理您的来电,请稍后再拨。再见。' },
  en: { noAgent: 'Sorry, nobody is available to take your call right now.', voicemail: 'Please leave a message after the tone, and press hash when you are done.', thanks: 'Thank you, your message has been recorded. Goodbye.', sorry: 'Sorry, we cannot take your call right now. Please call again later. Goodbye.' },
};

/**
 * One inbound call from start to end: answer, business hours, the bot dialog, handoff to an agent
 * or voicemail, and the outcome. Everything stops as soon as the caller hangs up.
 */
export async function runInboundCall(leg: Leg, deps: CallDeps): Promise<Call> {
  const call = new Call(leg, deps.bus, deps.log);
  deps.onCall?.(call);
  const log = call.log;
  call.vip = isVipNumber(deps.config(), call.caller);
  call.offered();
  const lineCfg = deps.config().lines.find((l) => l.id === leg.lineId);
  const answerMode = lineCfg?.answer ?? 'bot';
  if (answerMode === 'reject') return reject(call, lineCfg?.kind);
  // Before answering an incoming call: what the CRM or the customer record says shapes the greeting
  // (bounded by crm_lookup.timeout). Outbound legs (originate, campaigns) are answered already: no wait.
  const asks = leg.state !== 'answered' && (deps.config().crm_lookup !== undefined || typeof deps.config().bot.greeting === 'object');
  const profile = call.caller && asks && deps.callerProfile ? await deps.callerProfile(call.caller, call.id).catch((err: unknown) => void call.log.warn({ err }, 'caller profile unavailable; answering with the defaults')) : undefined;
  if (profile?.vip) call.vip = true;
  try {
    // An outbound leg (originate, campaigns) arrives already answered.
    if (leg.state !== 'answered') await leg.answer();
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
    // or lost ACK) left before the bot served anything (abandoned, as in the greeting); no ACK at all
    // is its own cause, not missing media.
    const end = call.customerEnd;
    if (end?.by === 'remote') await call.end('abandoned', 'caller', end.cause === 'normal' ? 'left-in-bot' : end.cause);
    else await call.end('failed', 'system', end?.cause === 'no-ack' ? 'no-ack' : 'no-media');
    return call;
  }
  call.setPhase('bot');
  const cfg = deps.config();
  const silentMs = silentCallerMs(lineCfg);
  const stopGuard = silentMs ? guardSilence(call, leg.media, silentMs) : undefined;
  const botLang = callLanguage(cfg);
  const lang = languageForCaller(cfg.bot, botLang, profile?.language);
  const zh = textTable(lang) === 'zh';
  const texts = textIn(DEFAULTS, lang);
  // The installer's texts ({ zh, en } or one string) in the call's language, else the built-in ones.
  const said = {
    handoff: localText(cfg.bot.handoff?.say, zh),
    noAgent: localText(cfg.bot.handoff?.no_agent_say, zh) || texts.noAgent,
    voicemail: localText(cfg.bot.voicemail?.say, zh) || texts.voicemail,
    closed: localText(cfg.hours?.closed?.say, zh),
  };
  const handoffSay = said.handoff ? [{ text: said.handoff }] : [];
  const voice = voiceFor(lang, botLang, cfg.speech?.tts?.voice);
  const speaker = new Speaker(leg.media, deps.prompts, voice, log);
  const digits = new CallerDigits(leg, lineCfg?.dtmf ?? 'auto', lineCfg?.dtmf_min_level);
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
  const vip = call.vip;

  const voicemail = async (): Promise<void> => {
    call.setPhase('voicemail');
    await speaker.say([{ text: said.voicemail }], signal);
    if (signal.aborted) return;
    await speaker.play(tone([1000], 400, -12), signal);
    const id = call.id;
    const path = join(deps.voicemailDir, `${id}.wav`);
    digits.clear();
    // '#' ends the message, from wherever this line's keys come (no second in-band detector).
    const keys = digits.events();
    // The folder is under storage.dir: a fault there (a file in its place, a read-only mount) names that key.
    const rec = await mkdir(deps.voicemailDir, { recursive: true })
      .then(() => record(leg.media!, { path, maxMs: durationOr(cfg.bot.voicemail?.max_length, '2m'), silenceMs: 5000, signal, dtmf: keys }))
      .catch((err: unknown) => {
        throw new CallStepFault('storage.dir', 'voicemail', err);
      })
      .finally(() => keys.release());
    call.emit('voicemail.recorded', { callId: call.id, id, path: rec.path, durationMs: rec.durationMs, ...(call.caller ? { caller: call.caller } : {}) });
    if (!signal.aborted) await speaker.say([{ text: texts.thanks }], signal);
  };

  const whisper = (agentMedia: MediaPort, text: string, sig: AbortSignal): Promise<unknown> => new Speaker(agentMedia, deps.prompts, voice, log).say([{ text }], sig);

  /** bot.survey: ask for a 1..5 key and report it (a low score's follow-up listens for survey.answered: calls/low-score). */
  const survey = async (sc: SurveyConfig): Promise<void> => {
    if (signal.aborted) return;
    call.setPhase('survey');
    const io = { say: async (text: string, sig: AbortSignal) => void (await speaker.say([{ text }], sig, digits)), nextDigit: (ms: number, sig: AbortSignal) => digits.next(ms, sig), clear: () => digits.clear() };
    const score = await askSurvey(io, sc, lang, signal);
    if (score === undefined) return;
    call.emit('survey.answered', { callId: call.id, score, scale: SURVEY_SCALE });
  };

  /** After a handoff: the survey when the agent hung up, else voicemail when nobody took the call. */
  /** The agent transferred the caller (console): queue again, ringing the chosen agent first. */
  const followTransfers = async (first: HandoffResult, req: HandoffRequest): Promise<HandoffResult> => {
    let r = first;
    while (r.kind === 'transfer') {
      log.info({ to: r.target }, 'transferred by the agent');
      r = await handOff(call, speaker, { ...req, queue: r.target.queue, ...(r.target.extension ? { preferAgent: r.target.extension } : {}) }, { ...deps, whisper });
    }
    return r;
  };
  const afterHandoff = async (r: HandoffResult): Promise<Call> => {
    if (r.kind === 'caller-gone') return await finish(call, 'abandoned');
    if (r.kind === 'callback') return await finish(call, 'callback');
    if (r.kind === 'connected-and-ended') {
      if (r.by === 'agent' && surveyApplies(cfg.bot.survey, 'agent')) await survey(cfg.bot.survey);
      return await finish(call, 'transferred', r.by);
    }
    // Nobody answered: apologise and take a message.
    await speaker.say([{ text: said.noAgent }], signal);
    if (signal.aborted) return await finish(call, 'abandoned');
    await voicemail();
    return await finish(call, 'voicemail');
  };

  try {
    // Outside business hours: the closed message, then what the installer chose.
    if (!isOpenSafe(cfg, cfg.hours, cfg.timezone, deps.now?.() ?? new Date(), { alarm: (a) => deps.bus.emit('alarm', a), log })) {
      const closed = cfg.hours?.closed;
      log.info('outside business hours');
      if (said.closed) await speaker.say([{ text: said.closed }], signal);
      const then = closed?.then ?? 'voicemail';
      if (then === 'voicemail') {
        await voicemail();
        return await finish(call, 'voicemail');
      }
      if (then === 'hangup') return await finish(call, 'bot-resolved');
    }

    // lines[].answer: straight to voicemail, a queue or one desk phone, without the bot's menus.
    if (answerMode === 'voicemail') {
      await voicemail();
      return await finish(call, 'voicemail');
    }
    const direct = /^(queue|extension):(.+)$/.exec(answerMode);
    if (direct) {
      stopListening();
      const [, kind, target] = direct as unknown as [string, 'queue' | 'extension', string];
      const summary: BotSummary = { menuPath: '', slots: {}, noMatch: 0, noInput: 0 };
      call.emit('handoff.requested', { callId: call.id, reason: 'line', ...(kind === 'queue' ? { queue: target } : { detail: `extension ${target}` }) });
      const req: HandoffRequest = { reason: 'line', summary, vip, announce: handoffSay, digits, language: lang };
      const r = await followTransfers(kind === 'queue' ? await handOff(call, speaker, { ...req, queue: target }, { ...deps, whisper }) : await ringExtension(call, speaker, target, req, { ...deps, whisper }), req);
      return await afterHandoff(r);
    }

    const [repeatQueue, menuHistory] = await Promise.all([
      cfg.bot.repeat_caller && call.caller ? deps.recentQueue?.(call.caller, call.id, durationMs(cfg.bot.repeat_caller.within)).catch((err: unknown) => void call.log.warn({ err }, 'repeat-caller lookup failed; queueing as a first call')) : undefined,
      call.caller && personalised(cfg.bot.menu ?? {}, cfg.bot.menu_personalise) ? deps.menuHistory?.(call.caller, call.id).catch((err: unknown) => void call.log.warn({ err }, 'menu history unavailable; the menu keeps its order')) : undefined,
    ]);
    const kb = deps.knowledge?.();
    const bot = new BotSession(cfg.bot, { language: lang, vip, ...(repeatQueue ? { repeatQueue } : {}), ...(menuHistory ? { menuHistory } : {}), ...(kb ? { knowledge: kb, onKnowledge: (e) => (e.type === 'kb.answered' ? call.emit(e.type, { callId: call.id, entry: e.entry, via: e.via, language: lang }) : call.emit(e.type, { callId: call.id, via: e.via, text: e.text })) } : {}) });
    let step: Step = bot.start();
    call.emit('bot.started', { callId: call.id, language: lang, say: step.say.map((s) => s.text).join(' '), ...(step.say.some((s) => s.prompt) ? { prompts: step.say.flatMap((s) => (s.prompt ? [s.prompt] : [])) } : {}) });
    if (cfg.speech?.asr?.grammar) speech?.setGrammar(bot.phrases());
    for (;;) {
      await speaker.say(step.say, signal, input);
      if (signal.aborted) return await leftTheBot(call, bot);
      const next = step.next;
      if (next.kind === 'listen') {
        // A digit pressed during the prompt is already queued; otherwise wait for one.
        // A digit that cut the prompt short is already queued and comes back at once.
        // Speech that cut the prompt short is delivered when its utterance ends.
        const ev = await input.next(next.timeoutMs, signal);
        if (signal.aborted) return await leftTheBot(call, bot);
        const before = bot.summary().slots;
        step = bot.input(ev);
        const sum = bot.summary();
        call.slots = sum.slots;
        call.menuPath = sum.menuPath;
        const slot = Object.keys(sum.slots).find((k) => sum.slots[k] !== before[k]);
        if (slot) {
          // A detail the flow asked for: reported, and features (tickets) may add what to say.
          call.emit('bot.captured', { callId: call.id, slot, slots: sum.slots });
          const extra = await (deps.captures?.run({ callId: call.id, lineId: leg.lineId, slot, slots: sum.slots, ...(call.caller ? { caller: call.caller } : {}) }, 3000, (err) => log.error({ err }, 'capture hook failed')) ?? []);
          if (extra.length) step = { ...step, say: [...extra, ...step.say] };
        }
        const fu = step.followUp;
        if (fu) {
          const extra = await (deps.captures?.runFollowUp(fu.action, { callId: call.id, lineId: leg.lineId, slots: sum.slots, subject: fu.subject, entry: fu.entry, ...(call.caller ? { caller: call.caller } : {}) }, 3000, (err) => log.error({ err, followUp: fu.action }, 'follow-up failed')) ?? []);
          step = { ...step, say: [...step.say.slice(0, fu.at), ...extra, ...step.say.slice(fu.at)] };
        }
        const turn = ev.kind === 'digit' ? { kind: 'dtmf' as const, value: ev.digit } : ev.kind === 'speech' ? { kind: 'speech' as const, value: ev.text ?? '' } : { kind: 'timeout' as const, value: '' };
        // An untranscribed utterance that changed nothing is not a turn.
        if (ev.kind !== 'speech' || ev.text || step.next.kind !== 'listen') call.emit('bot.turn', { callId: call.id, input: turn, ...(bot.summary().intent ? { intent: bot.summary().intent! } : {}), ...(step.say[0] ? { say: step.say.map((s) => s.text).join(' ') } : {}) });
        continue;
      }
      if (next.kind === 'hangup') {
        if (surveyApplies(cfg.bot.survey, 'bot')) await survey(cfg.bot.survey);
        return await finish(call, 'bot-resolved');
      }
      if (next.kind === 'voicemail') {
        await voicemail();
        return await finish(call, 'voicemail');
      }
      // Handoff: announce, ring agents, bridge.
      stopListening();
      const summary = bot.summary();
      call.emit('handoff.requested', { callId: call.id, reason: next.reason, ...(next.queue ? { queue: next.queue } : {}), ...(summary.intent ? { detail: summary.intent } : {}), ...(summary.menuPath ? { menuPath: summary.menuPath } : {}), ...(Object.keys(summary.slots).length ? { slots: summary.slots } : {}) });
      const req: HandoffRequest = { ...(next.queue ? { queue: next.queue } : {}), reason: next.reason, summary, vip, announce: handoffSay, digits, language: lang };
      const r = await followTransfers(await handOff(call, speaker, req, { ...deps, whisper }), req);
      if (r.kind === 'caller-gone') return await finish(call, 'abandoned');
      if (r.kind === 'callback') return await finish(call, 'callback');
      return await afterHandoff(r);
    }
  } catch (err) {
    // Never costs the caller: a person, else voicemail, else a polite goodbye (the alarm names the key).
    stopListening();
    await takeSafePath(call, err, cfg, {
      canHandOff: () => deps.agents.all().some((a) => deps.agents.present(a)),
      handOff: async () => {
        call.emit('handoff.requested', { callId: call.id, reason: 'fault' });
        const req: HandoffRequest = { reason: 'fault', summary: { menuPath: call.menuPath, slots: call.slots, noMatch: 0, noInput: 0 }, vip, announce: handoffSay, digits, language: lang };
        await afterHandoff(await followTransfers(await handOff(call, speaker, req, { ...deps, whisper }), req));
      },
      voicemail,
      goodbye: async () => void (await speaker.say([{ text: texts.sorry }], signal)),
    });
    return call;
  } finally {
    stopGuard?.();
    stopListening();
    digits.close();
    speaker.stop();
  }
}

/**
 * lines[].answer: reject. GSM: hung up unanswered (AT+CHUP). SIP: 603 Decline, a deliberate refusal
 * that also tells the PBX not to try elsewhere for us (486 would report a false busy). Analog: the
 * modem never goes off hook (a PSTN line cannot refuse without answering); the call ends when the
 * caller gives up. Recorded with outcome rejected.
 */
async function reject(call: Call, kind: string | undefined): Promise<Call> {
  call.log.info({ lineId: call.customer.lineId }, 'the line rejects calls (answer: reject)');
  const leg = call.customer;
  if (kind === 'analog') {
    if (leg.state !== 'ended') await new Promise((resolve) => leg.once('ended', resolve));
  } else await leg.hangup('rejected').catch((err: unknown) => call.log.warn({ err }, 'reject failed'));
  await call.end('rejected', 'system', 'rejected');
  return call;
}

/**
 * The caller hung up while the bot had them: contained only if the bot had served them something
 * (an answer, a menu choice, a captured detail); silence through the greeting is abandoned.
 */
async function leftTheBot(call: Call, bot: BotSession): Promise<Call> {
  const s = bot.summary();
  const served = s.intent !== undefined || Object.keys(s.slots).length > 0;
  // A line that says how the caller went (hung up into silence, went silent) says more than left-in-bot.
  const how = call.customerEnd && call.customerEnd.cause !== 'normal' ? call.customerEnd.cause : undefined;
  return finish(call, served ? 'bot-resolved' : 'abandoned', 'caller', how ?? (served ? undefined : 'left-in-bot'));
}

async function finish(call: Call, outcome: Parameters<Call['end']>[0], by?: 'caller' | 'agent', cause?: EndCause): Promise<Call> {
  const end = call.customerEnd;
  const hungUpBy = by ?? (end && end.by === 'remote' ? 'caller' : 'system');
  // How the caller's leg ended, when that says more than "normal" (silence, caller-silent...).
  await call.end(outcome, hungUpBy, cause ?? (end && end.cause !== 'normal' ? end.cause : undefined));
  return call;
}
