import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { CallRecords } from '../store/call-records.js';
import { isLowScore } from '../bot/survey.js';
import { CommandError, type CommandRegistry } from '../telemetry/commands.js';
import type { CallbackDesk } from './handoff.js';

export const LOW_SCORE_ALARM = 'low-survey-score';

/**
 * The one follow-up of a low survey score, whatever channel it came by (a key after the call, an
 * SMS reply): bot.survey.low_score decides what is low and what follows — a callback task for the
 * caller in the queue they were in, or a supervisor alarm for that call (`low-survey-score`,
 * source: the call id) until `survey-followed-up` clears it. It listens to `survey.answered`, so
 * every channel that reports a score gets the same treatment.
 */
export class LowScoreFollowUp {
  private readonly offs: (() => void)[] = [];
  /** Calls whose low-score alarm is up (seeded from the store: alarms outlive a restart). */
  private readonly active = new Set<string>();

  constructor(
    private readonly o: {
      records: CallRecords;
      /** The app's command registry (survey-followed-up is this feature's). */
      commands: CommandRegistry;
      bus: Bus;
      log: Logger;
      config: () => Config;
      callbacks: CallbackDesk;
      /** A call still in progress: its caller and line (the CDR row may not be written yet). */
      live: (callId: string) => { caller?: string; lineId: string } | undefined;
    },
  ) {}

  async start(): Promise<void> {
    for (const source of await this.o.records.activeAlarmSources(LOW_SCORE_ALARM).catch(() => [])) this.active.add(source);
    this.offs.push(this.o.bus.on('survey.answered', (e) => void this.onScore(e.data.callId, e.data.score, e.data.scale ?? 5).catch((err: unknown) => this.o.log.error({ err, callId: e.data.callId }, 'low-score follow-up failed'))));
    this.offs.push(
      this.o.commands.register('survey-followed-up', {
        summary: 'a supervisor followed up a low survey score: clears its low-survey-score alarm',
        schema: (Type) => Type.Object({ callId: Type.String({ minLength: 1, maxLength: 64 }), by: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
        handler: async (p: { callId: string; by: string }) => {
          if (!(await this.followedUp(p.callId, p.by))) throw new CommandError(`no low score waiting for follow-up on call ${p.callId}`);
          return { callId: p.callId };
        },
      }),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  private async onScore(callId: string, score: number, scale: number): Promise<void> {
    const sc = this.o.config().bot.survey;
    if (!sc || !isLowScore(sc, score)) return;
    const then = sc.low_score?.then;
    const row = await this.o.records.call(callId);
    const live = this.o.live(callId);
    const caller = live?.caller ?? row?.caller ?? undefined;
    const lineId = live?.lineId ?? row?.lineId;
    this.o.log.warn({ callId, score, then }, 'low survey score');
    if (then === 'callback' && caller && lineId && this.o.callbacks.accepts(caller)) {
      const cfg = this.o.config();
      const queue = row?.queueId ?? cfg.bot.handoff?.default_queue ?? cfg.queues?.[0]?.id ?? 'default';
      await this.o.callbacks.request({ callId, number: caller, queue, lineId, since: Date.now() });
      return;
    }
    // alarm (or a callback with no number the box may call): a supervisor follows it up.
    this.alarm(callId, true, `call ${callId}${caller ? ` from ${caller}` : ''} rated ${score}/${scale}; please follow up`);
  }

  private alarm(callId: string, active: boolean, message: string): void {
    if (active) this.active.add(callId);
    else this.active.delete(callId);
    const a = { code: LOW_SCORE_ALARM, source: callId, severity: 'warning' as const, active, message };
    this.o.log.info({ event: 'alarm', ...a }, 'alarm');
    this.o.bus.emit('alarm', a);
  }

  /** A supervisor followed a low score up: its alarm clears. False when none is active for the call. */
  async followedUp(callId: string, by: string): Promise<boolean> {
    if (!this.active.has(callId)) return false;
    this.alarm(callId, false, `followed up by ${by}`);
    return true;
  }
}
