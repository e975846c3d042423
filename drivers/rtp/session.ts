import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { buildRtp, parseRtp, type RtpPacket } from './packet.js';
import type { RelayLoan } from './native-relay.js';
import { udpHandle } from './socket-fd.js';

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
  private counts = { in: 0, out: 0 };
  /** Packets in (parsed RTP from the far end) and out, including what a native relay did with this socket. */
  readonly stats: { readonly packetsIn: number; readonly packetsOut: number; foreign: number };
  private closed = false;
  /** Set while the native relay owns the socket (native-relay.ts): libuv doesn't read it meanwhile. */
  private loan: RelayLoan | undefined;
  /** Called once the socket is connected to the latched far end (a bridge may then relay it natively). */
  onConnected: (() => void) | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly address: string,
    readonly port: number,
  ) {
    super();
    const counts = this.counts;
    const live = (): RelayLoan | undefined => this.loan;
    this.stats = {
      get packetsIn() {
        return counts.in + (live()?.packetsIn ?? 0);
      },
      get packetsOut() {
        return counts.out + (live()?.packetsOut ?? 0);
      },
      foreign: 0,
    };
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
    if (this.remote?.address !== address || (!this.latched && this.remote.port !== port)) this.loan?.release();
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
        if (this.remote === target && this.latched) {
          this.connected = true;
          this.onConnected?.();
        } else this.unconnect(true);
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
    this.deliver(buf);
  }

  /** A datagram from the far end (read here, or passed on by the native relay). */
  deliver(buf: Buffer): void {
    const p = parseRtp(buf);
    if (!p) return;
    this.counts.in++;
    this.emit('packet', p, performance.now());
  }

  /** Connected to the latched far end: only then may a native relay read and write the socket. */
  get ready(): boolean {
    return this.connected && !this.closed;
  }

  /**
   * Lend the socket to the native relay: libuv stops reading it, and the relay sends our stream from
   * `seq` on. Undefined when it can't be lent (not connected yet, closing, already lent, or the fd
   * can't be had from Node).
   */
  lend(loan: RelayLoan): { fd: number; seq: number } | undefined {
    if (!this.ready || this.loan) return undefined;
    const h = udpHandle(this.socket);
    if (!h || h.recvStop() !== 0) return undefined;
    this.loan = loan;
    return { fd: h.fd, seq: this.seq };
  }

  /** The socket is ours again (the relay let go of it): read it again, our stream continues from `seq`. */
  takeBack(seq: number, packetsIn: number, packetsOut: number): void {
    if (!this.loan) return;
    this.loan = undefined;
    this.seq = seq & 0xffff;
    this.counts.in += packetsIn;
    this.counts.out += packetsOut;
    if (!this.closed) udpHandle(this.socket)?.recvStart();
  }

  send(payloadType: number, timestamp: number, payload: Buffer, marker = false): void {
    if (!this.remote || this.closed) return;
    this.loan?.release(); // never two senders of one stream (the port takes its socket back first; this is the backstop)
    const pkt = buildRtp({ payloadType, marker, sequence: this.seq, timestamp, ssrc: this.ssrc, payload });
    this.seq = (this.seq + 1) & 0xffff;
    this.counts.out++;
    if (this.connected) this.socket.send(pkt);
    else this.socket.send(pkt, this.remote.port, this.remote.address);
  }

  close(): void {
    if (this.closed) return;
    this.loan?.release(); // the relay lets go of the fd before it is closed (and its number reused)
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
