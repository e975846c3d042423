/** RTP fixed header (RFC 3550 §5.1). No CSRC lists or extensions are sent; on receive they are skipped. */

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Parse one datagram; undefined for anything that is not RTP version 2 or is truncated. */
export function parseRtp(buf: Buffer): RtpPacket | undefined {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return undefined;
  const cc = buf[0]! & 0x0f;
  let off = 12 + cc * 4;
  if (buf[0]! & 0x10) {
    if (buf.length < off + 4) return undefined;
    off += 4 + buf.readUInt16BE(off + 2) * 4;
  }
  let end = buf.length;
  if (buf[0]! & 0x20) end -= buf[buf.length - 1]!; // padding
  if (off > end) return undefined;
  const pt = buf[1]! & 0x7f;
  // 72-76 are RTCP packet types arriving on the RTP port when the peer multiplexes (RFC 5761).
  if (pt >= 72 && pt <= 76) return undefined;
  return {
    payloadType: pt,
    marker: (buf[1]! & 0x80) !== 0,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(off, end),
  };
}

/** Write header + payload into a fresh buffer. */
export function buildRtp(p: RtpPacket): Buffer {
  const buf = Buffer.allocUnsafe(12 + p.payload.length);
  buf[0] = 0x80;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf.writeUInt16BE(p.sequence & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  p.payload.copy(buf, 12);
  return buf;
}

/** Signed distance a - b between 16-bit sequence numbers, handling wrap-around. */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}
