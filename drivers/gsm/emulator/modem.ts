import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { FRAME_MS, toFrames } from '../../media/format.js';
import { MediaClock } from '../../media/clock.js';
import { PacedMediaPort } from '../../media/port.js';
import { openSerial } from '../../serial/open.js';
import { closePort as closeSerial, streamPortPair, type ModemPort } from '../../modem/port.js';
import type { DialectName } from '../dialects/types.js';
import { FrameAssembler } from '../voice.js';
import { decodeSubmit, encodeDeliver, encodeStatusReport } from '../sms/pdu.js';
import { SMS_DURING_CALL } from '../sms/capability.js';
import { EMULATED, type EmulatedDialect } from './formats.js';
import { TtyPair } from './pty.js';
import { EmulatedEcho } from '../../modem/emulator-echo.js';

/**
 * An emulated GSM modem on the far side of two real ttys (AT and voice). It answers the AT dialect
 * of a Huawei, Quectel or SIMCom module, rings with caller ID, carries PCM in real time, stores and
 * delivers SMS, and injects the faults seen in the field.
 */

export interface ModemIdentity {
  imei: string;
  imsi: string;
  iccid: string;
  operator: string;
  /** Own number: SMS sent to it come back as incoming SMS (loopback, like a real SIM). */
  msisdn: string;
  /** 0..31, 99 unknown. */
  csq: number;
}

export interface EmulatorOptions extends Partial<ModemIdentity> {
  dialect: DialectName;
  /** Directory for the tty links: <dir>/at and <dir>/voice. */
  dir: string;
  sim?: 'ready' | 'pin' | 'missing';
  pin?: string;
  /** Interval between RINGs. */
  ringIntervalMs?: number;
  /** How long a reset (AT+CFUN=1,1) takes: the modem ignores commands, then says its boot URCs. Default 500. */
  bootMs?: number;
  /** Run over in-process streams instead of socat tty pairs (see attachStreams). */
  transport?: 'pty' | 'stream';
  /** The call returns what the DTE sends, this many dB down (a module with its own canceller off, e.g. -12); absent: no echo. */
  echoDb?: number;
}

export interface RecordedFrame {
  /** performance.now() at arrival (ms). */
  at: number;
  frame: Buffer;
}

/** One AT+CMGS the daemon made: the exact PDU bytes, and what the modem answered. */
export interface SubmittedPdu {
  at: number;
  /** The hex exactly as written after the "> " prompt. */
  hex: string;
  /** The length given in AT+CMGS=<n>. */
  declaredLength: number;
  /** Message reference answered (+CMGS: <mr>); undefined when refused. */
  mr?: number;
  /** A voice call was up on this modem when it was sent. */
  duringCall: boolean;
  refused?: string;
}

export interface LoggedCommand {
  at: number;
  line: string;
}

type CallState = 'idle' | 'incoming' | 'dialing' | 'active';

/** Emulator-side voice stream: what the caller says, paced at 50 Hz like a real modem. */
class CallerVoice extends PacedMediaPort {
  constructor(
    private readonly sink: () => ModemPort | undefined,
    clock: MediaClock,
    /** The call's echo of the DTE's audio, mixed into what the caller says. */
    private readonly echo: EmulatedEcho,
  ) {
    super(clock);
    this.startPacing();
  }
  protected sendFrame(frame: Buffer): void {
    const p = this.sink();
    if (p?.isOpen) p.write(this.echo.mixInto(frame));
  }
  inject(frame: Buffer): void {
    this.receive(frame);
  }
}

export interface ModemEvents {
  command: [line: string];
  log: [msg: string];
}

