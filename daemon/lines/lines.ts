import type { Leg, Line, Sms } from '../../drivers/line.js';
import { createGsmLine, type GsmLineOptions } from '../../drivers/gsm/line.js';
import { deliveryOutcome } from '../../drivers/gsm/sms/pdu.js';
import { createAnalogLine } from '../../drivers/analog/line.js';
import { SipTrunkLine, type SipLineOptions } from '../../drivers/sip/trunk-line.js';
import { endStaleDialogs, trackDialogs } from './stale-dialogs.js';
import type { Config, LineConfig, SipLineConfig } from '../config/schema.js';
import { durationMs } from '../config/duration.js';
import type { Context, Extension } from '../extension.js';
import type { Logger } from '../log.js';

/** The id of the SIP endpoint the box uses to reach desk phones when no SIP line is configured. */
export const DESK_ENDPOINT_ID = 'desk-phones';

export type IncomingHandler = (leg: Leg, line: Line) => void;

/**
 * Owns the phone lines: builds a driver for each configured line, starts them, reports their health,
 * alarms and SMS on the bus, and hands incoming calls to the call core. A line that fails to start
 * is reported down and retried by its driver; it never stops the other lines.
 */
export class LinesExtension implements Extension {
  readonly name = 'lines';
  private readonly lines = new Map<string, { line: Line; config: LineConfig | undefined }>();
  private ctx!: Context;
  private onIncoming: IncomingHandler = () => {};

  /** Where incoming calls go (the call core sets this before start). */
  setIncomingHandler(h: IncomingHandler): void {
    this.onIncoming = h;
  }

  get(id: string): Line | undefined {
    return this.lines.get(id)?.line;
  }

  /** The SIP endpoint for reaching desk phones: the first SIP line that reaches extensions, else the first SIP line, else the built-in one. */
  sipEndpoint(): SipTrunkLine | undefined {
    let first: SipTrunkLine | undefined;
    for (const { line, config } of this.lines.values()) {
      if (!(line instanceof SipTrunkLine)) continue;
      if (config?.kind === 'sip' && config.extensions_via_trunk !== false) return line;
      first ??= line;
    }
    return first;
  }

  all(): Line[] {
    return [...this.lines.values()].map((l) => l.line);
  }

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    const cfg = ctx.config();
    for (const lc of cfg.lines) await this.add(lc, cfg);
    // Agents need a SIP endpoint even when the box has no SIP line of its own (phones called directly).
    if (!this.sipEndpoint() && (cfg.agents?.length ?? 0) > 0) await this.add(undefined, cfg);
    // In the background: a phone that does not answer the BYE must not hold up the start (32 s).
    const sipLine = (id: string): SipTrunkLine | undefined => {
      const l = this.get(id);
      return l instanceof SipTrunkLine ? l : this.sipEndpoint();
    };
    void endStaleDialogs(ctx, sipLine, ctx.daemon?.startedAt ?? Date.now()).catch((err: unknown) => ctx.log.warn({ err }, 'could not end the SIP dialogs a previous run left open'));
  }

  private async add(lc: LineConfig | undefined, cfg: Config): Promise<void> {
    const log = this.ctx.log.child({ lineId: lc?.id ?? DESK_ENDPOINT_ID });
    let line: Line;
    try {
      // SMS go on the bus and are committed by the store before the driver deletes them from the SIM.
      line = buildLine(lc, cfg, log, async (sms) => void (await this.ctx.bus.emitAndWait('sms.received', sms)), async (r) => {
        // Stored (matched to the message it reports on) before the driver deletes it from the SIM.
        await this.ctx.bus.emitAndWait('sms.status', { lineId: r.lineId, mr: r.mr, to: r.recipient, status: r.status, outcome: deliveryOutcome(r.status), dischargedAt: r.discharged });
      });
    } catch (err) {
      log.error({ err }, 'line not started');
      this.ctx.bus.emit('line.alarm', { lineId: lc?.id ?? DESK_ENDPOINT_ID, code: 'line-unsupported', active: true, message: (err as Error).message });
      return;
    }
    line.on('health', (h) => this.ctx.bus.emit('line.health', h));
    line.on('alarm', (a) => this.ctx.bus.emit('line.alarm', a));
    line.on('incoming', (leg) => this.onIncoming(leg, line));
    if (line instanceof SipTrunkLine) trackDialogs(this.ctx, line);
    this.lines.set(line.id, { line, config: lc });
    try {
      await line.start();
      log.info({ kind: line.kind }, 'line started');
    } catch (err) {
      // Drivers retry by themselves; the daemon keeps serving the other lines.
      log.error({ err }, 'line failed to start');
      this.ctx.bus.emit('line.alarm', { lineId: line.id, code: 'line-down', active: true, message: `start failed: ${(err as Error).message}` });
    }
  }

  async reload(next: Config): Promise<void> {
    // Lines whose settings changed are restarted; the others (and their calls) are left alone.
    const wanted = new Map(next.lines.map((l) => [l.id, l]));
    for (const [id, { line, config }] of [...this.lines]) {
      if (id === DESK_ENDPOINT_ID) continue;
      const w = wanted.get(id);
      if (!w || JSON.stringify(w) !== JSON.stringify(config)) {
        this.ctx.log.info({ lineId: id }, w ? 'line settings changed: restarting it' : 'line removed');
        await line.stop();
        this.lines.delete(id);
      }
    }
    for (const lc of next.lines) if (!this.lines.has(lc.id)) await this.add(lc, next);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.lines.values()].map(({ line }) => line.stop()));
    this.lines.clear();
  }

  healthy(): boolean {
    return true;
  }

  status(): string {
    const ready = this.all().filter((l) => l.health().state === 'ready').length;
    return `${ready}/${this.lines.size} line(s) ready`;
  }
}

