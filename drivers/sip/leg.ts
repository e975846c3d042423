import { EventEmitter } from 'node:events';
import type { DtmfSource, Leg, LegEnd, LegEvents, LegState, Party } from '../line.js';
import type { MediaPort } from '../media/port.js';
import { RtpMediaPort } from '../rtp/media-port.js';
import { RtpSession, type PortRange } from '../rtp/session.js';
import { buildResponse } from './build.js';
import type { Credentials } from './digest.js';
import { dialogDestination, dialogRequest, toTag, uacDialog, uasDialog, type Dialog } from './dialog.js';
import { quote, randomToken } from './headers.js';
import { header, type Header, type SipRequest, type SipResponse } from './message.js';
import { OFFER_CODECS, OFFER_DTMF_PAYLOAD, answerDirection, chooseMedia, formatSdp, parseSdp, type Direction, type MediaChoice, type Sdp } from './sdp.js';
import type { ClientTransaction, ServerTransaction } from './transaction.js';
import type { Remote } from './transport.js';
import { parseNameAddr, parseUri } from './uri.js';
import { ALLOW, unsupported, type DialogHandler, type IncomingInvite, type UserAgent } from './user-agent.js';

/** A REFER the far end sent us: the call core decides, then reports progress (RFC 3515). */
export interface InboundRefer {
  /** The Refer-To URI. */
  target: string;
  /** Accept (202) and report "100 Trying". */
  accept(): void;
  /** Report progress or the final outcome of the new call as a sipfrag NOTIFY. */
  notify(status: number, reason?: string): void;
  reject(status?: number): void;
}

/** SIP-only events, on `leg.sip` (the Leg contract's EventEmitter type is fixed to LegEvents). */
export interface SipLegEvents {
  refer: [refer: InboundRefer];
  /** The far end put us on hold (true) or resumed (false). */
  hold: [held: boolean];
}

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

export interface OriginateRequest {
  target: string;
  destination: Remote;
  from: string;
  displayName?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const CAUSES: Readonly<Record<number, string>> = {
  486: 'busy', 600: 'busy', 480: 'no-answer', 408: 'no-answer', 487: 'cancelled', 603: 'rejected', 403: 'rejected', 404: 'failed', 401: 'auth-failed', 407: 'auth-failed',
};

const REJECT_STATUS: Readonly<Record<string, number>> = { busy: 486, rejected: 603, 'no-answer': 480, failed: 500 };

let legCounter = 0;

/**
 * One SIP call (an INVITE dialog) as a Leg. Outbound: INVITE with an SDP offer, provisional handling,
 * digest retry, CANCEL, ACK. Inbound: 180, 200 with an SDP answer retransmitted until ACK (§13.3.1.4).
 * In-dialog: BYE, re-INVITE (hold), INFO DTMF, REFER/NOTIFY both ways, OPTIONS.
 */
export class SipLeg extends EventEmitter<LegEvents> implements Leg {
  /** 'refer' (the far end asks us to transfer) and 'hold' events. */
  readonly sip = new EventEmitter<SipLegEvents>();
  readonly id: string;
  readonly lineId: string;
  state: LegState = 'offered';
  media: MediaPort | null = null;
  remote: Party = {};
  /** The SIP user that authenticated this inbound call, if any: the toll-fraud guard's input. */
  authenticatedUser: string | undefined;
  /** Inbound: the user part of the request-URI, i.e. what the caller dialled (e.g. "*51" for a feature code). */
  dialled: string | undefined;
  /** Headers of the initial INVITE (inbound) or of the 2xx (outbound). */
  headers: Header[] = [];
  endInfo: LegEnd | undefined;
  /** How many digest challenges (401/407) the INVITE answered. */
  authRetries = 0;
  private dialog: Dialog | undefined;
  private session: RtpSession | undefined;
  private port: RtpMediaPort | undefined;
  private choice: MediaChoice | undefined;
  private sdpVersion = 0;
  private readonly sdpId = Math.floor(Math.random() * 1e9);
  private localDirection: Direction = 'sendrecv';
  private remoteSdp: Sdp | undefined;
  // outbound
  private invite: SipRequest | undefined;
  private inviteTx: ClientTransaction | undefined;
  private inviteDest: Remote | undefined;
  private provisional = false;
  private cancelWanted: string | undefined;
  private cancelSent = false;
  private noAnswer: NodeJS.Timeout | undefined;
  private ack: SipRequest | undefined;
  // inbound
  private incoming: IncomingInvite | undefined;
  private okResponse: SipResponse | undefined;
  private okTimer: NodeJS.Timeout | undefined;
  private ackDeadline: NodeJS.Timeout | undefined;
  private ackWaiters: (() => void)[] = [];
  private pendingReinvite = false;
  private referWaiter: ((status: number) => void) | undefined;
  private readonly handler: DialogHandler;