export class ModemEmulator extends EventEmitter<ModemEvents> {
  readonly atPair: TtyPair;
  readonly voicePair: TtyPair;
  private at: ModemPort | undefined;
  private voice: ModemPort | undefined;
  private readonly d: EmulatedDialect;
  readonly id: ModemIdentity;
  sim: 'ready' | 'pin' | 'missing';
  private pin: string;
  private echo = true;
  private cmee = 0;
  private inbuf = '';
  /** Set while collecting an SMS PDU after the "> " prompt. */
  private smsPromptLen: number | undefined;
  private call: { state: CallState; number: string; dir: 'in' | 'out'; since: number } = { state: 'idle', number: '', dir: 'in', since: 0 };
  private ringTimer: NodeJS.Timeout | undefined;
  private voiceOn = false;
  private callerVoice: CallerVoice | undefined;
  /** The modem's own clock: its DSP never stalls, so ticks this process missed are made up (as the analog emulator's). */
  private readonly clock = new MediaClock(FRAME_MS, 1000);
  private readonly rxAssembler = new FrameAssembler();
  /** What the daemon sent on the voice tty during calls. Bounded to 5 minutes. */
  readonly recording: RecordedFrame[] = [];
  readonly commands: LoggedCommand[] = [];
  /** Echo level in dB (negative), or undefined for no echo. Settable between calls. */
  echoDb: number | undefined;
  private readonly callEcho = new EmulatedEcho();
  /** Echo frames played and their energy (for ERLE); how often the playout ran dry (the echo delay moved). */
  get echoStats(): EmulatedEcho['stats'] {
    return this.callEcho.stats;
  }
  private readonly slots = new Map<number, string>();
  readonly sentSms: { to: string; text: string; parts: number }[] = [];
  readonly submittedPdus: SubmittedPdu[] = [];
  /** Delivery reports for messages that ask for one: the TP-ST sent back, or none at all. */
  reportStatus: number | 'none' = 0;
  reportDelayMs = 300;
  /** The next n AT+CMGS are refused with +CMS ERROR (network trouble). */
  failSubmits = 0;
  /** CNMI ds: 2 stores delivery reports and announces them with +CDSI. */
  private cnmiDs = 0;
  private readonly sentParts = new Map<string, Map<number, string>>();
  private mr = 0;
  // Faults
  muted = false;
  /** The hang survives a reset: the modem boots and stays hung. */
  private hungForGood = false;
  /** Rebooting: commands are ignored until the boot URCs. */
  booting = false;
  /** Resets (AT+CFUN=1,1) received, and when. */
  readonly resets: number[] = [];
  private readonly bootMs: number;
  private readonly transport: 'pty' | 'stream';
  /** The daemon's ends when running over streams. */
  streamPorts: { at: ModemPort; voice: ModemPort } | undefined;
  private muteTimer: NodeJS.Timeout | undefined;
  private interleave: string[] = [];
  private readonly delays: { prefix: string; ms: number }[] = [];
  dialOutcome: 'answer' | 'busy' | 'no-answer' = 'answer';
  /** How long after ATD the far end answers or is busy (it alerts at 300 ms). */
  dialAnswerMs = 1000;
  /** Per dialled number, instead of dialOutcome (a campaign's busy contact). */
  readonly dialOutcomes = new Map<string, 'answer' | 'busy' | 'no-answer'>();
  private dialTimers: NodeJS.Timeout[] = [];
  private readonly ringIntervalMs: number;
  private readonly dialect: DialectName;
  unplugged = false;
  private closed = false;

  constructor(opts: EmulatorOptions) {
    super();
    this.d = EMULATED[opts.dialect];
    this.dialect = opts.dialect;
    this.atPair = new TtyPair(`${opts.dir}/at`);
    this.voicePair = new TtyPair(`${opts.dir}/voice`);
    this.id = {
      imei: opts.imei ?? '867223020000001',
      imsi: opts.imsi ?? '460001234567890',
      iccid: opts.iccid ?? '89860012345678901234',
      operator: opts.operator ?? 'CHINA MOBILE',
      msisdn: opts.msisdn ?? '+8613900000000',
      csq: opts.csq ?? 20,
    };
    this.sim = opts.sim ?? 'ready';
    this.pin = opts.pin ?? '1234';
    this.ringIntervalMs = opts.ringIntervalMs ?? 3000;
    this.bootMs = opts.bootMs ?? 500;
    this.transport = opts.transport ?? 'pty';
    this.echoDb = opts.echoDb;
  }

