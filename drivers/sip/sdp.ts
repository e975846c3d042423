/**
 * SDP (RFC 4566) for one audio stream and the RFC 3264 offer/answer rules we need: PCMU/PCMA,
 * telephone-event/8000, ptime 20, and the four directions. Anything else in an offer is ignored.
 */

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type Codec = 'PCMU' | 'PCMA';

export interface Sdp {
  /** Connection address (c=), media-level over session-level. */
  address: string;
  /** RTP port; 0 means the stream is rejected. */
  port: number;
  /** Offered payload types in preference order. */
  payloads: number[];
  /** payload type → encoding name/rate, e.g. 0 → 'PCMU/8000'. */
  rtpmap: Map<number, string>;
  direction: Direction;
  ptime?: number;
}

export function parseSdp(text: string): Sdp {
  let sessionAddr: string | undefined;
  let mediaAddr: string | undefined;
  let sessionDir: Direction | undefined;
  let mediaDir: Direction | undefined;
  let inAudio = false;
  let seenAudio = false;
  let port = 0;
  let payloads: number[] = [];
  const rtpmap = new Map<number, string>();
  let ptime: number | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    if (type === 'm') {
      inAudio = false;
      const m = /^audio (\d{1,5})(?:\/\d+)? RTP\/AVP((?: \d{1,3})+)$/.exec(value);
      if (m && !seenAudio) {
        inAudio = seenAudio = true;
        port = Number(m[1]);
        payloads = m[2]!.trim().split(' ').map(Number).filter((n) => n < 128);
      }
      continue;
    }
    if (type === 'c') {
      const m = /^IN IP[46] ([0-9A-Fa-f:.]+)/.exec(value);
      if (m) {
        if (!seenAudio) sessionAddr = m[1];
        else if (inAudio) mediaAddr = m[1];
      }
      continue;
    }
    if (type !== 'a') continue;
    if (value === 'sendrecv' || value === 'sendonly' || value === 'recvonly' || value === 'inactive') {
      if (!seenAudio) sessionDir = value;
      else if (inAudio) mediaDir = value;
    } else if (inAudio && value.startsWith('rtpmap:')) {
      const m = /^rtpmap:(\d{1,3}) ([^\s]+)/.exec(value);
      if (m) rtpmap.set(Number(m[1]), m[2]!);
    } else if (inAudio && value.startsWith('ptime:')) {
      ptime = Number(value.slice(6)) || undefined;
    }
  }
  if (!seenAudio) throw new Error('SDP has no audio stream');
  const address = mediaAddr ?? sessionAddr;
  if (!address) throw new Error('SDP has no connection address');
  // Static payload types need no rtpmap (RFC 3551).
  if (!rtpmap.has(0) && payloads.includes(0)) rtpmap.set(0, 'PCMU/8000');
  if (!rtpmap.has(8) && payloads.includes(8)) rtpmap.set(8, 'PCMA/8000');
  // Old-style hold: c=0.0.0.0 means "do not send to me".
  let direction = mediaDir ?? sessionDir ?? 'sendrecv';
  if (address === '0.0.0.0' && direction === 'sendrecv') direction = 'sendonly';
  return { address, port, payloads, rtpmap, direction, ptime };
}

export interface MediaChoice {
  codec: Codec;
  payload: number;
  /** telephone-event payload type, if both sides do RFC 4733. */
  dtmfPayload?: number;
}

/** Pick the first offered codec we support, and telephone-event/8000 if offered. */
export function chooseMedia(sdp: Sdp): MediaChoice | undefined {
  let choice: MediaChoice | undefined;
  for (const pt of sdp.payloads) {
    const name = sdp.rtpmap.get(pt)?.toUpperCase();
    if (name === 'PCMU/8000' || name === 'PCMA/8000') {
      choice = { codec: name.slice(0, 4) as Codec, payload: pt };
      break;
    }
  }
  if (!choice) return undefined;
  for (const pt of sdp.payloads) if (sdp.rtpmap.get(pt)?.toLowerCase() === 'telephone-event/8000') choice.dtmfPayload = pt;
  return choice;
}

/** The direction to answer with (RFC 3264 §6.1), limited by what we want ourselves. */
export function answerDirection(offered: Direction, ours: Direction = 'sendrecv'): Direction {
  const theySend = offered === 'sendrecv' || offered === 'sendonly';
  const theyRecv = offered === 'sendrecv' || offered === 'recvonly';
  const weSend = theyRecv && (ours === 'sendrecv' || ours === 'sendonly');
  const weRecv = theySend && (ours === 'sendrecv' || ours === 'recvonly');
  return weSend && weRecv ? 'sendrecv' : weSend ? 'sendonly' : weRecv ? 'recvonly' : 'inactive';
}

export interface LocalSdp {
  address: string;
  port: number;
  sessionId: number;
  version: number;
  direction: Direction;
  /** Codecs in preference order with their payload types. Offers list all; answers one. */
  codecs: { codec: Codec; payload: number }[];
  dtmfPayload?: number;
}

export function formatSdp(l: LocalSdp): string {
  const ip = l.address.includes(':') ? 'IP6' : 'IP4';
  const pts = [...l.codecs.map((c) => c.payload), ...(l.dtmfPayload !== undefined ? [l.dtmfPayload] : [])];
  const lines = [
    'v=0',
    `o=frontdesk ${l.sessionId} ${l.version} IN ${ip} ${l.address}`,
    's=frontdesk',
    `c=IN ${ip} ${l.address}`,
    't=0 0',
    `m=audio ${l.port} RTP/AVP ${pts.join(' ')}`,
    ...l.codecs.map((c) => `a=rtpmap:${c.payload} ${c.codec}/8000`),
    ...(l.dtmfPayload !== undefined ? [`a=rtpmap:${l.dtmfPayload} telephone-event/8000`, `a=fmtp:${l.dtmfPayload} 0-16`] : []),
    'a=ptime:20',
    `a=${l.direction}`,
  ];
  return lines.join('\r\n') + '\r\n';
}

export const OFFER_CODECS: { codec: Codec; payload: number }[] = [
  { codec: 'PCMU', payload: 0 },
  { codec: 'PCMA', payload: 8 },
];
export const OFFER_DTMF_PAYLOAD = 101;