  private constructor(
    private readonly ctx: LegContext,
    readonly direction: 'inbound' | 'outbound',
  ) {
    super();
    this.id = `sip-${++legCounter}-${randomToken(3)}`;
    this.lineId = ctx.lineId;
    this.handler = {
      onRequest: (req, tx, remote) => this.onDialogRequest(req, tx, remote),
      onAck: (req) => this.onAck(req),
      on2xx: () => {
        if (this.ack && this.dialog) this.ctx.ua.sendStateless(this.ack, dialogDestination(this.dialog));
      },
    };
  }

  /** RFC 4733 when the call negotiated telephone-event, else the audio (a phone sending SIP INFO switches the call to INFO at its first digit). */
  get dtmfSource(): DtmfSource {
    return this.choice?.dtmfPayload !== undefined ? 'rfc4733' : 'in-band';
  }

  get ua(): UserAgent {
    return this.ctx.ua;
  }

  get callId(): string | undefined {
    return this.dialog?.callId ?? (this.invite ? header(this.invite, 'Call-ID') : undefined);
  }

  get rtp(): RtpMediaPort | undefined {
    return this.port;
  }

  // ---------------- outbound ----------------

  static async originate(ctx: LegContext, o: OriginateRequest): Promise<SipLeg> {
    const leg = new SipLeg(ctx, 'outbound');
    const to = parseNameAddr(o.target.startsWith('<') ? o.target : `<${o.target}>`);
    leg.remote = { uri: o.target, number: to.uri.user };
    leg.session = await RtpSession.open(ctx.rtpHost, ctx.rtpPorts);
    const ua = ctx.ua;
    const callId = ua.newCallId();
    const tag = randomToken(5);
    const extra: Header[] = Object.entries(o.headers ?? {}).map(([name, value]) => ({ name, value: String(value).replace(/[\r\n]/g, ' ') }));
    const display = o.displayName ? `${quote(o.displayName)} ` : '';
    leg.invite = {
      type: 'request',
      method: 'INVITE',
      uri: o.target.replace(/^<|>$/g, ''),
      headers: [
        { name: 'From', value: `${display}<${o.from}>;tag=${tag}` },
        { name: 'To', value: `<${o.target.replace(/^<|>$/g, '')}>` },
        { name: 'Call-ID', value: callId },
        { name: 'CSeq', value: '1 INVITE' },
        { name: 'Contact', value: ua.contact(parseNameAddr(`<${o.from}>`).uri.user, o.destination.transport) },
        { name: 'Allow', value: ALLOW },
        { name: 'Content-Type', value: 'application/sdp' },
        ...extra,
      ],
      body: Buffer.from(leg.localSdp(OFFER_CODECS, OFFER_DTMF_PAYLOAD)),
    };
    leg.inviteDest = o.destination;
    ua.addDialog(callId, tag, leg.handler);
    if (o.timeoutMs) leg.noAnswer = setTimeout(() => leg.cancel('no-answer'), o.timeoutMs);
    leg.sendInvite(leg.invite, 0);
    return leg;
  }

  private sendInvite(req: SipRequest, attempts: number): void {
    this.inviteTx = this.ctx.ua.send(req, this.inviteDest!, {
      onResponse: (res) => this.onInviteResponse(req, res, attempts),
      onTimeout: () => this.finish({ by: 'network', cause: 'failed', detail: 'timeout' }),
    });
  }