  /**
   * In-process transport: the daemon's ends of two stream pipes (AT and voice). A line opens them
   * through its injected opener by the paths in `paths`.
   */
  private attachStreams(): void {
    const [atDte, atDce] = streamPortPair();
    const [voiceDte, voiceDce] = streamPortPair();
    this.at = atDce;
    this.voice = voiceDce;
    this.streamPorts = { at: atDte, voice: voiceDte };
  }

  /** An opener for a line running over this emulator's streams. */
  readonly openStream = (path: string): Promise<ModemPort> => {
    const p = this.streamPorts;
    if (!p || this.unplugged) return Promise.reject(new Error(`${path}: no such device`));
    if (path === this.paths.at) return Promise.resolve(p.at);
    if (path === this.paths.voice) return Promise.resolve(p.voice);
    return Promise.reject(new Error(`${path}: no such device`));
  };

  get paths(): { at: string; voice: string } {
    return { at: this.atPair.path, voice: this.voicePair.path };
  }

  async start(): Promise<void> {
    if (this.transport === 'stream') this.attachStreams();
    else {
      await Promise.all([this.atPair.start(), this.voicePair.start()]);
      this.at = await openSerial(this.atPair.peer);
      this.voice = await openSerial(this.voicePair.peer);
    }
    const { at, voice } = this;
    if (!at || !voice) throw new Error('emulator ports not open');
    at.on('data', (b: Buffer) => this.onAtData(b));
    voice.on('data', (b: Buffer) => this.onVoiceData(b));
    // socat going away (unplug) closes our ends too; that is expected.
    at.on('error', () => undefined);
    voice.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.endCall();
    if (this.muteTimer) clearTimeout(this.muteTimer);
    await Promise.all([closeSerial(this.at), closeSerial(this.voice)]);
    if (this.transport === 'pty') await Promise.all([this.atPair.stop(), this.voicePair.stop()]);
  }

  // ---------- control ----------

  /** Start an incoming call. `clip: false` withholds +CLIP so the daemon has to ask +CLCC. */
  ring(number: string, clip = true): void {
    if (this.call.state !== 'idle') throw new Error(`call in progress (${this.call.state})`);
    this.call = { state: 'incoming', number, dir: 'in', since: Date.now() };
    this.urc(...this.d.incoming(number));
    const once = () => {
      if (this.call.state !== 'incoming') return;
      this.urc('RING');
      if (clip) this.urc(this.d.clip(number));
    };
    once();
    this.ringTimer = setInterval(once, this.ringIntervalMs);
  }

  /** The caller hangs up. */
  hangup(): void {
    if (this.call.state === 'idle') return;
    const secs = Math.round((Date.now() - this.call.since) / 1000);
    const wasIncoming = this.call.state === 'incoming';
    this.endCall();
    this.urc(...(wasIncoming ? this.d.remoteHangup(0) : this.d.remoteHangup(secs)));
  }

  /** Queue caller audio (s16le 8 kHz) into the voice stream; silence is sent when the queue is empty. */
  play(pcm: Buffer): number {
    const frames = toFrames(pcm);
    if (!this.callerVoice) throw new Error('no call with voice on');
    for (const f of frames) this.callerVoice.write(f);
    return frames.length;
  }

  stopPlaying(): void {
    this.callerVoice?.clear();
  }

  /** The modem's own DTMF detector fires (Quectel/SIMCom); in-band tones are sent with play(). */
  dtmfUrc(digit: string): void {
    if (this.d.dtmf) this.urc(this.d.dtmf(digit));
  }

  /** A message arrives from the network: stored in SIM slots, one +CMTI per part. */
  deliverSms(from: string, text: string): number[] {
    const slots: number[] = [];
    for (const pdu of encodeDeliver(from, text)) {
      let slot = 0;
      while (this.slots.has(slot)) slot++;
      this.slots.set(slot, pdu);
      slots.push(slot);
      this.urc(`+CMTI: "SM",${slot}`);
    }
    return slots;
  }

  get storedSms(): number {
    return this.slots.size;
  }

