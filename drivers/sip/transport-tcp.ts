import { EventEmitter } from 'node:events';
import net from 'node:net';
import { DEFAULT_LIMITS, StreamFramer, parseMessage, type Limits } from './message.js';
import { remoteKey, type Admit, type Remote, type Transport, type TransportEvents } from './transport.js';

const IDLE_MS = 5 * 60_000;

/**
 * SIP over TCP: connections are keyed by the peer's address:port, so responses go back on the
 * connection the request came in on, and requests to a peer reuse an open connection. Bad framing
 * closes the connection (the stream cannot be resynchronised).
 */
export class TcpTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = 'tcp' as const;
  private server: net.Server | undefined;
  private readonly conns = new Map<string, net.Socket>();
  local = { address: '', port: 0 };

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly admit: Admit = () => true,
    private readonly limits: Limits = DEFAULT_LIMITS,
    private readonly maxConnections = 256,
  ) {
    super();
  }

  listen(): Promise<void> {
    const server = net.createServer((sock) => {
      if (this.conns.size >= this.maxConnections) return sock.destroy();
      this.adopt(sock, { transport: 'tcp', address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 });
    });
    this.server = server;
    server.on('error', (err) => this.emit('error', err));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        this.local = { address: a.address, port: a.port };
        resolve();
      });
    });
  }

  private adopt(sock: net.Socket, remote: Remote): void {
    const key = remoteKey(remote);
    this.conns.set(key, sock);
    const framer = new StreamFramer(this.limits);
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    sock.on('data', (chunk) => {
      if (!this.admit(remote, chunk.length)) return void sock.destroy();
      let raws: Buffer[];
      try {
        raws = framer.push(chunk);
      } catch (e) {
        this.emit('malformed', e as Error, remote);
        return void sock.destroy();
      }
      for (const raw of raws) {
        try {
          this.emit('message', parseMessage(raw, this.limits, true), remote);
        } catch (e) {
          this.emit('malformed', e as Error, remote);
        }
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (this.conns.get(key) === sock) this.conns.delete(key);
    });
  }

  send(data: Buffer, remote: Remote): void {
    let sock = this.conns.get(remoteKey(remote));
    if (!sock || sock.destroyed) {
      sock = net.connect({ host: remote.address, port: remote.port, localAddress: this.local.address });
      this.adopt(sock, remote);
    }
    sock.write(data);
  }

  async close(): Promise<void> {
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