  private onInviteResponse(req: SipRequest, res: SipResponse, attempts: number): void {
    if (this.state === 'ended' && res.status >= 300) return;
    if (res.status < 200) {
      if (res.status > 100) this.provisional = true;
      if (this.cancelWanted && this.provisional) return this.sendCancel();
      if ((res.status === 180 || res.status === 183) && this.state === 'offered') {
        this.state = 'ringing';
        this.emit('ringing');
      }
      return;
    }
    if (res.status < 300) return this.onInvite2xx(req, res);
    const retry = this.ctx.credentials && !this.cancelWanted ? this.ctx.ua.withCredentials(req, res, this.ctx.credentials, attempts) : undefined;
    if (retry) {
      this.authRetries++;
      this.invite = retry;
      this.provisional = false;
      return this.sendInvite(retry, attempts + 1);
    }
    const cause = this.cancelWanted ?? CAUSES[res.status] ?? 'failed';
    this.finish({ by: this.cancelWanted ? 'local' : 'remote', cause, detail: `${res.status} ${res.reason}` });
  }

  private onInvite2xx(req: SipRequest, res: SipResponse): void {
    if (this.dialog) return; // a retransmission: on2xx handles the ACK
    const d = uacDialog(req, res, this.inviteDest!.transport);
    this.dialog = d;
    this.headers = res.headers;
    this.ack = dialogRequest(d, 'ACK');
    this.ctx.ua.sendStateless(this.ack, dialogDestination(d));
    if (this.state === 'ended' || this.cancelWanted) {
      // 200 crossed our CANCEL: the call is up, so end it properly.
      this.state = 'answered';
      void this.sendBye(this.cancelWanted ?? 'normal');
      return this.finish({ by: 'local', cause: this.cancelWanted ?? 'cancelled' });
    }
    try {
      this.applyRemoteSdp(parseSdp(res.body.toString('utf8')), false);
    } catch (e) {
      void this.sendBye('failed');
      return this.finish({ by: 'local', cause: 'failed', detail: `bad SDP answer: ${(e as Error).message}` });
    }
    this.setAnswered();
  }

  /** Give up on an outbound call that is not answered yet. */
  private cancel(cause: string): void {
    if (this.state === 'answered' || this.state === 'ended' || this.cancelWanted) return;
    this.cancelWanted = cause;
    if (this.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    const inv = this.invite!;
    const tx = this.inviteTx;
    if (!tx || tx.state !== 'proceeding' || this.cancelSent) return;
    this.cancelSent = true;
    const cancel: SipRequest = {
      type: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      headers: [
        { name: 'Via', value: header(tx.request, 'Via')! },
        ...inv.headers.filter((h) => ['Route', 'From', 'To', 'Call-ID', 'Max-Forwards'].includes(h.name)),
        { name: 'CSeq', value: `${header(inv, 'CSeq')!.split(' ')[0]} CANCEL` },
      ],
      body: Buffer.alloc(0),
    };
    // CANCEL carries the INVITE's own branch (§9.1), so it goes out as its own client transaction as-is.
    void this.ctx.ua.request(cancel, this.inviteDest!);
  }

  // ---------------- inbound ----------------

  static fromInvite(ctx: LegContext, inc: IncomingInvite): SipLeg | undefined {
    const leg = new SipLeg(ctx, 'inbound');
    const req = inc.request;
    leg.incoming = inc;
    leg.authenticatedUser = inc.authenticatedUser;
    leg.headers = req.headers;
    try {
      leg.dialled = parseUri(req.uri).user;
    } catch {
      leg.dialled = undefined;
    }
    try {
      const from = parseNameAddr(header(req, 'From')!);
      leg.remote = { uri: from.uri.user !== undefined ? `${from.uri.scheme}:${from.uri.user}@${from.uri.host}` : undefined, number: from.uri.user, name: from.display };
    } catch {
      inc.tx.respond(buildResponse(req, 400));
      return undefined;
    }
    if (req.body.length) {
      try {
        leg.remoteSdp = parseSdp(req.body.toString('utf8'));
        leg.choice = chooseMedia(leg.remoteSdp);
      } catch {
        leg.choice = undefined;
      }
      if (!leg.choice) {
        inc.tx.respond(buildResponse(req, 488));
        return undefined;
      }
    }
    const tag = randomToken(5);
    leg.dialog = uasDialog(req, tag, inc.remote.transport);
    ctx.ua.addDialog(leg.dialog.callId, tag, leg.handler);
    ctx.ua.onCancel(inc.tx, () => leg.finish({ by: 'remote', cause: 'cancelled' }));
    inc.tx.onAckTimeout = undefined;
    inc.tx.respond(buildResponse(req, 180, { toTag: tag, headers: [{ name: 'Contact', value: ctx.ua.contact('frontdesk', inc.remote.transport) }] }));
    leg.state = 'ringing';
    return leg;
  }

  async answer(): Promise<void> {
    if (this.direction !== 'inbound' || this.state !== 'ringing' || !this.incoming) throw new Error(`cannot answer a leg in state ${this.state}`);
    const inc = this.incoming;
    // Ring a little before answering, so a PBX whose caller gives up can still CANCEL (487).
    if (this.ctx.answerDelayMs) await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.ctx.answerDelayMs);
      this.once('ended', () => (clearTimeout(timer), resolve()));
    });
    if (this.state !== 'ringing') throw new Error('call ended before it was answered');
    try {
      this.session = await RtpSession.open(this.ctx.rtpHost, this.ctx.rtpPorts);
    } catch (e) {
      // Ports ran out between admission and answer: overload, not a rejection (503, the PBX may retry).
      if (this.state === 'ringing') {
        inc.tx.respond(buildResponse(inc.request, 503, { toTag: this.dialog?.localTag, headers: [{ name: 'Retry-After', value: String(this.ctx.retryAfterS ?? 5) }] }));
        this.finish({ by: 'local', cause: 'overload', detail: (e as Error).message });
      }
      throw e;
    }
    if (this.state !== 'ringing') {
      this.session.close();
      throw new Error('call ended before it was answered');
    }
    let body: string;
    if (this.remoteSdp && this.choice) {
      this.localDirection = answerDirection(this.remoteSdp.direction);
      body = this.localSdp([{ codec: this.choice.codec, payload: this.choice.payload }], this.choice.dtmfPayload);
      this.applyRemoteSdp(this.remoteSdp, true);
    } else {
      body = this.localSdp(OFFER_CODECS, OFFER_DTMF_PAYLOAD); // late offer: the answer comes in the ACK
    }
    this.okResponse = buildResponse(inc.request, 200, {
      toTag: this.dialog!.localTag,
      headers: [
        { name: 'Contact', value: this.ctx.ua.contact('frontdesk', inc.remote.transport) },
        { name: 'Allow', value: ALLOW },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(body),
    });
    inc.tx.respond(this.okResponse);
    this.retransmit2xx(inc.remote, this.ctx.ua.timers.t1);
    if (this.choice) this.setAnswered();
    else this.state = 'answered';
    await this.waitAck();
  }

