import { buildNon2xxAck, buildResponse } from './build.js';
import { header, serialize, type SipRequest, type SipResponse } from './message.js';
import { parseCSeq, parseVia } from './headers.js';
import type { Remote } from './transport.js';

/**
 * The four RFC 3261 §17 transaction state machines. Timers by letter:
 *  client INVITE     A (retransmit, UDP) · B (give up, 64·T1) · D (absorb response retransmits, 32 s UDP)
 *  client non-INVITE E (retransmit, UDP, capped at T2) · F (give up, 64·T1) · K (absorb, T4 UDP)
 *  server INVITE     G (retransmit final non-2xx, UDP) · H (wait for ACK, 64·T1) · I (absorb ACKs, T4 UDP)
 *                    L (RFC 6026 "accepted": absorb INVITE retransmits after 2xx, 64·T1)
 *  server non-INVITE J (absorb request retransmits, 64·T1 UDP)
 * On reliable transports (TCP) the retransmit timers are off and the absorb timers are zero.
 */

export interface Timers {
  t1: number;
  t2: number;
  t4: number;
}

export const DEFAULT_TIMERS: Timers = { t1: 500, t2: 4000, t4: 5000 };

export interface TxEnv {
  timers: Timers;
  send(data: Buffer, remote: Remote): void;
  /** The transaction reached Terminated: forget it. */
  done(key: string): void;
}

export function clientKey(branch: string, method: string): string {
  return `c:${branch}:${method === 'ACK' ? 'INVITE' : method}`;
}

export function serverKey(req: SipRequest): string {
  const via = parseVia(header(req, 'Via')!);
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  return `s:${via.params.branch ?? ''}:${via.host}:${via.port ?? ''}:${method}`;
}

/** What a client transaction tells its user. */
export interface ClientTU {
  onResponse(res: SipResponse): void;
  /** Timer B/F fired or the transport failed: treat as 408. */
  onTimeout(): void;
}

export class ClientTransaction {
  state: 'calling' | 'trying' | 'proceeding' | 'completed' | 'terminated';
  readonly key: string;
  readonly invite: boolean;
  private readonly raw: Buffer;
  private retransmit: NodeJS.Timeout | undefined;
  private giveUp: NodeJS.Timeout | undefined;
  private absorb: NodeJS.Timeout | undefined;
  private interval: number;
  private ack: Buffer | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly env: TxEnv,
    private readonly tu: ClientTU,
  ) {
    this.invite = request.method === 'INVITE';
    this.state = this.invite ? 'calling' : 'trying';
    const branch = parseVia(header(request, 'Via')!).params.branch ?? '';
    this.key = clientKey(branch, request.method);
    this.raw = serialize(request);
    this.interval = env.timers.t1;
  }

  start(): void {
    const { t1 } = this.env.timers;
    this.env.send(this.raw, this.remote);
    if (this.remote.transport === 'udp') this.retransmit = setTimeout(() => this.onRetransmit(), this.interval);
    this.giveUp = setTimeout(() => {
      if (this.state === 'completed' || this.state === 'terminated') return;
      this.terminate();
      this.tu.onTimeout();
    }, 64 * t1);
  }

  private onRetransmit(): void {
    const { t2 } = this.env.timers;
    if (this.state === 'calling' || this.state === 'trying' || (this.state === 'proceeding' && !this.invite)) {
      this.env.send(this.raw, this.remote);
      // Timer A doubles without cap; E doubles up to T2, and sits at T2 once a provisional came (§17.1.2.2).
      this.interval = this.invite ? this.interval * 2 : this.state === 'proceeding' ? t2 : Math.min(this.interval * 2, t2);
      this.retransmit = setTimeout(() => this.onRetransmit(), this.interval);
    }
  }

  receive(res: SipResponse): void {
    if (this.state === 'terminated') return;
    if (res.status < 200) {
      if (this.state === 'calling' || this.state === 'trying') {
        this.state = 'proceeding';
        if (this.invite) this.clearRetransmit(); // INVITE stops retransmitting once a provisional arrives
      }
      if (this.state === 'proceeding') this.tu.onResponse(res);
      return;
    }
    if (this.state === 'completed') {
      // A retransmitted final response: re-ACK a non-2xx INVITE response, otherwise swallow it.
      if (this.ack) this.env.send(this.ack, this.remote);
      return;
    }
    this.clearRetransmit();
    if (this.giveUp) clearTimeout(this.giveUp);
    const udp = this.remote.transport === 'udp';
    if (this.invite && res.status < 300) {
      // 2xx ends the INVITE client transaction; the dialog layer ACKs it (§17.1.1.2).
      this.terminate();
      this.tu.onResponse(res);
      return;
    }
    this.state = 'completed';
    if (this.invite) {
      this.ack = serialize(buildNon2xxAck(this.request, res));
      this.env.send(this.ack, this.remote);
    }
    const wait = !udp ? 0 : this.invite ? Math.max(32_000, 64 * this.env.timers.t1) : this.env.timers.t4;
    this.absorb = setTimeout(() => this.terminate(), wait);
    this.tu.onResponse(res);
  }

  private clearRetransmit(): void {
    if (this.retransmit) clearTimeout(this.retransmit);
    this.retransmit = undefined;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearRetransmit();
    if (this.giveUp) clearTimeout(this.giveUp);
    if (this.absorb) clearTimeout(this.absorb);
    this.env.done(this.key);
  }
}

