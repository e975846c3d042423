import { EventEmitter } from 'node:events';
import { LineError, type DtmfSource, type EndCause, type Leg, type LegEnd, type LegEvents, type LegState, type Party } from '../line.js';
import type { MediaPort } from '../media/port.js';
import { RtpMediaPort } from '../rtp/media-port.js';
import type { PortRange, RtpSession } from '../rtp/session.js';
import { buildResponse } from './build.js';
import type { Credentials } from './digest.js';
import { dialogDestination, dialogRequest, type Dialog } from './dialog.js';
import { randomToken } from './headers.js';
import { header, type Header, type SipRequest, type SipResponse } from './message.js';
import { SdpNegotiation } from './leg-media.js';
import { parseSdp, type Sdp } from './sdp.js';
import type { ServerTransaction } from './transaction.js';
import type { Remote } from './transport.js';
import { ALLOW, unsupported, type DialogHandler, type UserAgent } from './user-agent.js';

export interface LegContext {
  ua: UserAgent;
  lineId: string;
  rtpHost: string;
  rtpPorts: PortRange;
  /** Used when a request is challenged. */
  credentials?: Credentials;
  /** Inbound: ring this long before answer() sends the 200 (0: at once). */
  answerDelayMs?: number;
  /** Retry-After (s) on a 503 when no RTP port is left at answer time. */
  retryAfterS?: number;
}

let legCounter = 0;

/**
 * One SIP call (an INVITE dialog) as a Leg: what both directions share. The INVITE itself is the
 * subclasses' (leg-outbound.ts: we send it; leg-inbound.ts: we answer it), offer/answer is
 * SdpNegotiation's (leg-media.ts). Here: the dialog's requests (BYE, re-INVITE with hold, INFO
 * DTMF, OPTIONS), our 2xx retransmitted until ACK (§13.3.1.4), hang-up and the end.
 */
export abstract class SipLeg extends EventEmitter<LegEvents> implements Leg {
  readonly id: string;
  readonly lineId: string;
  abstract readonly direction: 'inbound' | 'outbound';
  state: LegState = 'offered';
  media: MediaPort | null = null;
  remote: Party = {};
  /** Headers of the initial INVITE (inbound) or of the 2xx (outbound). */
  headers: Header[] = [];
  end: LegEnd | undefined;
  protected dialog: Dialog | undefined;
  /** Our RTP socket: opened before the offer (outbound) or at answer (inbound). */
  protected session: RtpSession | undefined;
  protected port: RtpMediaPort | undefined;
  protected readonly sdp: SdpNegotiation;
  // Our 2xx to an INVITE or re-INVITE, resent until its ACK.
  private okResponse: SipResponse | undefined;
  private okTimer: NodeJS.Timeout | undefined;
  private ackDeadline: NodeJS.Timeout | undefined;
  private ackWaiters: (() => void)[] = [];
  private pendingReinvite = false;
  protected readonly handler: DialogHandler;

  protected constructor(
    protected readonly ctx: LegContext,
    /** The dialog's Call-ID and our tag: the UA routes its requests to us by them. */
    readonly callId: string,
    protected readonly localTag: string,
  ) {
    super();
    this.id = `sip-${++legCounter}-${randomToken(3)}`;
    this.lineId = ctx.lineId;
    this.sdp = new SdpNegotiation(ctx.rtpHost);
    this.handler = {
      onRequest: (req, tx) => this.onDialogRequest(req, tx),
      onAck: (req) => this.onAck(req),
      on2xx: () => this.resendAck(),
    };
  }

  /** RFC 4733 when the call negotiated telephone-event, else the audio (a phone sending SIP INFO switches the call to INFO at its first digit). */
  get dtmfSource(): DtmfSource {
    return this.sdp.choice?.dtmfPayload !== undefined ? 'rfc4733' : 'in-band';
  }

  get ua(): UserAgent {
    return this.ctx.ua;
  }

  get rtp(): RtpMediaPort | undefined {
    return this.port;
  }

  abstract answer(): Promise<void>;

  /** Hang up a leg not answered yet: CANCEL (outbound) or a final error response (inbound). */
  protected abstract endUnanswered(cause: EndCause): void;

  /** A 2xx to our INVITE came again after its transaction ended: ACK it again (outbound). */
  protected resendAck(): void {}

  /** What re-ACKs a stray 2xx once the leg has ended, holding only what that needs (outbound). */
  protected strayAck(): (() => void) | undefined {
    return undefined;
  }

  // ---------------- media ----------------

  /** Our SDP body on our RTP port. */
  protected localSdp(session: RtpSession, kind: 'offer' | 'answer'): string {
    return this.sdp.body(session.port, kind);
  }

