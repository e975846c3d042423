import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { buildRtp, parseRtp, type RtpPacket } from './packet.js';

export interface PortRange {
  min: number;
  max: number;
}

const inUse = new Set<number>();

/**
 * One RTP socket: bound on an even port from the configured range, sending with our own SSRC and
 * sequence numbers. Symmetric RTP (RFC 4961): once a packet arrives from the address the SDP named, we
 * send to the port it came from (NAT-friendly); packets from any other address are ignored, so a
 * stranger cannot hijack or inject into the stream. Once latched, the socket is connected to that port.
 */
export class RtpSession extends EventEmitter<{ packet: [packet: RtpPacket, arrivalMs: number] }> {
  readonly ssrc = randomInt(0, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  private remote: { address: string; port: number } | undefined;
  private latched = false;
  /** The socket is connect()ed to the latched far end: the kernel drops other senders, and send() skips the address lookup. */
  private connected = false;
  readonly stats = { packetsIn: 0, packetsOut: 0, foreign: 0 };
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly address: string,
    readonly port: number,
  ) {
    super();
    socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
    socket.on('error', () => {});
  }

  /** Bind a socket on a free even port in `range` (RTCP would take port+1; we leave it free). */
  static async open(host: string, range: PortRange): Promise<RtpSession> {
    const lo = range.min + (range.min % 2);
    const count = Math.floor((range.max - lo) / 2) + 1;
    if (count <= 0) throw new Error('empty RTP port range');
    const start = randomInt(0, count);
    for (let i = 0; i < count; i++) {
      const port = lo + ((start + i) % count) * 2;
      if (inUse.has(port)) continue;
      const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, host, () => resolve(true));
      });
      if (ok) {
        inUse.add(port);
        return new RtpSession(socket, host, port);
      }
      socket.close();
    }
    throw new Error(`no free RTP port in ${range.min}-${range.max}`);
  }

  /** Where to send, from the far end's SDP. A later SDP (re-INVITE) may move it. */
  setRemote(address: string, port: number): void {
    if (this.remote?.address !== address || (!this.latched && this.remote.port !== port)) {
      this.remote = { address, port };
      this.latched = false;
      this.unconnect();
    }
  }

  /** Once latched, connect the socket: Node resolves the address of every unconnected send() anew. */
  private connectLatched(): void {
    const target = this.remote;
    if (!target) return;
    try {
      this.socket.connect(target.port, target.address, () => {
        if (this.closed) return;
        if (this.remote === target && this.latched) this.connected = true;
        else this.unconnect(true);
      });
    } catch {
      // Already connecting or connected (a re-latch while the last connect was under way): stay unconnected.
    }
  }

  private unconnect(force = false): void {
    if (!this.connected && !force) return;
    this.connected = false;
    try {
      this.socket.disconnect();
    } catch {
      // Not connected (yet): the connect callback disconnects.
    }
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const r = this.remote;
    if (!r || rinfo.address !== r.address) {
      this.stats.foreign++;
      return;
    }
    if (!this.latched) {
      r.port = rinfo.port;
      this.latched = true;
      this.connectLatched();
    } else if (rinfo.port !== r.port) {
      this.stats.foreign++;
      return;
    }
    const p = parseRtp(buf);
    if (!p) return;
    this.stats.packetsIn++;
    this.emit('packet', p, performance.now());
  }

  send(payloadType: number, timestamp: number, payload: Buffer, marker = false): void {
    if (!this.remote || this.closed) return;
    const pkt = buildRtp({ payloadType, marker, sequence: this.seq, timestamp, ssrc: this.ssrc, payload });
    this.seq = (this.seq + 1) & 0xffff;
    this.stats.packetsOut++;
    if (this.connected) this.socket.send(pkt);
    else this.socket.send(pkt, this.remote.port, this.remote.address);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    inUse.delete(this.port);
    this.socket.close();
  }
}

/** How many RTP ports of `range` are still free for new sessions (the overload check asks before answering). */
export function freeRtpPorts(range: PortRange): number {
  const lo = range.min + (range.min % 2);
  const count = Math.max(0, Math.floor((range.max - lo) / 2) + 1);
  let used = 0;
  for (const p of inUse) if (p >= lo && p <= range.max) used++;
  return count - used;
}