  urc(...lines: string[]): void {
    for (const l of lines) this.writeAt(`\r\n${l}\r\n`);
  }

  garbage(bytes: number, withLineEnds = false): void {
    let b = randomBytes(bytes);
    if (!withLineEnds) b = Buffer.from(b.map((x) => (x === 0x0d || x === 0x0a ? 0x2e : x)));
    this.writeAtRaw(b);
  }

  /**
   * Stop answering AT commands (a hung modem). AT+CFUN=1,1 still reboots it, as on real hardware,
   * unless `survivesReset`: then it boots and is hung again (until unmute()).
   */
  mute(ms?: number, survivesReset = false): void {
    this.muted = true;
    this.hungForGood = survivesReset;
    if (this.muteTimer) clearTimeout(this.muteTimer);
    if (ms) this.muteTimer = setTimeout(() => (this.muted = false), ms);
  }

  unmute(): void {
    this.muted = false;
    this.hungForGood = false;
  }

  /** Insert these URCs between the info lines and the final result of the next answer that has info lines. */
  interleaveNext(...urcs: string[]): void {
    this.interleave.push(...urcs);
  }

  delay(prefix: string, ms: number): void {
    this.delays.push({ prefix, ms });
  }

  /** The USB device disappears (ttys vanish); after `ms` it comes back, rebooted. */
  async unplug(ms?: number): Promise<void> {
    this.unplugged = true;
    this.endCall();
    await Promise.all([closeSerial(this.at), closeSerial(this.voice)]);
    if (this.transport === 'pty') await Promise.all([this.atPair.stop(), this.voicePair.stop()]);
    this.at = this.voice = undefined;
    if (ms !== undefined) setTimeout(() => void this.replug(), ms);
  }

  async replug(): Promise<void> {
    if (!this.unplugged || this.closed) return;
    this.unplugged = false;
    this.reboot();
    await this.start();
  }

  setSim(state: 'ready' | 'pin' | 'missing'): void {
    this.sim = state;
  }

  /** Frames the daemon sent, with arrival times; and a summary for tests. */
  recordingStats(): { frames: number; durationMs: number; maxLateMs: number } {
    const r = this.recording;
    if (r.length === 0) return { frames: 0, durationMs: 0, maxLateMs: 0 };
    const t0 = r[0]!.at;
    let maxLate = 0;
    // Lateness against a drift-free 50 Hz schedule anchored at the earliest-looking frame.
    let anchor = t0;
    for (let k = 0; k < r.length; k++) anchor = Math.min(anchor, r[k]!.at - k * 20);
    for (let k = 0; k < r.length; k++) maxLate = Math.max(maxLate, r[k]!.at - (anchor + k * 20));
    return { frames: r.length, durationMs: r[r.length - 1]!.at - t0, maxLateMs: Math.round(maxLate) };
  }

  clearRecording(): void {
    this.recording.length = 0;
  }

  // ---------- AT side ----------

  private writeAt(s: string): void {
    this.writeAtRaw(Buffer.from(s, 'latin1'));
  }

  private writeAtRaw(b: Buffer): void {
    if (this.at?.isOpen) this.at.write(b);
  }

  private onAtData(b: Buffer): void {
    this.inbuf += b.toString('latin1');
    if (this.inbuf.length > 65536) this.inbuf = this.inbuf.slice(-4096);
    for (;;) {
      if (this.smsPromptLen !== undefined) {
        const z = this.inbuf.indexOf('\x1a');
        if (z < 0) return;
        const pdu = this.inbuf.slice(0, z).trim();
        this.inbuf = this.inbuf.slice(z + 1);
        this.onSmsPdu(pdu);
        continue;
      }
      const i = this.inbuf.search(/[\r\n]/);
      if (i < 0) return;
      const line = this.inbuf.slice(0, i).trim();
      this.inbuf = this.inbuf.slice(i + 1);
      if (line) this.onCommand(line);
    }
  }