export class ServerTransaction {
  state: 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
  readonly key: string;
  readonly invite: boolean;
  readonly method: string;
  lastResponse: SipResponse | undefined;
  private lastRaw: Buffer | undefined;
  private retransmit: NodeJS.Timeout | undefined;
  private timeout: NodeJS.Timeout | undefined;
  private interval: number;
  /** Called when Timer H fires without an ACK. */
  onAckTimeout: (() => void) | undefined;
  /** Called once, with the first final response: what only mattered before it can be let go. */
  onFinal: (() => void) | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly env: TxEnv,
  ) {
    this.invite = request.method === 'INVITE';
    this.method = request.method;
    this.state = this.invite ? 'proceeding' : 'trying';
    this.key = serverKey(request);
    this.interval = env.timers.t1;
    // We answer INVITEs at once with 100 Trying: it stops the client's Timer A (§17.2.1).
    if (this.invite) this.respond(buildResponse(request, 100));
  }

  get cseq(): number {
    return parseCSeq(header(this.request, 'CSeq')!).seq;
  }

  respond(res: SipResponse): void {
    if (this.state === 'completed' || this.state === 'confirmed' || this.state === 'terminated' || this.state === 'accepted') return;
    this.lastResponse = res;
    this.lastRaw = serialize(res);
    this.env.send(this.lastRaw, this.remote);
    if (res.status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    const final = this.onFinal;
    this.onFinal = undefined;
    final?.();
    const { t1 } = this.env.timers;
    const udp = this.remote.transport === 'udp';
    if (this.invite && res.status < 300) {
      this.state = 'accepted';
      this.timeout = setTimeout(() => this.terminate(), 64 * t1);
    } else if (this.invite) {
      this.state = 'completed';
      if (udp) this.retransmit = setTimeout(() => this.onRetransmit(), this.interval);
      this.timeout = setTimeout(() => {
        this.terminate();
        this.onAckTimeout?.();
      }, 64 * t1);
    } else {
      this.state = 'completed';
      this.timeout = setTimeout(() => this.terminate(), udp ? 64 * t1 : 0);
    }
  }

  private onRetransmit(): void {
    if (this.state !== 'completed' || !this.lastRaw) return;
    this.env.send(this.lastRaw, this.remote);
    this.interval = Math.min(this.interval * 2, this.env.timers.t2);
    this.retransmit = setTimeout(() => this.onRetransmit(), this.interval);
  }

  /** A retransmitted request (or the ACK of a non-2xx final). Returns true if it was absorbed here. */
  receive(req: SipRequest): boolean {
    if (req.method === 'ACK') {
      if (this.state !== 'completed') return false; // ACK for 2xx belongs to the dialog
      this.state = 'confirmed';
      if (this.retransmit) clearTimeout(this.retransmit);
      if (this.timeout) clearTimeout(this.timeout);
      this.timeout = setTimeout(() => this.terminate(), this.remote.transport === 'udp' ? this.env.timers.t4 : 0);
      return true;
    }
    if (this.lastRaw && this.state !== 'confirmed') this.env.send(this.lastRaw, this.remote);
    return true;
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    if (this.retransmit) clearTimeout(this.retransmit);
    if (this.timeout) clearTimeout(this.timeout);
    this.env.done(this.key);
  }
}