/** Config → driver. The drivers take typed options, never the YAML itself. */
function buildLine(lc: LineConfig | undefined, cfg: Config, log: Logger, smsSink: (sms: Sms) => Promise<void>, statusSink: NonNullable<GsmLineOptions['statusSink']>): Line {
  if (!lc || lc.kind === 'sip') return new SipTrunkLine(sipOptions(lc, cfg, log));
  if (lc.kind === 'gsm') {
    return createGsmLine({
      id: lc.id,
      dialect: lc.modem,
      ...(lc.at_port ? { atPort: lc.at_port } : {}),
      ...(lc.voice_port ? { voicePort: lc.voice_port } : {}),
      ...(lc.imei ? { imei: lc.imei } : {}),
      ...(lc.sim_pin ? { simPin: lc.sim_pin } : {}),
      logger: log,
      ...(lc.sms?.receive === false ? {} : { smsSink }),
      statusSink,
      ...echoOption(lc.echo_cancel ?? 'off'),
    });
  }
  return createAnalogLine({
    id: lc.id,
    port: lc.port,
    ringsBeforeAnswer: lc.rings_before_answer ?? 2,
    silenceHangupEvents: lc.silence_events ?? 1,
    ringback: { goneMs: durationMs(lc.ringback_gone ?? '5s'), neverMs: durationMs(lc.ringback_never ?? '10s') },
    ...echoOption(lc.echo_cancel ?? '128ms'),
    logger: log,
  });
}

/** `echo_cancel: off | <tail>` as the drivers' option. */
function echoOption(v: string): { echoCancel?: { tailMs: number } } {
  return v === 'off' ? {} : { echoCancel: { tailMs: durationMs(v) } };
}

function sipOptions(lc: SipLineConfig | undefined, cfg: Config, log: Logger): SipLineOptions {
  const listen = parseHostPort(cfg.sip?.listen ?? '0.0.0.0:5060');
  const [min, max] = (cfg.sip?.rtp_ports ?? '20000-20999').split('-').map(Number) as [number, number];
  const t = cfg.sip?.timers;
  return {
    id: lc?.id ?? DESK_ENDPOINT_ID,
    listen,
    transports: ['udp', 'tcp'],
    allowFrom: [...(cfg.sip?.allow_from ?? []), ...(lc ? [lc.host] : [])],
    ...(cfg.sip?.users ? { users: cfg.sip.users } : {}),
    rtpPorts: { min, max },
    ...(t ? { timers: { ...(t.t1 ? { t1: durationMs(t.t1) } : {}), ...(t.t2 ? { t2: durationMs(t.t2) } : {}), ...(t.t4 ? { t4: durationMs(t.t4) } : {}) } } : {}),
    userAgent: 'Frontdesk',
    logger: log,
    ...(lc?.answer_delay ? { answerDelayMs: durationMs(lc.answer_delay) } : {}),
    ...(cfg.sip?.max_calls ? { maxCalls: cfg.sip.max_calls } : {}),
    ...(cfg.sip?.retry_after ? { retryAfterS: cfg.sip.retry_after } : {}),
    ...(lc
      ? {
          trunk: {
            host: lc.host,
            port: lc.port ?? 5060,
            transport: lc.transport ?? 'udp',
            username: lc.username ?? 'frontdesk',
            password: lc.password ?? '',
            register: lc.register ?? false,
            callerId: lc.caller_id ?? 'pai',
            extensions: lc.extensions_via_trunk ?? true,
          },
        }
      : {}),
  };
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:([0-9]+)$/.exec(s);
  if (!m) throw new Error(`not host:port: ${s}`);
  return { host: m[1]!, port: Number(m[2]) };
}