  private onCommand(line: string): void {
    this.commands.push({ at: performance.now(), line });
    if (this.commands.length > 5000) this.commands.splice(0, 1000);
    this.emit('command', line);
    if (/^AT\+CFUN=1,1$/i.test(line)) this.resets.push(performance.now());
    if (this.booting) return;
    if (this.muted) {
      if (/^AT\+CFUN=1,1$/i.test(line)) setTimeout(() => this.reboot(), 100);
      return;
    }
    if (this.echo) this.writeAt(`${line}\r`);
    const delay = this.delays.findIndex((d) => line.toUpperCase().startsWith(d.prefix.toUpperCase()));
    if (delay >= 0) {
      const { ms } = this.delays.splice(delay, 1)[0]!;
      setTimeout(() => this.execute(line), ms);
    } else this.execute(line);
  }

  /** Reset: calls drop, settings return to defaults; the modem ignores input while it boots, then says so. */
  private reboot(): void {
    this.endCall();
    this.muted = this.hungForGood;
    this.echo = true;
    this.cmee = 0;
    this.inbuf = '';
    this.smsPromptLen = undefined;
    this.booting = true;
    setTimeout(() => {
      this.booting = false;
      if (!this.closed) this.urc(...this.d.boot);
    }, this.bootMs);
  }

  private respond(lines: string[], final = 'OK'): void {
    let out = '';
    for (const l of lines) out += `\r\n${l}\r\n`;
    if (lines.length > 0 && this.interleave.length > 0) {
      for (const u of this.interleave.splice(0)) out += `\r\n${u}\r\n`;
    }
    out += `\r\n${final}\r\n`;
    this.writeAt(out);
  }

  private cmeError(code: number, text: string): string {
    if (this.cmee === 2) return `+CME ERROR: ${text}`;
    if (this.cmee === 1) return `+CME ERROR: ${code}`;
    return 'ERROR';
  }

  private simError(): string | undefined {
    if (this.sim === 'missing') return this.cmeError(10, 'SIM not inserted');
    if (this.sim === 'pin') return this.cmeError(11, 'SIM PIN required');
    return undefined;
  }

