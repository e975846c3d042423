import { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import { dtmfTones } from '../../audio/tones.js';
import { MediaClock } from '../../media/clock.js';
import { FRAME_MS, toFrames } from '../../media/format.js';
import { PacedMediaPort } from '../../media/port.js';
import { closeSerial, openSerial } from '../../serial/open.js';
import { TtyPair } from '../../gsm/emulator/pty.js';
import { DLE, DleDecoder, ETX, shield } from '../dle.js';
import { frameBytes, fromS16, parseVsmLine, toS16, type VoiceFormat } from '../formats.js';
import { ChunkAssembler } from '../voice.js';
import { EmulatedEcho } from '../../modem/emulator-echo.js';

/**
 * An emulated V.253 voice modem on the far side of a real tty pair, with the PSTN behind it: it
 * answers the voice command set, rings with a caller ID block, carries DLE-shielded voice both ways
 * in real time in the format the DTE picked with AT+VSM, reports DTMF as <DLE><digit>, and lets the
 * far end hang up (busy tone, dial tone or loop current drop).
 */

/** What `AT+VSM=?` answers by default: a Conexant-style list with every format the driver can use. */
export const DEFAULT_VSM = [
  '128,"8-BIT LINEAR",8,0,(7200,8000,11025),(0),(0)',
  '130,"UNSIGNED PCM",8,0,(8000),(0),(0)',
  '131,"G.711U",8,0,(8000),(0),(0)',
  '132,"G.711A",8,0,(8000),(0),(0)',
  '133,"SIGNED PCM",16,0,(8000),(0),(0)',
  '140,"IMA ADPCM",4,0,(7200,8000,11025),(0),(0)',
];

export interface AnalogEmulatorOptions {
  /** Directory for the tty link: <dir>/modem (the DTE's end) and <dir>/modem.peer. */
  dir: string;
  /** Interval between RINGs (real lines: 4-6 s). */
  ringIntervalMs?: number;
  /** The `AT+VSM=?` answer lines. */
  formats?: string[];
  /**
   * A ZyXEL-style modem: VCON instead of OK for every AT+VLS (off hook and on hook), an answered ATD,
   * and the return to voice command mode (<DLE><ETX> then VCON). Default: OK, as Conexant, Lucent
   * and Rockwell V.253 modems answer.
   */
  vlsVcon?: boolean;
  /** The 2-wire line returns what the DTE sends, this many dB down (e.g. -12); absent: no echo. */
  echoDb?: number;
  /** The callee's ringback cadence on a dial-out (China: 1 s on, 4 s off). */
  ringbackOnMs?: number;
  ringbackOffMs?: number;
  /** A modem without the V.253 ringback timers: AT+VRA / AT+VRN answer ERROR. */
  noRingbackTimers?: boolean;
}

/** What the called party does: pick up (after `answerAfterRingbacks`), be busy, never pick up; or the line is dead. */
export type AnalogDialOutcome = 'answer' | 'busy' | 'no-dialtone' | 'no-answer';

// The same recording and command-log shapes as the GSM emulator (frames as 8 kHz s16le).
export type { RecordedFrame, LoggedCommand } from '../../gsm/emulator/modem.js';
import type { RecordedFrame, LoggedCommand } from '../../gsm/emulator/modem.js';

/**
 * How the far end goes away during a call: busy tone, dial tone, loop current drop; or the line
 * just goes quiet: `silence` (the modem reports <DLE>s every `silenceEveryMs`), `quiet` (<DLE>q
 * once), `nothing` (no event at all: the line stays silent); or `drop`: the modem leaves voice mode
 * by itself with no event before it (<DLE><ETX>, then OK/VCON), as on its +VIT inactivity timer.
 */
export type FarEndGone = 'busy' | 'dialtone' | 'loop' | 'silence' | 'quiet' | 'nothing' | 'drop';

type State = 'idle' | 'ringing' | 'offhook' | 'dialling' | 'call';

/** The far party's voice, paced at 50 frames/s, converted to the chosen format and DLE-shielded. */
class FarVoice extends PacedMediaPort {
  constructor(
    private readonly sink: (b: Buffer) => void,
    private readonly format: () => VoiceFormat,
    clock: MediaClock,
    /** The line's echo of the DTE's audio, mixed into what the far party says. */
    private readonly echo: EmulatedEcho,
  ) {
    super(clock);
    this.startPacing();
  }
  protected sendFrame(frame: Buffer): void {
    this.sink(shield(fromS16(this.echo.mixInto(frame), this.format().kind)));
  }
}

export interface AnalogModemEvents {
  command: [line: string];
}

export class AnalogModemEmulator extends EventEmitter<AnalogModemEvents> {
  readonly pair: TtyPair;
  private port: SerialPort | undefined;
  private readonly ringIntervalMs: number;
  private readonly offered: VoiceFormat[];
  private readonly vsmLines: string[];
  private echo = true;
  private fclass = 0;
  private vcid = 0;
  private format: VoiceFormat;
  state: State = 'idle';
  /** True while DLE-shielded voice flows (after AT+VTR). */
  voiceOn = false;
  private inbuf = '';
  private ringTimers: NodeJS.Timeout[] = [];
  /**
   * The modem's own clock. A modem's DSP never stalls: when this process does, every tick it missed
   * is made up (frames sent in a burst, the playout buffer drained), where a MediaClock would drop
   * them. Else a stall would silently take frames out of both directions of the line at once.
   */
  private readonly clock = new MediaClock(FRAME_MS, 1000);
  private far: FarVoice | undefined;
  private rx: ChunkAssembler | undefined;
  private readonly decoder: DleDecoder;
  /** What the DTE sent during calls, as s16le frames with arrival times. Bounded to 5 minutes. */
  readonly recording: RecordedFrame[] = [];
  /** DLE codes the DTE sent in voice mode (ETX = 3, '!' = 33). */
  readonly dleFromDte: number[] = [];
  readonly commands: LoggedCommand[] = [];
  /** What ATD does: the callee answers, the line is busy, nobody answers, or there is no dial tone. */
  dialOutcome: AnalogDialOutcome = 'answer';
  /** Per dialled number (as sent in ATD), overriding dialOutcome. */
  readonly dialOutcomes = new Map<string, AnalogDialOutcome>();
  /** An answering callee picks up after this many ringbacks (0: before the first). */
  answerAfterRingbacks = 2;
  /** Ringbacks heard on the current / last dial. */
  ringbacks = 0;
  /** Dials the DTE aborted by sending a character while ATD ran. */
  dialAborts = 0;
  /** AT+VRA (0.1 s) / AT+VRN (1 s) as the DTE set them; unset: ATD's OK comes right after dialling. */
  vra: number | undefined;
  vrn: number | undefined;
  private readonly ringbackOnMs: number;
  private readonly ringbackOffMs: number;
  private readonly noRingbackTimers: boolean;
  /** The number the DTE last dialled. */
  dialled: string | undefined;
  rings = 0;
  unplugged = false;
  /** ZyXEL-style: AT+VLS, an answered ATD and the end of voice mode answered with VCON (settable between calls). */
  vlsVcon: boolean;
  /** How often a silent line repeats <DLE>s (hangup('silence')). */
  silenceEveryMs = 1000;
  /** Echo level in dB (negative), or undefined for a line without echo. Settable between calls. */
  echoDb: number | undefined;
  /** The line's echo path, played out on the modem's own clock. */
  private readonly lineEcho = new EmulatedEcho();
  /** Echo frames played and their energy (for ERLE); how often the playout ran dry (the echo delay moved). */
  get echoStats(): EmulatedEcho['stats'] {
    return this.lineEcho.stats;
  }
  private closed = false;

  constructor(opts: AnalogEmulatorOptions) {
    super();
    this.pair = new TtyPair(`${opts.dir}/modem`);
    this.ringIntervalMs = opts.ringIntervalMs ?? 1000;
    this.vsmLines = opts.formats ?? DEFAULT_VSM;
    this.vlsVcon = opts.vlsVcon ?? false;
    this.echoDb = opts.echoDb;
    this.ringbackOnMs = opts.ringbackOnMs ?? 1000;
    this.ringbackOffMs = opts.ringbackOffMs ?? 4000;
    this.noRingbackTimers = opts.noRingbackTimers ?? false;
    this.offered = this.vsmLines.map(parseVsmLine).filter((f): f is VoiceFormat => f !== undefined);
    this.format = this.offered[0] ?? { cml: 128, name: '8-BIT LINEAR', kind: 'u8' };
    this.decoder = new DleDecoder({ data: (b) => this.onVoiceBytes(b), event: (c) => this.dleFromDte.push(c) }, [ETX, 0x21]);
  }

  /** The tty the daemon opens. */
  get path(): string {
    return this.pair.path;
  }

  /** The format the DTE chose with AT+VSM. */
  get chosenFormat(): VoiceFormat {
    return this.format;
  }

  async start(): Promise<void> {
    await this.pair.start();
    this.port = await openSerial(this.pair.peer);
    this.port.on('data', (b: Buffer) => this.onData(b));
    // socat going away (unplug) closes our end too; that is expected.
    this.port.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.toIdle();
    await closeSerial(this.port);
    await this.pair.stop();
  }

  // ---------- scripted control ----------

  /** An incoming call: RING every interval, the caller ID block between the first two (when AT+VCID=1). */
  ring(number?: string, name?: string): void {
    if (this.state !== 'idle') throw new Error(`line busy (${this.state})`);
    this.state = 'ringing';
    this.rings = 0;
    const ringOnce = (): void => {
      if (this.state !== 'ringing') return;
      this.rings++;
      this.line('RING');
      if (this.rings === 1 && this.vcid) {
        this.ringTimers.push(
          setTimeout(() => {
            if (this.state !== 'ringing') return;
            const d = new Date();
            const p2 = (n: number): string => String(n).padStart(2, '0');
            this.line(`DATE = ${p2(d.getMonth() + 1)}${p2(d.getDate())}`, `TIME = ${p2(d.getHours())}${p2(d.getMinutes())}`, `NMBR = ${number ?? 'P'}`, ...(name !== undefined ? [`NAME = ${name}`] : []));
          }, this.ringIntervalMs / 2),
        );
      }
    };
    ringOnce();
    const iv = setInterval(ringOnce, this.ringIntervalMs);
    this.ringTimers.push(iv);
  }

  /** The far party speaks: s16le 8 kHz, queued into the voice stream (silence when the queue is empty). */
  play(pcm: Buffer): number {
    if (!this.far) throw new Error('no call with voice on');
    const frames = toFrames(pcm);
    for (const f of frames) this.far.write(Buffer.from(f));
    return frames.length;
  }

  stopPlaying(): void {
    this.far?.clear();
  }

  /** The far party presses keys: reported as <DLE><digit> (the modem's detector) and/or heard in band. */
  dtmf(digits: string, how: { event?: boolean; inBand?: boolean } = {}): void {
    if (how.event !== false) for (const d of digits) this.dleEvent(d);
    if (how.inBand !== false && this.far) this.play(dtmfTones(digits));
  }

  /** Send any <DLE><code> event in the voice stream. */
  dleEvent(code: string): void {
    if (!this.voiceOn) throw new Error('voice is off');
    this.write(Buffer.from([DLE, code.charCodeAt(0)]));
  }

  /**
   * The far end hangs up. While ringing: the rings stop. In a call the modem reports it the way the
   * line shows it: `busy` (<DLE>b, the exchange's busy tone), `dialtone` (<DLE>d) or `loop` (<DLE>l and
   * the modem drops out of voice mode by itself).
   */
  hangup(how: FarEndGone = 'busy'): void {
    if (this.state === 'ringing') return this.toIdle();
    if (!this.voiceOn) {
      this.state = this.state === 'call' ? 'offhook' : this.state;
      return;
    }
    this.far?.clear();
    this.state = 'offhook';
    if (how === 'nothing') return;
    if (how === 'quiet') return this.dleEvent('q');
    if (how === 'silence') {
      const every = (): void => {
        if (!this.voiceOn) return;
        this.dleEvent('s');
        this.ringTimers.push(setTimeout(every, this.silenceEveryMs));
      };
      return every();
    }
    if (how === 'drop') return this.leaveVoice();
    if (how === 'loop') {
      this.write(Buffer.from([DLE, 0x6c]));
      this.leaveVoice();
    } else this.dleEvent(how === 'busy' ? 'b' : 'd');
  }

  /** The USB device disappears (the tty vanishes); after `ms` it comes back, reset. */
  async unplug(ms?: number): Promise<void> {
    this.unplugged = true;
    this.toIdle();
    await closeSerial(this.port);
    await this.pair.stop();
    this.port = undefined;
    if (ms !== undefined) setTimeout(() => void this.replug(), ms);
  }

  async replug(): Promise<void> {
    if (!this.unplugged || this.closed) return;
    this.unplugged = false;
    this.reset();
    await this.start();
  }

  clearRecording(): void {
    this.recording.length = 0;
  }

  /** Frames the DTE sent, and the worst lateness against a drift-free 50 Hz schedule. */
  recordingStats(): { frames: number; durationMs: number; maxLateMs: number } {
    const r = this.recording;
    if (r.length === 0) return { frames: 0, durationMs: 0, maxLateMs: 0 };
    let anchor = r[0]!.at;
    for (let k = 0; k < r.length; k++) anchor = Math.min(anchor, r[k]!.at - k * 20);
    let maxLate = 0;
    for (let k = 0; k < r.length; k++) maxLate = Math.max(maxLate, r[k]!.at - (anchor + k * 20));
    return { frames: r.length, durationMs: r[r.length - 1]!.at - r[0]!.at, maxLateMs: Math.round(maxLate) };
  }

  // ---------- the tty ----------

  private write(b: Buffer): void {
    if (this.port?.isOpen) this.port.write(b);
  }

  private line(...lines: string[]): void {
    this.write(Buffer.from(lines.map((l) => `\r\n${l}\r\n`).join(''), 'latin1'));
  }

  private onData(chunk: Buffer): void {
    // V.250: any character while a dial is in progress aborts it; the modem hangs up, NO CARRIER.
    if (this.state === 'dialling') {
      this.dialAborts++;
      this.toIdle();
      this.line('NO CARRIER');
      return;
    }
    let off = 0;
    while (off < chunk.length) {
      if (this.voiceOn) {
        const end = this.decoder.push(off === 0 ? chunk : chunk.subarray(off));
        if (end < 0) return;
        off += end;
        this.leaveVoice();
        continue;
      }
      this.onText(chunk.subarray(off).toString('latin1'));
      return;
    }
  }

  private onText(text: string): void {
    // Control bytes (a late <DLE><ETX> after we already left voice mode) are not commands.
    this.inbuf += text.replace(/[\x00-\x09\x0b\x0c\x0e-\x1f]/g, '');
    if (this.inbuf.length > 4096) this.inbuf = this.inbuf.slice(-256);
    for (;;) {
      const i = this.inbuf.search(/[\r\n]/);
      if (i < 0) return;
      const cmd = this.inbuf.slice(0, i).trim();
      this.inbuf = this.inbuf.slice(i + 1);
      if (cmd) this.onCommand(cmd);
      // AT+VTR switched to voice: the rest of the buffer (if any) is not text.
      if (this.voiceOn) {
        this.inbuf = '';
        return;
      }
    }
  }

  private onCommand(raw: string): void {
    this.commands.push({ at: performance.now(), line: raw });
    if (this.commands.length > 5000) this.commands.splice(0, 1000);
    this.emit('command', raw);
    if (this.echo) this.write(Buffer.from(`${raw}\r`, 'latin1'));
    const up = raw.toUpperCase();
    const ok = (...lines: string[]): void => this.line(...lines, 'OK');
    const err = (final = 'ERROR'): void => this.line(final);
    let m: RegExpExecArray | null;
    if (up === 'AT') return ok();
    if (up === 'ATZ' || up === 'ATZ0') {
      this.reset();
      return ok();
    }
    if (up === 'ATE0' || up === 'ATE1') {
      this.echo = up === 'ATE1';
      return ok();
    }
    if ((m = /^AT\+FCLASS=(\d+(?:\.\d)?)$/.exec(up))) {
      const c = Number(m[1]);
      if (c !== 0 && c !== 1 && c !== 8) return err();
      this.fclass = c;
      return ok();
    }
    if (up === 'AT+FCLASS?') return ok(String(this.fclass));
    if (up === 'AT+FCLASS=?') return ok('0,1,8');
    if (this.fclass !== 8 && /^AT\+V/.test(up)) return err();
    if ((m = /^AT\+VCID=([012])$/.exec(up))) {
      this.vcid = Number(m[1]);
      return ok();
    }
    if (up === 'AT+VSM=?') return ok(...this.vsmLines);
    if ((m = /^AT\+VSM=(\d+)(?:,(\d+))?/.exec(up))) {
      const f = this.offered.find((o) => o.cml === Number(m![1]));
      if (!f || (m[2] !== undefined && m[2] !== '8000')) return err();
      this.format = f;
      return ok();
    }
    if (up === 'AT+VLS=?') return ok('0,"",B0000000,B0000000,B0000000', '1,"T",B0000000,B0000000,B0000000');
    if (up === 'AT+VLS=1') {
      if (this.state === 'ringing') {
        this.stopRinging();
        this.state = 'call';
      } else if (this.state === 'idle') this.state = 'offhook';
      return this.vlsVcon ? this.line('VCON') : ok();
    }
    if (up === 'AT+VLS=0') {
      this.toIdle();
      return this.vlsVcon ? this.line('VCON') : ok();
    }
    if (up === 'ATH' || up === 'ATH0') {
      this.toIdle();
      return ok();
    }
    if ((m = /^AT\+VR([AN])=(\d+)$/.exec(up))) {
      const v = Number(m[2]);
      if (this.noRingbackTimers || v > 255) return err();
      if (m[1] === 'A') this.vra = v;
      else this.vrn = v;
      return ok();
    }
    if ((m = /^AT\+VR([AN])\?$/.exec(up))) return this.noRingbackTimers ? err() : ok(String((m[1] === 'A' ? this.vra : this.vrn) ?? 0));
    if ((m = /^ATDT?([0-9*#,]+);?$/.exec(up))) return this.dial(m[1]!);
    if (/^AT\+VTS=/.test(up)) return this.state === 'call' ? ok() : err();
    if (up === 'AT+VTR') {
      if (this.state !== 'call') return err();
      return this.startVoice();
    }
    return err();
  }

  private dial(number: string): void {
    if (this.state === 'ringing' || this.state === 'call' || this.state === 'dialling') return this.line('ERROR');
    this.state = 'dialling';
    this.dialled = number;
    this.ringbacks = 0;
    const outcome = this.dialOutcomes.get(number) ?? this.dialOutcome;
    const later = (ms: number, fn: () => void): void => {
      this.ringTimers.push(
        setTimeout(() => {
          if (this.state === 'dialling') fn();
        }, ms),
      );
    };
    const answered = (): void => {
      this.state = 'call';
      this.line(this.vlsVcon ? 'VCON' : 'OK');
    };
    // Without the ringback timers set the modem cannot wait for the callee: OK right after dialling.
    const timers = this.vra !== undefined || this.vrn !== undefined;
    const vraMs = (this.vra ?? 0) * 100;
    const vrnMs = (this.vrn ?? 0) * 1000;
    const ringback = (): void => {
      this.ringbacks++;
      // V.253: AT+VRA=0 reports OK right after the first ringback.
      if (vraMs === 0) return later(this.ringbackOnMs, answered);
      later(this.ringbackOnMs, () => {
        // Silence after this ringback: the callee picked up, or the pause before the next ring. The
        // modem presumes an answer after vraMs of it, so a timer shorter than the pause misfires.
        const picksUp = outcome === 'answer' && this.ringbacks >= this.answerAfterRingbacks;
        if (picksUp || vraMs < this.ringbackOffMs) later(vraMs, answered);
        else later(this.ringbackOffMs, ringback);
      });
    };
    // Dialling the digits takes a moment; then the exchange answers with busy, ringback, or nothing.
    later(300, () => {
      if (outcome === 'busy' || outcome === 'no-dialtone') {
        this.toIdle();
        return this.line(outcome === 'busy' ? 'BUSY' : 'NO DIALTONE');
      }
      if (!timers || vrnMs === 0) return answered();
      // A callee picking up before the first ring: no ringback ever, the modem waits vrnMs.
      if (outcome === 'answer' && this.answerAfterRingbacks === 0) return later(vrnMs, answered);
      ringback();
    });
  }

  private startVoice(): void {
    this.line('CONNECT');
    this.voiceOn = true;
    this.decoder.reset();
    this.rx = new ChunkAssembler(frameBytes(this.format.kind));
    this.lineEcho.reset();
    this.far = new FarVoice(
      (b) => this.write(b),
      () => this.format,
      this.clock,
      this.lineEcho,
    );
  }

  /** The DTE ended voice mode (or the line dropped): confirm with <DLE><ETX> and OK (ZyXEL: VCON). */
  private leaveVoice(): void {
    if (!this.voiceOn) return;
    this.voiceOn = false;
    this.far?.close();
    this.far = undefined;
    this.rx = undefined;
    this.write(Buffer.from([DLE, ETX]));
    this.line(this.vlsVcon ? 'VCON' : 'OK');
  }

  private onVoiceBytes(b: Buffer): void {
    const now = performance.now();
    this.rx?.push(b, (f) => {
      const pcm = Buffer.from(toS16(f, this.format.kind));
      this.recording.push({ at: now, frame: pcm });
      if (this.recording.length > 15000) this.recording.splice(0, 1000);
      if (this.echoDb !== undefined) this.lineEcho.push(pcm, this.echoDb);
    });
  }

  private stopRinging(): void {
    for (const t of this.ringTimers) clearTimeout(t);
    this.ringTimers = [];
  }

  private toIdle(): void {
    this.stopRinging();
    this.voiceOn = false;
    this.far?.close();
    this.far = undefined;
    this.rx = undefined;
    this.state = 'idle';
  }

  private reset(): void {
    this.toIdle();
    this.echo = true;
    this.fclass = 0;
    this.vcid = 0;
    this.vra = this.vrn = undefined;
    this.inbuf = '';
  }
}
