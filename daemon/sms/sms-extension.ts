import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension } from '../extension.js';
import type { Sms } from '../../drivers/line.js';
import { registerWriter } from '../store/recorder.js';
import { DEFAULT_OPT_OUT_WORDS, optOutWord } from './optout.js';
import { SmsQueue, type EnqueueRequest, type EnqueueResult, type SmsLine, type SmsSettings } from './queue.js';
import { renderTemplate } from './templates.js';
import { SmsSurvey } from './survey.js';
import { registerSmsWriters } from './writers.js';

let writersRegistered = false;

/** Calls in progress as far as SMS cares: who called, on which line. */
export interface CallParty {
  caller?: string;
  lineId: string;
  /** The box dialled (originate, campaign): no survey afterwards. */
  outbound?: boolean;
}

/** A handler for incoming SMS that are not opt-outs (the SMS survey). Returns true when it used the message. */
export type SmsReplyHandler = (sms: Sms) => Promise<boolean>;

export function smsSettings(cfg: Config): SmsSettings {
  const s = cfg.sms;
  return {
    perLinePerMinute: s?.per_line_per_minute ?? 6,
    attempts: s?.retry?.attempts ?? 5,
    retryAfterMs: durationOr(s?.retry?.after, '30s'),
    pollMs: 1000,
  };
}

/**
 * SMS out as a daemon feature: the durable queue on the GSM lines, opt-outs from replies, and the
 * confirmations the config asks for when the bot captures a slot (sms.on_capture). Other features
 * (tickets, the SMS survey) send through send().
 */
export class SmsExtension implements Extension {
  readonly name = 'sms';
  private ctx!: Context;
  private queue: SmsQueue | undefined;
  private readonly offs: (() => void)[] = [];
  private readonly calls = new Map<string, CallParty>();
  private readonly replyHandlers: SmsReplyHandler[] = [];

  constructor(private readonly lines: { all(): unknown[] }) {}

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    if (!writersRegistered) {
      registerSmsWriters(registerWriter);
      writersRegistered = true;
    }
    const log = ctx.log.child({ component: 'sms' });
    this.queue = new SmsQueue({ db: ctx.db, bus: ctx.bus, log, lines: () => this.smsLines(), settings: () => smsSettings(ctx.config()) });
    const { bus } = ctx;
    const survey = new SmsSurvey({ db: ctx.db, bus, log, config: () => ctx.config(), send: (r) => this.send(r) });
    this.replyHandlers.push((sms) => survey.onReply(sms));
    this.offs.push(
      bus.on('call.offered', (e) => void this.calls.set(e.data.callId, { lineId: e.data.lineId, ...(e.data.caller ? { caller: e.data.caller } : {}), ...(e.data.direction === 'outbound' ? { outbound: true } : {}) })),
      // Kept a little after the end: a capture handled late still finds its caller.
      bus.on('call.ended', (e) => {
        const party = this.calls.get(e.data.callId);
        setTimeout(() => this.calls.delete(e.data.callId), 60_000).unref();
        if (party && !party.outbound) void survey.afterCall(e.data.callId, party.caller, party.lineId, e.data.outcome).catch((err: unknown) => log.error({ err }, 'survey SMS not queued'));
      }),
      bus.on('bot.captured', (e) => this.onCaptured(e.data.callId, e.data.slot, e.data.slots)),
      // Awaited by the line (emitAndWait) before the SMS leaves the SIM: an opt-out is never lost.
      bus.on('sms.received', (e) => this.onReceived(e.data)),
    );
  }

  /** Lines that can send SMS: the GSM lines. */
  private smsLines(): SmsLine[] {
    return this.lines.all().filter((l): l is SmsLine => typeof (l as Partial<SmsLine>).submitPdu === 'function' && typeof (l as Partial<SmsLine>).canSendSms === 'function');
  }

  call(callId: string): CallParty | undefined {
    return this.calls.get(callId);
  }

  onReply(h: SmsReplyHandler): void {
    this.replyHandlers.push(h);
  }

  async send(req: EnqueueRequest): Promise<EnqueueResult> {
    if (!this.queue) throw new Error('SMS is not running');
    return this.queue.enqueue(req);
  }

  /** Fill a template from sms.templates; throws when it is unknown or a placeholder has no value. */
  render(templateId: string, values: Record<string, string | undefined>): string {
    const t = this.ctx.config().sms?.templates?.[templateId];
    if (!t) throw new Error(`no sms.templates.${templateId}`);
    return renderTemplate(t, values);
  }

  private async onCaptured(callId: string, slot: string, slots: Record<string, string>): Promise<void> {
    const templateId = this.ctx.config().sms?.on_capture?.[slot];
    if (!templateId) return;
    const party = this.calls.get(callId);
    if (!party?.caller) {
      this.ctx.log.info({ callId, slot }, 'no caller number: no confirmation SMS');
      return;
    }
    try {
      const text = this.render(templateId, { ...slots, caller: party.caller });
      await this.send({ to: party.caller, text, kind: `confirm:${slot}`, callId, lineId: party.lineId });
    } catch (err) {
      this.ctx.log.error({ err, callId, slot }, 'confirmation SMS not queued');
    }
  }

  private async onReceived(sms: Sms): Promise<void> {
    const word = optOutWord(sms.text, this.ctx.config().sms?.opt_out_words ?? DEFAULT_OPT_OUT_WORDS);
    if (word) {
      await this.ctx.bus.emitAndWait('sms.optout', { number: sms.from, word });
      const n = await this.queue?.cancelTo(sms.from, `opted out (${word})`);
      this.ctx.log.info({ from: sms.from, word, cancelled: n }, 'SMS opt-out');
      return;
    }
    for (const h of this.replyHandlers) if (await h(sms)) return;
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
  }

  /**
   * The sending side, as its own extension placed after the lines: it starts sending once they are
   * up and stops before they close, so a send in flight gets its +CMGS answer and is recorded as
   * sent (a line closed under it would leave it unknown). The receiving side (this extension) starts
   * before the lines so no opt-out or delivery report arrives unheard.
   */
  readonly sender: Extension = {
    name: 'sms-sender',
    start: async () => this.queue?.start(),
    stop: async () => this.queue?.stop(),
  };

  status(): string | undefined {
    return undefined;
  }
}
