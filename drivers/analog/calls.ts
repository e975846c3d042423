import type { EchoCanceller } from '../audio/echo.js';
import { dtmfTones } from '../audio/tones.js';
import type { DialOptions, EndCause, LegEnd } from '../line.js';
import { toFrames } from '../media/format.js';
import { LineError, dialFailureCause } from '../modem/errors.js';
import { ModemLeg } from '../modem/leg.js';
import type { ModemCallControl, ModemCallDeps } from '../modem/line.js';
import type { ModemSession } from '../modem/session.js';
import { CallerIdBlock } from './caller-id.js';
import { ETX } from './dle.js';
import type { VoiceFormat } from './formats.js';
import type { AnalogConnection } from './modem.js';
import { startVoice, toOnHook } from './voice-mode.js';

export interface AnalogCallTimeouts {
  /** An offered call with no RING for this long was abandoned by the caller. */
  ringGoneMs: number;
  /** After the last caller ID line, wait this long for the rest of the block before offering the call. */
  callerIdQuietMs: number;
  /** How long leaving voice mode may take before we insist (<DLE>!) and then give up waiting. */
  voiceExitMs: number;
  /** How long the modem may take to end an aborted dial (NO CARRIER) before it counts as hung. */
  dialAbortMs: number;
}

/** A dial without a ring timeout of its own is given up after this long. */
const DEFAULT_RING_MS = 60_000;

/** <DLE> events that mean the far end is gone: busy tone, dial tone, loop current interruption. */
const FAR_END_GONE: Readonly<Record<string, string>> = { b: 'busy tone', d: 'dial tone', l: 'loop current drop' };

/** <DLE> events by which the modem presumes a hang-up into silence (V.253: s silence, q quiet). */
const SILENCE_EVENTS: Readonly<Record<string, string>> = { s: 'silence', q: 'quiet' };

/**
 * Call control on a voice modem: rings and the caller ID block become an offered leg (answered on
 * the configured ring), off hook and full-duplex voice, the far end's hang-up as the modem reports
 * it, dial-out. The leg (kept by the session) holds the call's state; here is only the ring before it.
 */
export class AnalogCalls implements ModemCallControl {
  /** The incoming call being rung, before and after it is offered. */
  private ringing: { count: number; cid: CallerIdBlock; waiters: (() => void)[] } | undefined;
  private ringTimer: NodeJS.Timeout | undefined;
  private cidTimer: NodeJS.Timeout | undefined;
  /** <DLE>s / <DLE>q in a row on the current call. */
  private silenceEvents = 0;
  dtmfCount = 0;

  /** How long the modem gets to confirm the end of voice mode. */
  get voiceExitMs(): number {
    return this.x.t.voiceExitMs;
  }

  constructor(
    private readonly x: ModemCallDeps<AnalogConnection> & {
      format: () => VoiceFormat | undefined;
      ringsBeforeAnswer: number;
      /** End the call after this many <DLE>s/<DLE>q in a row; 0: ignore them. */
      silenceHangupEvents: number;
      /** A fresh echo canceller per call, when the line has one. */
      echo: (() => EchoCanceller) | undefined;
      t: AnalogCallTimeouts;
    },
  ) {}

  private get session(): ModemSession<AnalogConnection> {
    return this.x.session();
  }

  /** No call and no ring: the keepalive may ping. */
  get idle(): boolean {
    return !this.session.leg && !this.ringing;
  }

  onRing(c: AnalogConnection): void {
    const leg = this.session.leg;
    if (leg && leg.state !== 'offered') return;
    this.ringing ??= { count: 0, cid: new CallerIdBlock(), waiters: [] };
    const r = this.ringing;
    r.count++;
    this.armRingGone();
    this.x.log.debug({ ring: r.count }, 'RING');
    if (r.count >= this.x.ringsBeforeAnswer) {
      this.offer(c);
      for (const w of r.waiters.splice(0)) w();
    }
  }

  onCallerIdLine(c: AnalogConnection, line: string): void {
    if (this.session.leg) return;
    this.ringing ??= { count: 0, cid: new CallerIdBlock(), waiters: [] };
    this.ringing.cid.add(line);
    if (this.cidTimer) clearTimeout(this.cidTimer);
    // NAME closes the block on most modems; otherwise offer once the lines stop coming.
    if (this.ringing.cid.hasName) this.offer(c);
    else this.cidTimer = setTimeout(() => this.offer(c), this.x.t.callerIdQuietMs);
  }

  private offer(c: AnalogConnection): void {
    const r = this.ringing;
    if (!r || this.session.leg || c.dead) return;
    if (this.cidTimer) clearTimeout(this.cidTimer);
    const leg = new ModemLeg(this, this.x.lineId, 'inbound', r.cid.party());
    this.session.takeCall(leg);
    this.x.log.info({ leg: leg.id, from: leg.remote.number, name: leg.remote.name, ring: r.count }, 'incoming call');
    this.x.incoming(leg);
  }