  /** Take the far end's SDP (an answer, or an offer taken with sdp.takeOffer) into the RTP port. */
  protected applyRemoteSdp(session: RtpSession, sdp: Sdp, weAnswer: boolean): void {
    const { rtp, held } = this.sdp.apply(sdp, weAnswer);
    session.setRemote(sdp.address, sdp.port);
    if (this.port) this.port.reconfigure(rtp);
    else {
      this.port = new RtpMediaPort(session, rtp);
      this.port.onDtmf = (digit) => this.emit('dtmf', digit, 'rfc4733');
    }
    if (this.state === 'answered' && held !== undefined) this.emit('hold', held);
  }

  protected setAnswered(): void {
    this.state = 'answered';
    this.media = this.port ?? null;
    this.port?.start();
    if (this.dialog) this.ctx.ua.emit('dialog-up', { ...this.dialog, routeSet: [...this.dialog.routeSet] });
    this.emit('answered');
  }

  // ---------------- our 2xx until ACK ----------------

  /**
   * Send our 2xx and, §13.3.1.4, resend it (T1, doubling to T2) until the ACK arrives; no ACK
   * within 64·T1 ends the call with a BYE. The deadline is its own timer, so it is not pushed back
   * by rounding to the retransmission intervals.
   */
  protected respond2xx(tx: ServerTransaction, ok: SipResponse, remote: Remote): void {
    this.okResponse = ok;
    tx.respond(ok);
    const { t1, t2 } = this.ctx.ua.timers;
    this.ackDeadline = setTimeout(() => {
      this.ackDeadline = undefined;
      if (!this.okResponse) return;
      if (this.okTimer) clearTimeout(this.okTimer);
      this.okTimer = undefined;
      void this.sendBye('no-ack'); // best effort: the far end never confirmed the call
      this.finish({ by: 'network', cause: 'no-ack', detail: `no ACK for our 200 within 64*T1 (${(64 * t1) / 1000} s)` });
    }, 64 * t1);
    const again = (every: number): void => {
      this.okTimer = setTimeout(() => {
        if (!this.okResponse) return;
        if (remote.transport === 'udp') this.ctx.ua.sendStateless(this.okResponse, remote);
        again(Math.min(every * 2, t2));
      }, every);
    };
    again(t1);
  }