  /**
   * §13.3.1.4: the UAS core resends the 2xx (T1, doubling to T2) until the ACK arrives; no ACK within
   * 64·T1 of sending it ends the call with a BYE. The deadline is its own timer, so it is not pushed
   * back by rounding to the retransmission intervals.
   */
  private retransmit2xx(remote: Remote, interval: number): void {
    const { t1, t2 } = this.ctx.ua.timers;
    this.ackDeadline = setTimeout(() => {
      this.ackDeadline = undefined;
      if (!this.okResponse) return;
      if (this.okTimer) clearTimeout(this.okTimer);
      this.okTimer = undefined;
      void this.sendBye('no-ack');
      this.finish({ by: 'network', cause: 'no-ack', detail: `no ACK for our 200 within 64*T1 (${(64 * t1) / 1000} s)` });
    }, 64 * t1);
    const again = (every: number): void => {
      this.okTimer = setTimeout(() => {
        if (!this.okResponse) return;
        if (remote.transport === 'udp') this.ctx.ua.sendStateless(this.okResponse, remote);
        again(Math.min(every * 2, t2));
      }, every);
    };
    again(interval);
  }

  private waitAck(): Promise<void> {
    if (!this.okResponse) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  private onAck(req: SipRequest): void {
    if (!this.okResponse) return;
    this.okResponse = undefined;
    if (this.okTimer) clearTimeout(this.okTimer);
    if (this.ackDeadline) clearTimeout(this.ackDeadline);
    this.okTimer = undefined;
    this.ackDeadline = undefined;
    if (!this.choice && req.body.length) {
      // Late offer: the ACK carries the answer.
      try {
        const sdp = parseSdp(req.body.toString('utf8'));
        this.choice = chooseMedia(sdp);
        if (this.choice) {
          this.applyRemoteSdp(sdp, true);
          this.setAnswered();
        }
      } catch {
        /* handled below */
      }
      if (!this.choice) {
        void this.sendBye('failed');
        this.finish({ by: 'local', cause: 'failed', detail: 'no usable codec in ACK' });
      }
    }
    this.pendingReinvite = false;
    for (const w of this.ackWaiters.splice(0)) w();
  }

  // ---------------- media ----------------

  private localSdp(codecs: { codec: 'PCMU' | 'PCMA'; payload: number }[], dtmfPayload?: number): string {
    return formatSdp({
      address: this.ctx.rtpHost,
      port: this.session!.port,
      sessionId: this.sdpId,
      version: this.sdpVersion++,
      direction: this.localDirection,
      codecs,
      dtmfPayload,
    });
  }

  /** Take the far end's SDP (answer, or an offer we are answering) into the RTP session. */
  private applyRemoteSdp(sdp: Sdp, weAnswer: boolean): void {
    if (!weAnswer) {
      const choice = chooseMedia(sdp);
      if (!choice) throw new Error('no common codec');
      this.choice = choice;
    }
    const heldBefore = this.remoteSdp ? this.remoteSdp.direction === 'sendonly' || this.remoteSdp.direction === 'inactive' : false;
    this.remoteSdp = sdp;
    const ours = weAnswer ? answerDirection(sdp.direction, this.localDirection === 'inactive' ? 'inactive' : 'sendrecv') : this.localDirection;
    if (weAnswer) this.localDirection = ours;
    this.session!.setRemote(sdp.address, sdp.port);
    const c = this.choice!;
    const config = {
      codec: c.codec,
      payload: c.payload,
      dtmfPayload: c.dtmfPayload,
      send: sdp.port !== 0 && (ours === 'sendrecv' || ours === 'sendonly') && sdp.address !== '0.0.0.0',
      receive: ours === 'sendrecv' || ours === 'recvonly',
    };
    if (this.port) this.port.reconfigure(config);
    else {
      this.port = new RtpMediaPort(this.session!, config);
      this.port.onDtmf = (digit) => this.emit('dtmf', digit, 'rfc4733');
    }
    const heldNow = sdp.direction === 'sendonly' || sdp.direction === 'inactive';
    if (this.state === 'answered' && heldNow !== heldBefore) this.sip.emit('hold', heldNow);
  }

  private setAnswered(): void {
    if (this.noAnswer) clearTimeout(this.noAnswer);
    this.state = 'answered';
    this.media = this.port ?? null;
    this.port?.start();
    if (this.dialog) this.ctx.ua.emit('dialog-up', { ...this.dialog, routeSet: [...this.dialog.routeSet] });
    this.emit('answered');
  }

  // ---------------- in-dialog requests ----------------

  private onDialogRequest(req: SipRequest, tx: ServerTransaction, _remote: Remote): void {
    const d = this.dialog;
    if (!d) return tx.respond(buildResponse(req, 481));
    const seq = Number(header(req, 'CSeq')!.split(' ')[0]);
    if (d.remoteSeq >= 0 && seq <= d.remoteSeq && req.method !== 'ACK') return tx.respond(buildResponse(req, 500, { reason: 'CSeq Out of Order' }));
    d.remoteSeq = seq;
    const contact = header(req, 'Contact');
    if (req.method === 'INVITE' && contact) d.remoteTarget = contact.replace(/^.*?<([^>]*)>.*$/s, '$1');
    switch (req.method) {
      case 'BYE':
        tx.respond(buildResponse(req, 200));
        return this.finish({ by: 'remote', cause: 'normal', detail: reasonOf(req) });
      case 'INVITE':
        return this.onReinvite(req, tx);
      case 'INFO':
        return this.onInfo(req, tx);
      case 'REFER':
        return this.onRefer(req, tx);
      case 'NOTIFY':
        return this.onNotify(req, tx);
      case 'OPTIONS':
        return tx.respond(buildResponse(req, 200, { headers: [{ name: 'Allow', value: ALLOW }] }));
      default:
        return tx.respond(unsupported(req));
    }
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.state !== 'answered' || !this.session) return tx.respond(buildResponse(req, 491));
    if (this.pendingReinvite) return tx.respond(buildResponse(req, 491));
    let body: string;
    if (req.body.length) {
      let sdp: Sdp;
      try {
        sdp = parseSdp(req.body.toString('utf8'));
      } catch {
        return tx.respond(buildResponse(req, 488));
      }
      const choice = chooseMedia(sdp);
      if (!choice) return tx.respond(buildResponse(req, 488));
      this.choice = choice;
      this.localDirection = 'sendrecv';
      this.applyRemoteSdp(sdp, true);
      body = this.localSdp([{ codec: choice.codec, payload: choice.payload }], choice.dtmfPayload);
    } else {
      body = this.localSdp(OFFER_CODECS, OFFER_DTMF_PAYLOAD);
    }
    this.pendingReinvite = true;
    this.okResponse = buildResponse(req, 200, {
      headers: [
        { name: 'Contact', value: this.ctx.ua.contact('frontdesk', tx.remote.transport) },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(body),
    });
    tx.respond(this.okResponse);
    this.retransmit2xx(tx.remote, this.ctx.ua.timers.t1);
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

  private onRefer(req: SipRequest, tx: ServerTransaction): void {
    const referTo = header(req, 'Refer-To');
    let target: string;
    try {
      target = referTo ? parseNameAddr(referTo).uri && referTo.replace(/^.*?<([^>]*)>.*$/s, '$1') : '';
    } catch {
      target = '';
    }
    if (!target) return tx.respond(buildResponse(req, 400, { reason: 'Bad Refer-To' }));
    if (this.sip.listenerCount('refer') === 0) return tx.respond(buildResponse(req, 603));
    let answered = false;
    const notify = (status: number, reason?: string): void => {
      if (this.state === 'ended' || !this.dialog) return;
      const final = status >= 200;
      const sipfrag = `SIP/2.0 ${status} ${reason ?? (buildResponse(req, status).reason)}\r\n`;
      const n = dialogRequest(this.dialog, 'NOTIFY', {
        headers: [
          { name: 'Event', value: 'refer' },
          { name: 'Subscription-State', value: final ? 'terminated;reason=noresource' : 'active;expires=60' },
          { name: 'Contact', value: this.ctx.ua.contact() },
          { name: 'Content-Type', value: 'message/sipfrag;version=2.0' },
        ],
        body: Buffer.from(sipfrag),
      });
      void this.ctx.ua.request(n, dialogDestination(this.dialog), this.ctx.credentials);
    };
    this.sip.emit('refer', {
      target,
      accept: () => {
        if (answered) return;
        answered = true;
        tx.respond(buildResponse(req, 202));
        notify(100, 'Trying');
      },
      notify: (status, reason) => notify(status, reason),
      reject: (status = 603) => {
        if (answered) return;
        answered = true;
        tx.respond(buildResponse(req, status));
      },
    });
  }

  private onNotify(req: SipRequest, tx: ServerTransaction): void {
    const event = (header(req, 'Event') ?? '').toLowerCase();
    if (!event.startsWith('refer')) return tx.respond(buildResponse(req, 489, { reason: 'Bad Event' }));
    tx.respond(buildResponse(req, 200));
    const m = /^SIP\/2\.0 (\d{3})/.exec(req.body.toString('utf8'));
    const status = m ? Number(m[1]) : 0;
    if (status >= 200 || /terminated/i.test(header(req, 'Subscription-State') ?? '')) this.referWaiter?.(status || 500);
  }

  // ---------------- actions ----------------

  /** Send a request in the dialog; resolves with the final response. */
  private inDialog(method: string, headers: Header[] = [], body?: Buffer): Promise<SipResponse> {
    const d = this.dialog!;
    return this.ctx.ua.request(dialogRequest(d, method, { headers, body }), dialogDestination(d), this.ctx.credentials);
  }

  /**
   * Blind transfer (RFC 3515): REFER the far end to `target` and wait for the final sipfrag NOTIFY.
   * On success we hang up our side. Resolves with the final status the far end reported.
   */
  async transfer(target: string, timeoutMs = 32_000): Promise<{ ok: boolean; status: number }> {
    if (this.state !== 'answered' || !this.dialog) throw new Error('transfer needs an answered call');
    const outcome = new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(408), timeoutMs);
      this.referWaiter = (status) => {
        clearTimeout(timer);
        this.referWaiter = undefined;
        resolve(status);
      };
    });
    const uri = target.replace(/^<|>$/g, '');
    const res = await this.inDialog('REFER', [
      { name: 'Refer-To', value: `<${uri}>` },
      { name: 'Referred-By', value: `<${this.dialog.localUri.replace(/^.*?<([^>]*)>.*$/s, '$1')}>` },
      { name: 'Contact', value: this.ctx.ua.contact() },
    ]);
    if (res.status >= 300) {
      this.referWaiter = undefined;
      return { ok: false, status: res.status };
    }
    const status = await outcome;
    const ok = status >= 200 && status < 300;
    if (ok) await this.hangup('transferred');
    return { ok, status };
  }

  /** Put the far end on hold (re-INVITE a=sendonly) or take it off hold. */
  async hold(on = true): Promise<void> {
    if (this.state !== 'answered' || !this.choice) throw new Error('hold needs an answered call');
    this.localDirection = on ? 'sendonly' : 'sendrecv';
    const c = this.choice;
    const body = Buffer.from(this.localSdp([{ codec: c.codec, payload: c.payload }], c.dtmfPayload));
    this.pendingReinvite = true;
    const d = this.dialog!;
    const req = dialogRequest(d, 'INVITE', { headers: [{ name: 'Contact', value: this.ctx.ua.contact() }, { name: 'Content-Type', value: 'application/sdp' }], body });
    const res = await this.ctx.ua.request(req, dialogDestination(d), this.ctx.credentials);
    this.pendingReinvite = false;
    if (res.status >= 200 && res.status < 300) {
      // ACK the 2xx with the INVITE's CSeq.
      this.ctx.ua.sendStateless(dialogRequest(d, 'ACK', { seq: d.localSeq }), dialogDestination(d));
      if (res.body.length) this.applyRemoteSdp(parseSdp(res.body.toString('utf8')), false);
    } else throw new Error(`re-INVITE failed: ${res.status} ${res.reason}`);
  }

  async sendDtmf(digits: string): Promise<void> {
    if (this.state !== 'answered' || !this.port) throw new Error('sendDtmf needs an answered call');
    if (this.choice?.dtmfPayload !== undefined) return this.port.sendDigits(digits);
    for (const d of digits) {
      await this.inDialog('INFO', [{ name: 'Content-Type', value: 'application/dtmf-relay' }], Buffer.from(`Signal=${d}\r\nDuration=160\r\n`));
    }
  }

  async hangup(cause = 'normal'): Promise<void> {
    switch (this.state) {
      case 'ended':
        return;
      case 'answered':
        void this.sendBye(cause);
        return this.finish({ by: 'local', cause });
      default:
        if (this.direction === 'outbound') {
          // CANCEL now (or when the first provisional arrives); the leg is over for the call core either way.
          this.cancel(cause === 'normal' ? 'cancelled' : cause);
          return this.finish({ by: 'local', cause: cause === 'normal' ? 'cancelled' : cause });
        }
        this.incoming?.tx.respond(buildResponse(this.incoming.request, REJECT_STATUS[cause] ?? 603, { toTag: this.dialog?.localTag }));
        return this.finish({ by: 'local', cause: cause === 'normal' ? 'rejected' : cause });
    }
  }

  private async sendBye(cause: string): Promise<void> {
    if (!this.dialog) return;
    const q850 = cause === 'busy' ? 17 : cause === 'no-answer' ? 19 : cause === 'no-ack' ? 41 : 16;
    await this.inDialog('BYE', [{ name: 'Reason', value: `Q.850;cause=${q850};text="${cause.replace(/"/g, '')}"` }]);
  }

  private finish(end: LegEnd): void {
    if (this.state === 'ended') return;
    if (this.state === 'answered' && this.dialog) this.ctx.ua.emit('dialog-down', this.dialog.callId, this.dialog.localTag);
    this.state = 'ended';
    this.endInfo = end;
    if (this.noAnswer) clearTimeout(this.noAnswer);
    if (this.okTimer) clearTimeout(this.okTimer);
    if (this.ackDeadline) clearTimeout(this.ackDeadline);
    this.okResponse = undefined;
    for (const w of this.ackWaiters.splice(0)) w();
    this.referWaiter?.(487);
    if (this.port) this.port.close();
    else this.session?.close();
    this.media = null;
    const callId = this.callId;
    const tag = this.dialog?.localTag ?? (this.invite ? /tag=([^;\s]+)/.exec(header(this.invite, 'From') ?? '')?.[1] : undefined);
    // Keep answering stray retransmissions for a while, then forget the dialog.
    if (callId && tag) setTimeout(() => this.ctx.ua.removeDialog(callId, tag), 64 * this.ctx.ua.timers.t1).unref();
    this.emit('ended', end);
  }
}

function reasonOf(req: SipRequest): string | undefined {
  return header(req, 'Reason');
}

export { toTag };