  private armRingGone(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = setTimeout(() => {
      this.ringTimer = undefined;
      const leg = this.session.leg;
      if (leg && leg.state === 'offered') this.end(leg, { by: 'remote', cause: 'cancelled', detail: 'ringing stopped' });
      this.release();
    }, this.x.t.ringGoneMs);
  }

  /** Forget the ring (the connection is going away, or the caller gave up). */
  release(): void {
    this.stopRingTimers();
    const r = this.ringing;
    this.ringing = undefined;
    // Answer waiters look at the leg's state when woken; an ended leg makes them give up.
    for (const w of r?.waiters ?? []) w();
  }

  private stopRingTimers(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (this.cidTimer) clearTimeout(this.cidTimer);
    this.ringTimer = this.cidTimer = undefined;
  }

  private end(leg: ModemLeg, end: LegEnd): void {
    this.session.endLeg(leg, end);
  }

  /** A <DLE> event in the voice stream. */
  onDleEvent(c: AnalogConnection, code: number): void {
    if (code === ETX) return; // the tty router switches modes
    const ch = String.fromCharCode(code);
    const leg = this.session.leg;
    if (/^[0-9*#A-D]$/.test(ch)) {
      this.silenceEvents = 0;
      if (leg?.receiveDtmf(ch)) this.dtmfCount++;
      return;
    }
    const gone = FAR_END_GONE[ch];
    if (gone) return this.farEndGone(c, leg, ch === 'b' && leg?.direction === 'outbound' && leg.state !== 'answered' ? 'busy' : 'normal', `<DLE>${ch} ${gone}`);
    const silence = SILENCE_EVENTS[ch];
    if (silence) {
      this.silenceEvents++;
      this.x.log.debug({ event: ch, inARow: this.silenceEvents }, 'modem reports silence');
      if (this.x.silenceHangupEvents > 0 && this.silenceEvents >= this.x.silenceHangupEvents && leg?.state === 'answered') {
        this.farEndGone(c, leg, 'silence', `<DLE>${ch} ${silence} x${this.silenceEvents}`);
      }
      return;
    }
    // h handset, r ringback, u/o buffer under/overrun: nothing to do.
    this.x.log.debug({ event: ch }, 'voice event');
  }

  private farEndGone(c: AnalogConnection, leg: ModemLeg | undefined, cause: EndCause, detail: string): void {
    if (!leg || leg.localHangupCause !== undefined) return;
    this.end(leg, { by: 'remote', cause, detail });
    void toOnHook(c, this.x.t.voiceExitMs, this.x.log); // toOnHook bounds its waits and logs a failed on-hook
  }

  /** The modem confirmed the end of voice mode; or left it by itself (the line dropped). */
  onVoiceEnded(c: AnalogConnection): void {
    const voice = c.voice;
    c.voice = undefined;
    voice?.close();
    if (c.voiceExit) {
      c.voiceExit.sawEtx = true;
      c.voiceExit.etx();
      return;
    }
    // Not asked for: the modem dropped out of voice mode on its own. Its OK/VCON follows as a URC.
    const leg = this.session.leg;
    if (leg && leg.localHangupCause === undefined) {
      this.end(leg, { by: 'remote', cause: 'normal', detail: 'modem left voice mode' });
      void toOnHook(c, this.x.t.voiceExitMs, this.x.log, true); // toOnHook bounds its waits and logs a failed on-hook
    }
  }

  private async voiceOn(c: AnalogConnection): Promise<void> {
    const f = this.x.format();
    if (!f) throw new LineError('no-media', 'no voice format');
    this.silenceEvents = 0;
    await startVoice(c, f.kind, this.x.clock, this.x.echo?.());
  }

  // ---------- ModemCallControl ----------

  /** V.253 modems report key presses as DLE codes. */
  readonly dtmfSource = 'dle' as const;

  async answerLeg(leg: ModemLeg): Promise<void> {
    const c = this.session.connection;
    if (!c || this.session.leg !== leg) throw new LineError('not-ready', 'line is down');
    // Caller ID comes between the first rings; answering earlier would cut it off. Wait for the configured ring.
    const r = this.ringing;
    if (r && r.count < this.x.ringsBeforeAnswer) await new Promise<void>((resolve) => r.waiters.push(resolve));
    // A closure, so TypeScript does not keep the narrowing across the awaits below.
    const ended = (): boolean => leg.state === 'ended' || c.dead;
    if (ended()) throw new LineError('ended', 'caller hung up before the call was answered');
    await this.session.setup(async () => {
      try {
        // Off hook; ZyXEL-style modems confirm with VCON.
        await c.engine.send('AT+VLS=1', { acceptVcon: true });
        this.stopRingTimers();
        this.ringing = undefined;
        await this.voiceOn(c);
        if (ended() || !c.voice) throw new LineError('ended', 'call ended while answering');
        leg.setAnswered(c.voice);
        this.x.log.info({ leg: leg.id }, 'call answered, voice up');
      } catch (err) {
        this.end(leg, { by: 'network', cause: 'failed', detail: (err as Error).message });
        void toOnHook(c, this.x.t.voiceExitMs, this.x.log); // toOnHook bounds its waits and logs a failed on-hook
        throw err;
      }
    });
  }

  async hangupLeg(leg: ModemLeg, cause: EndCause): Promise<void> {
    const c = this.session.connection;
    leg.localHangupCause = cause;
    const wasOurs = this.session.leg === leg;
    this.end(leg, { by: 'local', cause });
    if (!c || !wasOurs) return;
    // A dial still ringing: abort the pending ATD first (V.250); its final precedes the on-hook below.
    if (c.engine.abortCallControl('ATD', this.x.t.dialAbortMs)) this.x.log.info({ leg: leg.id, cause }, 'dial aborted');
    await toOnHook(c, this.x.t.voiceExitMs, this.x.log);
  }

  /** In-band tones into the call: in full-duplex voice mode the modem takes no AT+VTS. */
  async sendDtmfOn(leg: ModemLeg, digits: string): Promise<void> {
    const m = leg.media;
    if (!m) throw new LineError('no-media', 'no media');
    for (const f of toFrames(dtmfTones(digits))) m.write(Buffer.from(f));
    return Promise.resolve();
  }

  /**
   * Off hook, then ATD<number>; and full-duplex voice once it succeeds. The modem's ringback timers
   * (AT+VRA / AT+VRN, set at init) make it hold ATD's OK until it presumes the callee answered:
   * ringback gone for `ringback_gone` after at least one, or none at all within `ringback_never`.
   * So the leg is 'ringing' while ATD runs and 'answered' when voice is on; BUSY / NO DIALTONE /
   * NO ANSWER end it; the ring timeout hangs up, which aborts the pending ATD (any character,
   * V.250) and puts the modem back on hook. A modem without the timers answers ATD at once: the
   * leg is then answered while the callee's phone still rings (see README).
   */
  async dial(target: string, options: DialOptions = {}): Promise<ModemLeg> {
    const c = this.session.ready();
    if (this.session.leg || this.ringing) throw new LineError('busy', `line ${this.x.lineId} is busy`);
    if (!/^[0-9*#,]+$/.test(target.replace(/^\+/, ''))) throw new LineError('bad-number', `not a dialable number: ${target}`);
    const leg = new ModemLeg(this, this.x.lineId, 'outbound', { number: target });
    this.session.takeCall(leg);
    // Held from off-hook until the callee answered (voice up) or the leg ended.
    const release = this.session.holdSetup();
    leg.once('ended', release);
    try {
      await c.engine.send('AT+VLS=1', { acceptVcon: true });
    } catch (err) {
      release();
      this.end(leg, { by: 'network', cause: dialFailureCause(err), detail: (err as Error).message });
      void toOnHook(c, this.x.t.voiceExitMs, this.x.log); // toOnHook bounds its waits and logs a failed on-hook
      return leg;
    }
    if (leg.state === 'ended') return leg;
    const ringMs = options.timeoutMs ?? DEFAULT_RING_MS;
    // Analog lines dial digits only; a leading + is the installer's E.164 habit. The ring timeout's
    // abort normally ends ATD; its own timeout is only the backstop for a modem that ignores the abort.
    const atd = c.engine.send(`ATD${target.replace(/^\+/, '')};`, { callControl: true, timeout: ringMs + 2 * this.x.t.dialAbortMs });
    leg.setRinging();
    this.session.dialTimeout(leg, ringMs);
    // Both outcomes are handled here; the leg carries the result to whoever dialled.
    void atd.then(
      () => this.calleeAnswered(c, leg, release),
      (err: unknown) => {
        release();
        // Ended already: our hang-up (ring timeout, abort) put the modem on hook.
        if (leg.state === 'ended') return;
        this.end(leg, { by: 'network', cause: dialFailureCause(err), detail: (err as Error).message });
        void toOnHook(c, this.x.t.voiceExitMs, this.x.log); // toOnHook bounds its waits and logs a failed on-hook
      },
    );
    return leg;
  }

  /** ATD's OK: the modem presumes the callee answered. Voice on, then the leg is answered. */
  private calleeAnswered(c: AnalogConnection, leg: ModemLeg, release: () => void): void {
    // An abort that crossed the modem's OK: the hang-up already put the modem on hook.
    if (leg.state === 'ended' || c.dead) return release();
    this.x.log.info({ leg: leg.id }, 'dial answered: the modem presumes the callee picked up');
    this.voiceOn(c)
      .then(() => {
        if (leg.state !== 'ended' && c.voice) leg.setAnswered(c.voice);
      })
      .catch((err: Error) => {
        this.end(leg, { by: 'network', cause: 'failed', detail: err.message });
        void toOnHook(c, this.x.t.voiceExitMs, this.x.log); // toOnHook bounds its waits and logs a failed on-hook
      })
      .finally(release);
  }
}
