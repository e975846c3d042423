import type { EchoCanceller } from '../audio/echo.js';
import type { DialOptions, DtmfSource, EndCause, LegEnd } from '../line.js';
import { LineError, dialFailureCause } from '../modem/errors.js';
import { ModemLeg } from '../modem/leg.js';
import type { ModemCallControl, ModemCallDeps } from '../modem/line.js';
import type { ModemSession } from '../modem/session.js';
import type { CallUrc, DialectProfile } from './dialects/index.js';
import { parseClcc, parseClip } from './health.js';
import type { GsmConnection } from './modem.js';
import { GsmVoicePort } from './voice.js';

export interface GsmCallTimeouts {
  /** After the first RING, wait this long for +CLIP before asking +CLCC. */
  clipWaitMs: number;
  /** An offered call with no RING for this long was abandoned by the caller. */
  ringGoneMs: number;
  /** After our hang-up, wait this long for the modem's end URC. */
  hangupConfirmMs: number;
}

/**
 * Call control on a GSM module: rings and caller ID become an offered leg, answer and dial switch
 * the voice tty on in the dialect's way, call URCs end the leg with the right cause. The leg itself
 * (kept by the session) holds the call's state; here is only the ring before a leg exists.
 */
export class GsmCalls implements ModemCallControl {
  /** A RING seen, caller ID not yet complete: no leg yet. */
  private ring: { number?: string; idx?: number } | undefined;
  private clipTimer: NodeJS.Timeout | undefined;
  private ringGoneTimer: NodeJS.Timeout | undefined;
  /** Releases the setup hold of a dial once the callee answers. */
  private dialHold: (() => void) | undefined;

  constructor(
    private readonly x: ModemCallDeps<GsmConnection> & {
      dialect: DialectProfile;
      t: GsmCallTimeouts;
      /** A fresh echo canceller per call, for modules whose own canceller is off. */
      echo: (() => EchoCanceller) | undefined;
    },
  ) {}

  private get session(): ModemSession<GsmConnection> {
    return this.x.session();
  }

  /** Call URCs common to all dialects; true when the line was one. */
  onUrc(c: GsmConnection, line: string): boolean {
    if (line === 'RING' || line.startsWith('+CRING:')) {
      this.onRing(c);
      return true;
    }
    if (line.startsWith('+CLIP:')) {
      this.onCallerId(c, parseClip(line));
      return true;
    }
    if (line === 'NO CARRIER' || line === 'BUSY' || line === 'NO ANSWER') {
      const cause: EndCause = line === 'BUSY' ? 'busy' : line === 'NO ANSWER' ? 'no-answer' : 'normal';
      this.onCallUrc(c, { type: 'ended', cause, detail: line });
      return true;
    }
    const call = this.x.dialect.parseCallUrc(line);
    if (call) this.onCallUrc(c, call);
    return call !== null;
  }

  /** The connection is going away: forget the ring. */
  release(): void {
    if (this.clipTimer) clearTimeout(this.clipTimer);
    if (this.ringGoneTimer) clearTimeout(this.ringGoneTimer);
    this.clipTimer = this.ringGoneTimer = undefined;
    this.ring = undefined;
  }

  private onRing(c: GsmConnection): void {
    const leg = this.session.leg;
    if (leg) {
      if (leg.state === 'offered') this.armRingGone(leg);
      return;
    }
    if (this.ring) return;
    this.ring = {};
    // Caller ID usually follows the first RING; give it a moment before asking the modem.
    this.clipTimer = setTimeout(() => void this.offerAfterClcc(c), this.x.t.clipWaitMs);
  }

  private onCallerId(c: GsmConnection, number: string | undefined): void {
    if (this.session.leg) return;
    this.ring ??= {};
    if (number) this.ring.number = number;
    this.offer(c);
  }

  private async offerAfterClcc(c: GsmConnection): Promise<void> {
    if (!this.ring || c.dead) return;
    try {
      const r = await c.engine.send('AT+CLCC', { expect: ['+CLCC:'] });
      const call = r.lines.map(parseClcc).find((e) => e && e.dir === 1 && (e.stat === 4 || e.stat === 5));
      if (call?.number && this.ring) this.ring.number = call.number;
      if (call && this.ring) this.ring.idx = call.idx;
    } catch (err) {
      this.x.log.debug({ err: (err as Error).message }, 'CLCC failed');
    }
    this.offer(c);
  }

  private offer(c: GsmConnection): void {
    const ring = this.ring;
    if (!ring || this.session.leg || c.dead) return;
    this.release();
    const leg = new ModemLeg(this, this.x.lineId, 'inbound', ring.number ? { number: ring.number } : {});
    if (ring.idx) leg.callIndex = ring.idx;
    this.session.takeCall(leg);
    this.armRingGone(leg);
    this.x.log.info({ leg: leg.id, from: ring.number }, 'incoming call');
    this.x.incoming(leg);
  }

  private armRingGone(leg: ModemLeg): void {
    if (this.ringGoneTimer) clearTimeout(this.ringGoneTimer);
    this.ringGoneTimer = setTimeout(() => {
      if (this.session.leg === leg && leg.state === 'offered') this.end(leg, { by: 'remote', cause: 'cancelled', detail: 'ringing stopped' });
    }, this.x.t.ringGoneMs);
  }