  private execute(raw: string): void {
    const cmd = raw.toUpperCase().startsWith('AT') ? 'AT' + raw.slice(2) : raw;
    const up = cmd.toUpperCase();
    const simErr = this.simError();
    const ok = (lines: string[] = []) => this.respond(lines);
    const err = (final = 'ERROR') => this.respond([], final);
    const extra = this.d.extraCommands[cmd];
    if (extra) {
      if (simErr && /ICCID/.test(up)) return err(simErr);
      return ok(extra({ iccid: this.id.iccid }));
    }
    let m: RegExpExecArray | null = null;
    // The switch(true) arms assign m; g() reads a group without fighting narrowing.
    const g = (i: number): string => m?.[i] ?? '';
    switch (true) {
      case up === 'AT':
        return ok();
      case up === 'ATE0':
        this.echo = false;
        return ok();
      case up === 'ATE1':
        this.echo = true;
        return ok();
      case (m = /^AT\+CMEE=(\d)$/.exec(up)) !== null:
        this.cmee = Number(g(1));
        return ok();
      case up === 'AT+CGSN' || up === 'AT+GSN':
        return ok([this.id.imei]);
      case up === 'AT+CPIN?':
        if (this.sim === 'missing') return err(this.cmeError(10, 'SIM not inserted'));
        return ok([`+CPIN: ${this.sim === 'pin' ? 'SIM PIN' : 'READY'}`]);
      case (m = /^AT\+CPIN="?(\d+)"?$/.exec(up)) !== null:
        if (this.sim === 'missing') return err(this.cmeError(10, 'SIM not inserted'));
        if (g(1) !== this.pin) return err(this.cmeError(16, 'incorrect password'));
        this.sim = 'ready';
        return ok();
      case up === 'AT+CIMI':
        return simErr ? err(simErr) : ok([this.id.imsi]);
      case (m = /^AT\+CNMI=\d,\d,\d,(\d)/.exec(up)) !== null:
        this.cnmiDs = Number(g(1));
        return ok();
      case up === 'AT+CLIP=1' || up === 'AT+CREG=2' || up === 'AT+CMGF=0' || up.startsWith('AT+CNMI=') || up === 'AT+COPS=3,0' || up.startsWith('AT+CPMS='):
        return ok();
      case up === 'AT+CSQ':
        return ok([`+CSQ: ${this.id.csq},99`]);
      case up === 'AT+CREG?':
        return ok([this.sim === 'ready' ? '+CREG: 2,1,"1A2B","0C3D4E5"' : '+CREG: 2,0']);
      case up === 'AT+COPS?':
        return ok([this.sim === 'ready' ? `+COPS: 0,0,"${this.id.operator}",2` : '+COPS: 0']);
      case up === 'AT+CLCC': {
        if (this.call.state === 'idle') return ok();
        const stat = this.call.state === 'incoming' ? 4 : this.call.state === 'dialing' ? 3 : 0;
        return ok([`+CLCC: 1,${this.call.dir === 'in' ? 1 : 0},${stat},0,0,"${this.call.number}",${this.call.number.startsWith('+') ? 145 : 129}`]);
      }
      case up === 'ATA':
        if (this.call.state !== 'incoming') return err('NO CARRIER');
        this.stopRinging();
        this.call.state = 'active';
        this.call.since = Date.now();
        this.respond([]);
        return this.urc(...this.d.answered());
      case up === this.d.voiceOn:
        if (this.call.state !== 'active') return err(this.cmeError(3, 'operation not allowed'));
        this.startVoice();
        return ok();
      case this.d.voiceOff !== undefined && up === this.d.voiceOff:
        this.stopVoice();
        return ok();
      case (m = /^ATD([+0-9*#]+);$/.exec(up)) !== null:
        if (simErr) return err(simErr);
        if (this.call.state !== 'idle') return err();
        return this.dial(g(1));
      case up === 'AT+CHUP' || up === 'ATH' || up === 'AT+QHUP': {
        if (this.call.state === 'idle') return ok();
        const secs = Math.round((Date.now() - this.call.since) / 1000);
        this.endCall();
        this.respond([]);
        return this.urc(...this.d.localHangup(secs));
      }
      case this.d.dtmfCommand.test(up):
        return this.call.state === 'active' ? ok() : err();
      case (m = /^AT\+CMGR=(\d+)$/.exec(up)) !== null: {
        if (simErr) return err(simErr);
        const pdu = this.slots.get(Number(g(1)));
        if (!pdu) return err('+CMS ERROR: 321');
        return ok([`+CMGR: 0,,${Buffer.from(pdu, 'hex').length - Buffer.from(pdu, 'hex')[0]! - 1}`, pdu]);
      }
      case (m = /^AT\+CMGD=(\d+)(?:,\d)?$/.exec(up)) !== null:
        this.slots.delete(Number(g(1)));
        return ok();
      case (m = /^AT\+CMGL=(\d)$/.exec(up)) !== null: {
        if (simErr) return err(simErr);
        const lines: string[] = [];
        for (const [slot, pdu] of [...this.slots.entries()].sort((a, b) => a[0] - b[0])) {
          lines.push(`+CMGL: ${slot},1,,${Buffer.from(pdu, 'hex').length - Buffer.from(pdu, 'hex')[0]! - 1}`, pdu);
        }
        return ok(lines);
      }
      case (m = /^AT\+CMGS=(\d+)$/.exec(up)) !== null:
        if (simErr) return err(simErr);
        this.smsPromptLen = Number(g(1));
        return this.writeAt('\r\n> ');
      case up === 'AT+CFUN=1,1':
        this.respond([]);
        return void setTimeout(() => this.reboot(), 100);
      default:
        return err();
    }
  }

  /** A status report arrives from the network for message reference mr: stored, then +CDSI. */
  deliverStatusReport(mr: number, recipient: string, status: number): number {
    let slot = 0;
    while (this.slots.has(slot)) slot++;
    this.slots.set(slot, encodeStatusReport(mr, recipient, status));
    this.urc(`+CDSI: "SM",${slot}`);
    return slot;
  }

  private onSmsPdu(hex: string): void {
    const rec: SubmittedPdu = { at: performance.now(), hex, declaredLength: this.smsPromptLen ?? -1, duringCall: this.call.state !== 'idle' };
    this.smsPromptLen = undefined;
    this.submittedPdus.push(rec);
    const refuse = (code: number): void => {
      rec.refused = `+CMS ERROR: ${code}`;
      this.respond([], rec.refused);
    };
    let sms;
    try {
      sms = decodeSubmit(hex);
    } catch {
      return refuse(304);
    }
    // Firmware that cannot do both refuses SMS during a voice call.
    if (rec.duringCall && !SMS_DURING_CALL[this.dialect]) return refuse(500);
    if (this.failSubmits > 0) {
      this.failSubmits--;
      return refuse(38); // network out of order
    }
    this.mr = (this.mr + 1) & 0xff;
    rec.mr = this.mr;
    this.respond([`+CMGS: ${this.mr}`]);
    const srr = (Buffer.from(hex, 'hex')[Buffer.from(hex, 'hex')[0]! + 1]! & 0x20) !== 0;
    if (srr && this.cnmiDs === 2 && this.reportStatus !== 'none') {
      const mr = this.mr;
      const st = this.reportStatus;
      setTimeout(() => !this.closed && this.deliverStatusReport(mr, sms.address, st), this.reportDelayMs);
    }
    const c = sms.concat;
    let text = sms.text;
    let parts = 1;
    if (c && c.total > 1) {
      const key = `${sms.address}|${c.ref}`;
      const got = this.sentParts.get(key) ?? new Map<number, string>();
      got.set(c.seq, sms.text);
      this.sentParts.set(key, got);
      if (got.size < c.total) return;
      this.sentParts.delete(key);
      text = [...got.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join('');
      parts = c.total;
    }
    this.sentSms.push({ to: sms.address, text, parts });
    if (sms.address === this.id.msisdn) setTimeout(() => this.deliverSms(this.id.msisdn, text), 200);
  }

  private dial(number: string): void {
    this.call = { state: 'dialing', number, dir: 'out', since: Date.now() };
    this.respond([]);
    this.urc(...this.d.dialing(number));
    const later = (ms: number, f: () => void) => this.dialTimers.push(setTimeout(f, ms));
    later(300, () => this.call.state === 'dialing' && this.urc(...this.d.alerting(number)));
    later(this.dialAnswerMs, () => {
      if (this.call.state !== 'dialing') return;
      const outcome = this.dialOutcomes.get(number) ?? this.dialOutcome;
      if (outcome === 'answer') {
        this.call.state = 'active';
        this.call.since = Date.now();
        this.urc(...this.d.connected(number));
      } else if (outcome === 'busy') {
        this.endCall();
        this.urc(...this.d.busy());
      }
    });
  }

  private stopRinging(): void {
    if (this.ringTimer) clearInterval(this.ringTimer);
    this.ringTimer = undefined;
  }

  private endCall(): void {
    this.stopRinging();
    for (const t of this.dialTimers) clearTimeout(t);
    this.dialTimers = [];
    this.stopVoice();
    this.call = { state: 'idle', number: '', dir: 'in', since: 0 };
  }

  // ---------- voice side ----------

  private startVoice(): void {
    if (this.voiceOn) return;
    this.voiceOn = true;
    this.rxAssembler.reset();
    this.callEcho.reset();
    this.callerVoice = new CallerVoice(() => this.voice, this.clock, this.callEcho);
  }

  private stopVoice(): void {
    this.voiceOn = false;
    this.callerVoice?.close();
    this.callerVoice = undefined;
  }

  private onVoiceData(b: Buffer): void {
    if (!this.voiceOn) return;
    const now = performance.now();
    this.rxAssembler.push(b, (frame) => {
      this.recording.push({ at: now, frame });
      if (this.recording.length > 15000) this.recording.splice(0, 1000);
      if (this.echoDb !== undefined) this.callEcho.push(frame, this.echoDb);
    });
  }
}

