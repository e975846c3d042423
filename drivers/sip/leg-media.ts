import type { RtpMediaConfig } from '../rtp/media-port.js';
import { OFFER_CODECS, OFFER_DTMF_PAYLOAD, answerDirection, chooseMedia, formatSdp, type Direction, type MediaChoice, type Sdp } from './sdp.js';

const held = (sdp: Sdp | undefined): boolean => sdp !== undefined && (sdp.direction === 'sendonly' || sdp.direction === 'inactive');

/**
 * One SIP leg's offer/answer state (RFC 3264): the codec both sides use, the far end's last SDP,
 * our direction, and our SDP's version. It decides; the leg applies the result to its RTP port.
 */
export class SdpNegotiation {
  /** The codec in use: chosen from the offer we answer, or from the answer to our offer. */
  choice: MediaChoice | undefined;
  /** The far end's last SDP. */
  remote: Sdp | undefined;
  /** Our direction. */
  direction: Direction = 'sendrecv';
  private version = 0;
  private readonly sessionId = Math.floor(Math.random() * 1e9);

  constructor(private readonly address: string) {}

  /** Our SDP for RTP on `port`: an offer lists every codec we do; an answer names the chosen one. */
  body(port: number, kind: 'offer' | 'answer'): string {
    const c = kind === 'answer' ? this.choice : undefined;
    return formatSdp({
      address: this.address,
      port,
      sessionId: this.sessionId,
      version: this.version++,
      direction: this.direction,
      codecs: c ? [{ codec: c.codec, payload: c.payload }] : OFFER_CODECS,
      dtmfPayload: c ? c.dtmfPayload : OFFER_DTMF_PAYLOAD,
    });
  }

  /**
   * An offer we will answer (INVITE, re-INVITE, or the ACK after our late offer): take its codec.
   * False when nothing fits (488); the state is then unchanged.
   */
  takeOffer(sdp: Sdp): boolean {
    const choice = chooseMedia(sdp);
    if (!choice) return false;
    this.choice = choice;
    return true;
  }

  /**
   * Take the far end's SDP into the state: an answer to our offer (the codec is chosen from it;
   * throws when none fits) or an offer taken with takeOffer. Returns the RTP set-up, and `held`
   * when the far end put us on hold or took us off it.
   */
  apply(sdp: Sdp, weAnswer: boolean): { rtp: RtpMediaConfig; held?: boolean } {
    const choice = weAnswer ? this.choice : chooseMedia(sdp);
    if (!choice) throw new Error('no common codec');
    this.choice = choice;
    const heldBefore = held(this.remote);
    this.remote = sdp;
    if (weAnswer) this.direction = answerDirection(sdp.direction, this.direction === 'inactive' ? 'inactive' : 'sendrecv');
    const ours = this.direction;
    const rtp: RtpMediaConfig = {
      codec: choice.codec,
      payload: choice.payload,
      dtmfPayload: choice.dtmfPayload,
      send: sdp.port !== 0 && (ours === 'sendrecv' || ours === 'sendonly') && sdp.address !== '0.0.0.0',
      receive: ours === 'sendrecv' || ours === 'recvonly',
    };
    const heldNow = held(sdp);
    return heldNow !== heldBefore ? { rtp, held: heldNow } : { rtp };
  }
}