  private end(leg: ModemLeg, end: LegEnd): void {
    if (this.ringGoneTimer) clearTimeout(this.ringGoneTimer);
    this.session.endLeg(leg, end);
  }

  private onCallUrc(c: GsmConnection, u: CallUrc): void {
    const leg = this.session.leg;
    switch (u.type) {
      case 'incoming':
        return this.onCallerId(c, u.number);
      case 'alerting':
        if (leg?.direction === 'outbound') leg.setRinging();
        return;
      case 'connected':
        if (leg?.direction === 'outbound' && leg.pending) {
          this.startMedia(c, leg).catch((err: Error) => this.end(leg, { by: 'network', cause: 'failed', detail: err.message }));
        }
        return;
      case 'dtmf':
        leg?.receiveDtmf(u.digit);
        return;
      case 'ended':
        if (!leg) {
          this.release();
          return;
        }
        if (leg.localHangupCause !== undefined) this.end(leg, { by: 'local', cause: leg.localHangupCause });
        else this.end(leg, u.detail ? { by: 'remote', cause: leg.state === 'offered' && u.cause === 'normal' ? 'cancelled' : u.cause, detail: u.detail } : { by: 'remote', cause: u.cause });
        void this.voiceOff(c); // best effort: each command's failure is ignored, the next call sets voice up again
    }
  }

  // ---------- ModemCallControl ----------

  /** Quectel and SIMCom report key presses from their own detector; Huawei only in band. */
  get dtmfSource(): DtmfSource {
    return this.x.dialect.dtmfSource;
  }

  async answerLeg(leg: ModemLeg): Promise<void> {
    const c = this.session.connection;
    if (!c || this.session.leg !== leg) throw new LineError('not-ready', 'line is down');
    await this.session.setup(async () => {
      try {
        await c.engine.send('ATA', { callControl: true, timeout: 'normal' });
        if (this.ringGoneTimer) clearTimeout(this.ringGoneTimer);
        await this.startMedia(c, leg);
      } catch (err) {
        this.end(leg, { by: 'network', cause: 'failed', detail: (err as Error).message });
        throw err;
      }
    });
  }

  private async startMedia(c: GsmConnection, leg: ModemLeg): Promise<void> {
    for (const cmd of this.x.dialect.voiceOn) await c.engine.send(cmd);
    if (leg.state === 'ended' || c.dead) return;
    this.dialHold?.();
    this.dialHold = undefined;
    if (!c.voice) throw new LineError('no-media', 'no voice port configured');
    leg.setAnswered(new GsmVoicePort(c.voice, this.x.clock, this.x.echo?.()));
    this.x.log.info({ leg: leg.id }, 'call answered, media up');
  }

  private async voiceOff(c: GsmConnection): Promise<void> {
    for (const cmd of this.x.dialect.voiceOff) await c.engine.send(cmd).catch(() => undefined); // best effort, see the caller
  }

  async hangupLeg(leg: ModemLeg, cause: EndCause): Promise<void> {
    const c = this.session.connection;
    // The modem confirms with an end URC right behind the OK; it must count as our hang-up.
    leg.localHangupCause = cause;
    if (c && this.session.leg === leg) {
      const confirmed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.x.t.hangupConfirmMs);
        leg.once('ended', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await c.engine.send(this.x.dialect.hangup).catch((err: Error) => this.x.log.warn({ err: err.message }, 'hangup command failed'));
      await this.voiceOff(c);
      // Its end URC must not be taken for the end of the next call on the line.
      await confirmed;
    }
    this.end(leg, { by: 'local', cause });
  }

  async sendDtmfOn(leg: ModemLeg, digits: string): Promise<void> {
    const c = this.session.connection;
    if (!c) throw new LineError('not-ready', 'line is down');
    for (const d of digits) {
      if (!/^[0-9*#A-D]$/i.test(d)) throw new LineError('bad-number', `not a DTMF digit: ${d}`);
      await c.engine.send(this.x.dialect.dtmf(leg.callIndex, d.toUpperCase()));
    }
  }

  async dial(target: string, options: DialOptions = {}): Promise<ModemLeg> {
    const c = this.session.ready();
    if (this.session.leg) throw new LineError('busy', `line ${this.x.lineId} is busy`);
    if (!/^\+?[0-9*#]+$/.test(target)) throw new LineError('bad-number', `not a dialable number: ${target}`);
    const leg = new ModemLeg(this, this.x.lineId, 'outbound', { number: target });
    this.session.takeCall(leg);
    // Held from ATD until the callee answers (media up) or the leg ends.
    const release = this.session.holdSetup();
    this.dialHold = release;
    leg.once('ended', release);
    try {
      await c.engine.send(`ATD${target};`, { callControl: true, timeout: 'long' });
    } catch (err) {
      release();
      this.end(leg, { by: 'network', cause: dialFailureCause(err), detail: (err as Error).message });
      return leg;
    }
    this.session.dialTimeout(leg, options.timeoutMs);
    return leg;
  }
}
