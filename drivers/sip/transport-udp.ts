import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { DEFAULT_LIMITS, parseMessage, type Limits } from './message.js';
import type { Admit, Remote, Transport, TransportEvents } from './transport.js';

/**
 * How long received messages may be worked on in one stretch of the event loop. Node hands a whole
 * batch of datagrams (a burst of 50 INVITEs) to us back to back, and the timers that pace every
 * call's audio wait until the batch is done; beyond this, the rest wait their turn (in order).
 */
const SLICE_MS = 4;
/** Messages waiting for a turn; beyond this a burst is dropped as the kernel would (UDP: the peer retransmits). */
const MAX_BACKLOG = 20_000;

/** SIP over UDP: one datagram, one message. Bare CRLF keepalives are ignored. */
export class UdpTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = 'udp' as const;
  private socket: dgram.Socket | undefined;
  private readonly backlog: [Buffer, Remote][] = [];
  private sliceStart = -1;
  private draining = false;
  local = { address: '', port: 0 };
  /** The kernel receive buffer we got (Linux reports twice what is usable for data). */
  recvBufferBytes = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly admit: Admit = () => true,
    private readonly limits: Limits = DEFAULT_LIMITS,
  ) {
    super();
  }

  listen(): Promise<void> {
    const socket = dgram.createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (buf, rinfo) => this.receive(buf, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
    socket.on('error', (err) => this.emit('error', err));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.host, () => {
        socket.off('error', reject);
        const a = socket.address();
        this.local = { address: a.address, port: a.port };
        this.recvBufferBytes = growRecvBuffer(socket);
        resolve();
      });
    });
  }

  private receive(buf: Buffer, remote: Remote): void {
    if (this.backlog.length > 0 || this.sliceSpent()) {
      if (this.backlog.length < MAX_BACKLOG) this.backlog.push([buf, remote]);
      this.drainLater();
      return;
    }
    this.onDatagram(buf, remote);
  }

  /** Has this stretch of the event loop (up to the next check phase) used its time? */
  private sliceSpent(): boolean {
    const now = performance.now();
    if (this.sliceStart < 0) {
      this.sliceStart = now;
      setImmediate(() => (this.sliceStart = -1));
      return false;
    }
    return now - this.sliceStart > SLICE_MS;
  }

  private drainLater(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      const start = performance.now();
      while (this.backlog.length > 0 && performance.now() - start <= SLICE_MS) {
        const [buf, remote] = this.backlog.shift()!;
        this.onDatagram(buf, remote);
      }
      // Queued from inside an immediate: the next turn comes after the timers.
      if (this.backlog.length > 0) this.drainLater();
    });
  }

  private onDatagram(buf: Buffer, remote: Remote): void {
    if (!this.admit(remote, buf.length)) return;
    if (buf.length <= 4 && buf.toString('latin1').trim() === '') return; // keepalive
    let msg;
    try {
      msg = parseMessage(buf, this.limits);
    } catch (e) {
      this.emit('malformed', e as Error, remote);
      return;
    }
    this.emit('message', msg, remote);
  }

  send(data: Buffer, remote: Remote): void {
    this.socket?.send(data, remote.port, remote.address);
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    this.backlog.length = 0;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}

/**
 * A burst of INVITEs, ACKs and BYEs arriving while the event loop is busy waits in the kernel's
 * receive buffer; the default (about 200 KB, a few hundred datagrams) overflows within a fraction of
 * a second at a few hundred calls/s, and a lost ACK or BYE turns a good call into a failed one. Ask for
 * 4 MiB; the kernel caps it at net.core.rmem_max (see the README for raising that).
 */
export const WANTED_RECV_BUFFER = 4 * 1024 * 1024;

function growRecvBuffer(socket: dgram.Socket): number {
  try {
    if (socket.getRecvBufferSize() < WANTED_RECV_BUFFER) socket.setRecvBufferSize(WANTED_RECV_BUFFER);
    return socket.getRecvBufferSize();
  } catch {
    return 0;
  }
}