  /** Resolves when our 2xx is acknowledged (or the leg ends). */
  protected waitAck(): Promise<void> {
    if (!this.okResponse) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  private onAck(req: SipRequest): void {
    if (!this.okResponse) return;
    this.stop2xx();
    const session = this.session;
    if (!this.sdp.choice && req.body.length && session) {
      // Late offer: our 2xx offered, the ACK carries the answer.
      let sdp: Sdp | undefined;
      try {
        sdp = parseSdp(req.body.toString('utf8'));
      } catch {
        sdp = undefined;
      }
      if (sdp && this.sdp.takeOffer(sdp)) {
        this.applyRemoteSdp(session, sdp, true);
        this.setAnswered();
      } else {
        void this.sendBye('failed'); // best effort: the leg ends here either way
        this.finish({ by: 'local', cause: 'failed', detail: 'no usable codec in ACK' });
      }
    }
    this.pendingReinvite = false;
    for (const w of this.ackWaiters.splice(0)) w();
  }

  private stop2xx(): void {
    this.okResponse = undefined;
    if (this.okTimer) clearTimeout(this.okTimer);
    if (this.ackDeadline) clearTimeout(this.ackDeadline);
    this.okTimer = undefined;
    this.ackDeadline = undefined;
  }

  // ---------------- in-dialog requests ----------------

  private onDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    const d = this.dialog;
    if (!d) return tx.respond(buildResponse(req, 481));
    // The parser refuses requests without a CSeq; NaN here would only fail the order check.
    const seq = Number(header(req, 'CSeq')?.split(' ')[0]);
    if (d.remoteSeq >= 0 && !(seq > d.remoteSeq) && req.method !== 'ACK') return tx.respond(buildResponse(req, 500, { reason: 'CSeq Out of Order' }));
    d.remoteSeq = seq;
    const contact = header(req, 'Contact');
    if (req.method === 'INVITE' && contact) d.remoteTarget = contact.replace(/^.*?<([^>]*)>.*$/s, '$1');
    switch (req.method) {
      case 'BYE':
        tx.respond(buildResponse(req, 200));
        return this.finish({ by: 'remote', cause: 'normal', detail: header(req, 'Reason') });
      case 'INVITE':
        return this.onReinvite(req, tx);
      case 'INFO':
        return this.onInfo(req, tx);
      case 'OPTIONS':
        return tx.respond(buildResponse(req, 200, { headers: [{ name: 'Allow', value: ALLOW }] }));
      default:
        // REFER among them: a transfer is the call core's decision (the console), not the far end's.
        return tx.respond(unsupported(req));
    }
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction): void {
    const session = this.session;
    if (this.state !== 'answered' || !session || this.pendingReinvite) return tx.respond(buildResponse(req, 491));
    let body: string;
    if (req.body.length) {
      let sdp: Sdp;
      try {
        sdp = parseSdp(req.body.toString('utf8'));
      } catch {
        return tx.respond(buildResponse(req, 488));
      }
      if (!this.sdp.takeOffer(sdp)) return tx.respond(buildResponse(req, 488));
      this.sdp.direction = 'sendrecv';
      this.applyRemoteSdp(session, sdp, true);
      body = this.localSdp(session, 'answer');
    } else {
      body = this.localSdp(session, 'offer');
    }
    this.pendingReinvite = true;
    const ok = buildResponse(req, 200, {
      headers: [
        { name: 'Contact', value: this.ctx.ua.contact('frontdesk', tx.remote.transport) },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(body),
    });
    this.respond2xx(tx, ok, tx.remote);
  }

  private onInfo(req: SipRequest, tx: ServerTransaction): void {
    const type = (header(req, 'Content-Type') ?? '').toLowerCase();
    const body = req.body.toString('utf8');
    let digit: string | undefined;
    if (type.startsWith('application/dtmf-relay')) digit = /Signal\s*=\s*([0-9*#A-Da-d])/.exec(body)?.[1];
    else if (type.startsWith('application/dtmf')) digit = /^\s*([0-9*#A-Da-d])/.exec(body)?.[1];
    tx.respond(buildResponse(req, digit || !type ? 200 : 415));
    if (digit) this.emit('dtmf', digit.toUpperCase(), 'sip-info');
  }

  // ---------------- actions ----------------

  /** Send a request in the dialog; resolves with the final response. */
  private inDialog(d: Dialog, method: string, headers: Header[] = [], body?: Buffer): Promise<SipResponse> {
    return this.ctx.ua.request(dialogRequest(d, method, { headers, body }), dialogDestination(d), this.ctx.credentials);
  }

  async sendDtmf(digits: string): Promise<void> {
    const d = this.dialog;
    if (this.state !== 'answered' || !this.port || !d) throw new LineError('wrong-state', 'sendDtmf needs an answered call');
    if (this.sdp.choice?.dtmfPayload !== undefined) return this.port.sendDigits(digits);
    for (const digit of digits) {
      await this.inDialog(d, 'INFO', [{ name: 'Content-Type', value: 'application/dtmf-relay' }], Buffer.from(`Signal=${digit}\r\nDuration=160\r\n`));
    }
  }

  async hangup(cause: EndCause = 'normal'): Promise<void> {
    switch (this.state) {
      case 'ended':
        return;
      case 'answered':
        void this.sendBye(cause); // the leg is over for us now; the BYE's answer changes nothing
        return this.finish({ by: 'local', cause });
      default:
        return this.endUnanswered(cause);
    }
  }

  protected async sendBye(cause: EndCause): Promise<void> {
    const d = this.dialog;
    if (!d) return;
    const q850 = cause === 'busy' ? 17 : cause === 'no-answer' ? 19 : cause === 'no-ack' ? 41 : 16;
    await this.inDialog(d, 'BYE', [{ name: 'Reason', value: `Q.850;cause=${q850};text="${cause}"` }]);
  }

  protected finish(end: LegEnd): void {
    if (this.state === 'ended') return;
    if (this.state === 'answered' && this.dialog) this.ctx.ua.emit('dialog-down', this.dialog.callId, this.dialog.localTag);
    this.state = 'ended';
    this.end = end;
    this.stop2xx();
    this.ended();
    for (const w of this.ackWaiters.splice(0)) w();
    if (this.port) this.port.close();
    else this.session?.close();
    this.media = null;
    // Keep answering stray retransmissions for a while, then forget the dialog. A stand-in answers
    // them: the leg itself (and through its listeners the whole call: media, bot, records) would
    // otherwise stay in memory that long, 10 000 finished calls at 300 calls/s.
    const { callId, localTag } = this;
    const ua = this.ctx.ua;
    const ack = this.strayAck();
    ua.addDialog(callId, localTag, {
      onRequest: (req, tx) => {
        if (req.method === 'BYE') tx.respond(buildResponse(req, 200));
        else if (req.method === 'OPTIONS') tx.respond(buildResponse(req, 200, { headers: [{ name: 'Allow', value: ALLOW }] }));
        else tx.respond(buildResponse(req, 481)); // the dialog is over (§12.2.2)
      },
      onAck: () => undefined,
      ...(ack ? { on2xx: ack } : {}),
    });
    setTimeout(() => ua.removeDialog(callId, localTag), 64 * ua.timers.t1).unref();
    this.emit('ended', end);
  }

  /** The subclass's own clean-up when the leg ends (timers). */
  protected ended(): void {}
}

