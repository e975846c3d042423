import { LineError, type EndCause } from '../line.js';
import { RtpSession } from '../rtp/session.js';
import { dialogDestination, dialogRequest, uacDialog } from './dialog.js';
import { quote, randomToken } from './headers.js';
import { header, type Header, type SipRequest, type SipResponse } from './message.js';
import { SipLeg, type LegContext } from './leg.js';
import { parseSdp } from './sdp.js';
import type { ClientTransaction } from './transaction.js';
import type { Remote } from './transport.js';
import { parseNameAddr } from './uri.js';
import { ALLOW } from './user-agent.js';

export interface OriginateRequest {
  target: string;
  destination: Remote;
  from: string;
  displayName?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A final error response to our INVITE, as the leg's end cause. */
const CAUSES: Readonly<Record<number, EndCause>> = {
  486: 'busy', 600: 'busy', 480: 'no-answer', 408: 'no-answer', 487: 'cancelled', 603: 'rejected', 403: 'rejected', 404: 'failed', 401: 'auth-failed', 407: 'auth-failed',
};

/**
 * A call we place: INVITE with an SDP offer, provisional responses, a digest retry when challenged,
 * CANCEL (at once, or when the first provisional response arrives), and the ACK to the 2xx.
 */
export class OutboundSipLeg extends SipLeg {
  readonly direction = 'outbound';
  /** How many digest challenges (401/407) the INVITE answered. */
  authRetries = 0;
  private invite: SipRequest;
  private inviteTx: ClientTransaction | undefined;
  private provisional = false;
  /** Hung up before the answer: the cause, and whether the CANCEL went out. */
  private cancelWanted: EndCause | undefined;
  private cancelSent = false;
  private noAnswer: NodeJS.Timeout | undefined;
  private ack: SipRequest | undefined;

  private constructor(
    ctx: LegContext,
    o: OriginateRequest,
    session: RtpSession,
    private readonly destination: Remote,
  ) {
    const tag = randomToken(5);
    super(ctx, ctx.ua.newCallId(), tag);
    this.session = session;
    const to = parseNameAddr(o.target.startsWith('<') ? o.target : `<${o.target}>`);
    this.remote = { uri: o.target, number: to.uri.user };
    const extra: Header[] = Object.entries(o.headers ?? {}).map(([name, value]) => ({ name, value: String(value).replace(/[\r\n]/g, ' ') }));
    const display = o.displayName ? `${quote(o.displayName)} ` : '';
    const uri = o.target.replace(/^<|>$/g, '');
    this.invite = {
      type: 'request',
      method: 'INVITE',
      uri,
      headers: [
        { name: 'From', value: `${display}<${o.from}>;tag=${tag}` },
        { name: 'To', value: `<${uri}>` },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: '1 INVITE' },
        { name: 'Contact', value: ctx.ua.contact(parseNameAddr(`<${o.from}>`).uri.user, destination.transport) },
        { name: 'Allow', value: ALLOW },
        { name: 'Content-Type', value: 'application/sdp' },
        ...extra,
      ],
      body: Buffer.from(this.localSdp(session, 'offer')),
    };
  }

  static async originate(ctx: LegContext, o: OriginateRequest): Promise<OutboundSipLeg> {
    const session = await RtpSession.open(ctx.rtpHost, ctx.rtpPorts);
    const leg = new OutboundSipLeg(ctx, o, session, o.destination);
    ctx.ua.addDialog(leg.callId, leg.localTag, leg.handler);
    if (o.timeoutMs) leg.noAnswer = setTimeout(() => leg.cancel('no-answer'), o.timeoutMs);
    leg.sendInvite(leg.invite, 0);
    return leg;
  }

  answer(): Promise<void> {
    return Promise.reject(new LineError('wrong-state', 'an outbound leg is answered by the far end'));
  }

  private sendInvite(req: SipRequest, attempts: number): void {
    this.inviteTx = this.ctx.ua.send(req, this.destination, {
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
    if (this.dialog) return; // a retransmission: resendAck handles the ACK
    const d = uacDialog(req, res, this.destination.transport);
    this.dialog = d;
    this.headers = res.headers;
    this.ack = dialogRequest(d, 'ACK');
    this.ctx.ua.sendStateless(this.ack, dialogDestination(d));
    if (this.state === 'ended' || this.cancelWanted) {
      // 200 crossed our CANCEL: the call is up, so end it properly.
      this.state = 'answered';
      void this.sendBye(this.cancelWanted ?? 'normal'); // best effort: the leg is over for us
      return this.finish({ by: 'local', cause: this.cancelWanted ?? 'cancelled' });
    }
    const session = this.session;
    try {
      if (!session) throw new Error('no RTP session');
      this.applyRemoteSdp(session, parseSdp(res.body.toString('utf8')), false);
    } catch (e) {
      void this.sendBye('failed'); // best effort: the leg is over for us
      return this.finish({ by: 'local', cause: 'failed', detail: `bad SDP answer: ${(e as Error).message}` });
    }
    clearTimeout(this.noAnswer);
    this.setAnswered();
  }

  protected override resendAck(): void {
    if (this.ack && this.dialog) this.ctx.ua.sendStateless(this.ack, dialogDestination(this.dialog));
  }

  protected override strayAck(): (() => void) | undefined {
    const { ack, dialog } = this;
    if (!ack || !dialog) return undefined;
    const ua = this.ctx.ua;
    const to = dialogDestination(dialog);
    return () => ua.sendStateless(ack, to);
  }

  protected endUnanswered(cause: EndCause): void {
    // CANCEL now (or when the first provisional arrives); the leg is over for the call core either way.
    const c = cause === 'normal' ? 'cancelled' : cause;
    this.cancel(c);
    this.finish({ by: 'local', cause: c });
  }

  /** Give up on a call that is not answered yet. */
  private cancel(cause: EndCause): void {
    if (this.state === 'answered' || this.state === 'ended' || this.cancelWanted) return;
    this.cancelWanted = cause;
    if (this.provisional) this.sendCancel();
  }

  private sendCancel(): void {
    const inv = this.invite;
    const tx = this.inviteTx;
    if (!tx || tx.state !== 'proceeding' || this.cancelSent) return;
    this.cancelSent = true;
    // Our own INVITE: the transaction gave it a Via and we gave it a CSeq.
    const cancel: SipRequest = {
      type: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      headers: [
        { name: 'Via', value: header(tx.request, 'Via') ?? '' },
        ...inv.headers.filter((h) => ['Route', 'From', 'To', 'Call-ID', 'Max-Forwards'].includes(h.name)),
        { name: 'CSeq', value: `${(header(inv, 'CSeq') ?? '1').split(' ')[0]} CANCEL` },
      ],
      body: Buffer.alloc(0),
    };
    // CANCEL carries the INVITE's own branch (§9.1), so it goes out as its own client transaction as-is.
    void this.ctx.ua.request(cancel, this.destination); // its answer tells nothing: the INVITE's 487 ends the leg
  }

  protected override ended(): void {
    clearTimeout(this.noAnswer);
  }
}
