import { LineError, type EndCause, type Party } from '../line.js';
import { RtpSession } from '../rtp/session.js';
import { buildResponse } from './build.js';
import { uasDialog } from './dialog.js';
import { randomToken } from './headers.js';
import { header } from './message.js';
import { SipLeg, type LegContext } from './leg.js';
import { answerDirection, parseSdp, type Sdp } from './sdp.js';
import { parseNameAddr, parseUri } from './uri.js';
import { ALLOW, type IncomingInvite } from './user-agent.js';

/** Our final response when we hang up a call we have not answered. */
const REJECT_STATUS: Partial<Record<EndCause, number>> = { busy: 486, rejected: 603, 'no-answer': 480, failed: 500 };

/**
 * A call to us: 180 at once, then answer() sends the 200 with our SDP answer (or offer, when the
 * INVITE had none) and resends it until the ACK. CANCEL while ringing ends the leg.
 */
export class InboundSipLeg extends SipLeg {
  readonly direction = 'inbound';
  /** The user part of the request-URI: what the caller dialled (e.g. "*51" for a feature code). */
  readonly dialled: string | undefined;
  /** The SIP user that authenticated this call, if any: the toll-fraud guard's input. */
  readonly authenticatedUser: string | undefined;

  private constructor(
    ctx: LegContext,
    private readonly incoming: IncomingInvite,
    remote: Party,
    /** The INVITE's SDP offer; undefined for a late offer (the ACK answers ours). */
    private readonly offer: Sdp | undefined,
  ) {
    const tag = randomToken(5);
    const dialog = uasDialog(incoming.request, tag, incoming.remote.transport);
    super(ctx, dialog.callId, tag);
    this.dialog = dialog;
    this.remote = remote;
    this.headers = incoming.request.headers;
    this.authenticatedUser = incoming.authenticatedUser;
    let dialled: string | undefined;
    try {
      dialled = parseUri(incoming.request.uri).user;
    } catch {
      dialled = undefined;
    }
    this.dialled = dialled;
  }

  /** The leg for an INVITE, ringing; undefined when the INVITE was refused (400 bad From, 488 no codec). */
  static fromInvite(ctx: LegContext, inc: IncomingInvite): InboundSipLeg | undefined {
    const req = inc.request;
    let remote: Party;
    try {
      const from = parseNameAddr(header(req, 'From') ?? '');
      remote = { uri: from.uri.user !== undefined ? `${from.uri.scheme}:${from.uri.user}@${from.uri.host}` : undefined, number: from.uri.user, name: from.display };
    } catch {
      inc.tx.respond(buildResponse(req, 400));
      return undefined;
    }
    let offer: Sdp | undefined;
    if (req.body.length) {
      try {
        offer = parseSdp(req.body.toString('utf8'));
      } catch {
        offer = undefined;
      }
      if (!offer) {
        inc.tx.respond(buildResponse(req, 488));
        return undefined;
      }
    }
    const leg = new InboundSipLeg(ctx, inc, remote, offer);
    if (offer && !leg.sdp.takeOffer(offer)) {
      inc.tx.respond(buildResponse(req, 488));
      return undefined;
    }
    ctx.ua.addDialog(leg.callId, leg.localTag, leg.handler);
    ctx.ua.onCancel(inc.tx, () => leg.finish({ by: 'remote', cause: 'cancelled' }));
    inc.tx.onAckTimeout = undefined;
    inc.tx.respond(buildResponse(req, 180, { toTag: leg.localTag, headers: [{ name: 'Contact', value: ctx.ua.contact('frontdesk', inc.remote.transport) }] }));
    leg.state = 'ringing';
    return leg;
  }

  async answer(): Promise<void> {
    if (this.state !== 'ringing') throw new LineError('wrong-state', `cannot answer a leg in state ${this.state}`);
    const inc = this.incoming;
    // Ring a little before answering, so a PBX whose caller gives up can still CANCEL (487).
    if (this.ctx.answerDelayMs) await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.ctx.answerDelayMs);
      this.once('ended', () => (clearTimeout(timer), resolve()));
    });
    if (!this.ringing()) throw new LineError('ended', 'call ended before it was answered');
    let session: RtpSession;
    try {
      session = await RtpSession.open(this.ctx.rtpHost, this.ctx.rtpPorts);
    } catch (e) {
      // Ports ran out between admission and answer: overload, not a rejection (503, the PBX may retry).
      if (this.ringing()) {
        inc.tx.respond(buildResponse(inc.request, 503, { toTag: this.localTag, headers: [{ name: 'Retry-After', value: String(this.ctx.retryAfterS ?? 5) }] }));
        this.finish({ by: 'local', cause: 'overload', detail: (e as Error).message });
      }
      throw e;
    }
    // A CANCEL may have come while the port opened.
    if (!this.ringing()) {
      session.close();
      throw new LineError('ended', 'call ended before it was answered');
    }
    this.session = session;
    let body: string;
    if (this.offer) {
      this.sdp.direction = answerDirection(this.offer.direction);
      body = this.localSdp(session, 'answer');
      this.applyRemoteSdp(session, this.offer, true);
    } else {
      body = this.localSdp(session, 'offer'); // late offer: the answer comes in the ACK
    }
    const ok = buildResponse(inc.request, 200, {
      toTag: this.localTag,
      headers: [
        { name: 'Contact', value: this.ctx.ua.contact('frontdesk', inc.remote.transport) },
        { name: 'Allow', value: ALLOW },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: Buffer.from(body),
    });
    this.respond2xx(inc.tx, ok, inc.remote);
    if (this.offer) this.setAnswered();
    else this.state = 'answered';
    await this.waitAck();
  }

  /** Still ringing: read anew after each await (a CANCEL may have ended the leg meanwhile). */
  private ringing(): boolean {
    return this.state === 'ringing';
  }

  protected endUnanswered(cause: EndCause): void {
    this.incoming.tx.respond(buildResponse(this.incoming.request, REJECT_STATUS[cause] ?? 603, { toTag: this.localTag }));
    this.finish({ by: 'local', cause: cause === 'normal' ? 'rejected' : cause });
  }
}
