import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { buildResponse } from './build.js';
import { DigestServer, authorize, pickChallenge, type Credentials } from './digest.js';
import { dialogKey, toTag, type Dialog } from './dialog.js';
import { Guard } from './guard.js';
import { formatVia, newBranch, parseCSeq, parseVia, randomToken } from './headers.js';
import { DEFAULT_LIMITS, SipParseError, header, headerAll, removeHeader, serialize, setHeader, type Limits, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { ClientTransaction, DEFAULT_TIMERS, ServerTransaction, clientKey, serverKey, type ClientTU, type Timers, type TxEnv } from './transaction.js';
import { remoteKey, type Remote, type Transport, type TransportKind } from './transport.js';
import { TcpTransport } from './transport-tcp.js';
import { UdpTransport, WANTED_RECV_BUFFER } from './transport-udp.js';

export interface UserAgentOptions {
  listen: { host: string; port: number };
  transports?: TransportKind[];
  /** Address written into Via/Contact/SDP, when different from listen.host (e.g. listening on 0.0.0.0). */
  advertise?: string;
  /** Sources that may send requests without digest auth (the PBX). CIDR strings. */
  allowFrom: string[];
  /** Users that may authenticate to us with digest (username → password). */
  users?: Record<string, string>;
  realm?: string;
  timers?: Partial<Timers>;
  userAgent?: string;
  limits?: Partial<Limits>;
  guard?: { ratePerSecond?: number; burst?: number; banMs?: number; scannerUserAgents?: string[] };
  logger?: Logger;
}

/** What the UA hands to whoever handles a dialog. */
export interface DialogHandler {
  onRequest(req: SipRequest, tx: ServerTransaction, remote: Remote): void;
  /** ACK for our 2xx (no transaction of its own). */
  onAck(req: SipRequest): void;
  /** A 2xx to our INVITE arriving after its transaction ended: re-send the ACK. */
  on2xx?(res: SipResponse): void;
}

export interface IncomingInvite {
  request: SipRequest;
  tx: ServerTransaction;
  remote: Remote;
  /** The digest user, when the INVITE was authenticated. */
  authenticatedUser?: string;
  /** True when the source is a configured peer. */
  trustedPeer: boolean;
}

export interface UserAgentEvents {
  invite: [incoming: IncomingInvite];
  /** An out-of-dialog request nobody else handles (MESSAGE, NOTIFY for a subscription we do not keep...). */
  request: [req: SipRequest, tx: ServerTransaction, remote: Remote];
  banned: [address: string];
  /** A call's dialog is confirmed (a snapshot), and later over: for whoever must end it after a crash. */
  'dialog-up': [dialog: Dialog];
  'dialog-down': [callId: string, localTag: string];
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';

/** Methods some SIP element implements (RFC 3261 and extensions): refused with 405, not 501. */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'UPDATE', 'PRACK', 'PUBLISH']);

/** §8.2.1: 405 + Allow for a method we know but do not take here; 501 for one we do not recognise. */
export function unsupported(req: SipRequest): SipResponse {
  if (KNOWN_METHODS.has(req.method)) return buildResponse(req, 405, { headers: [{ name: 'Allow', value: ALLOW }] });
  return buildResponse(req, 501, { headers: [{ name: 'Allow', value: ALLOW }] });
}

/**
 * The transport + transaction layers and request dispatch: edge checks first (rate, ban, scanner
 * User-Agent, allow-list or digest), then transactions, then dialogs by Call-ID and our tag.
 * INVITE sessions themselves live in SipLeg.
 */
export class UserAgent extends EventEmitter<UserAgentEvents> {
  readonly log: Logger;
  readonly timers: Timers;
  readonly guard: Guard;
  readonly userAgent: string;
  private readonly transports = new Map<TransportKind, Transport>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly dialogs = new Map<string, DialogHandler>();
  /** INVITE server transaction key → what to do when it is cancelled. */
  private readonly cancelHandlers = new Map<string, () => void>();
  private readonly digest: DigestServer | undefined;
  private readonly env: TxEnv;

  constructor(readonly options: UserAgentOptions) {
    super();
    this.log = options.logger ?? pino({ level: 'silent' });
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.userAgent = options.userAgent ?? 'Frontdesk';
    this.guard = new Guard({ allowFrom: options.allowFrom, ...options.guard });
    this.guard.onBan = (a) => {
      this.log.warn({ address: a }, 'sip: source banned for flooding');
      this.emit('banned', a);
    };
    const users = new Map(Object.entries(options.users ?? {}));
    this.digest = users.size ? new DigestServer(options.realm ?? 'frontdesk', users) : undefined;
    this.env = {
      timers: this.timers,
      send: (data, remote) => this.transports.get(remote.transport)?.send(data, remote),
      done: (key) => {
        this.clients.delete(key);
        this.servers.delete(key);
        this.cancelHandlers.delete(key);
      },
    };
  }

  async start(): Promise<void> {
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits };
    const admit = (r: Remote): boolean => this.guard.admit(r.address);
    let port = this.options.listen.port;
    for (const kind of this.options.transports ?? ['udp']) {
      const t: Transport = kind === 'udp' ? new UdpTransport(this.options.listen.host, port, admit, limits) : new TcpTransport(this.options.listen.host, port, admit, limits);
      await t.listen();
      if (t instanceof UdpTransport && t.recvBufferBytes < WANTED_RECV_BUFFER) {
        this.log.warn({ bytes: t.recvBufferBytes, wanted: WANTED_RECV_BUFFER }, 'sip: small UDP receive buffer; bursts of calls may lose ACKs and BYEs (raise net.core.rmem_max)');
      }
      port = t.local.port; // with port 0, TCP takes the same number UDP got
      t.on('message', (m, r) => this.onMessage(m, r));
      t.on('malformed', (e, r) => this.onMalformed(e, r));
      t.on('error', (e) => this.log.error({ err: e }, 'sip transport error'));
      this.transports.set(kind, t);
    }
  }

  async stop(): Promise<void> {
    for (const tx of [...this.clients.values()]) tx.terminate();
    for (const tx of [...this.servers.values()]) tx.terminate();
    await Promise.all([...this.transports.values()].map((t) => t.close()));
    this.transports.clear();
  }

  /** The address peers should reach us at. */
  get host(): string {
    return this.options.advertise ?? this.options.listen.host;
  }

  get port(): number {
    return [...this.transports.values()][0]?.local.port ?? this.options.listen.port;
  }

  hasTransport(kind: TransportKind): boolean {
    return this.transports.has(kind);
  }

  contact(user = 'frontdesk', transport: TransportKind = 'udp'): string {
    return `<sip:${user}@${this.host}:${this.port}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  newCallId(): string {
    return `${randomToken(12)}@${this.host}`;
  }

  // ---- sending ----

  /** Send a request in a new client transaction. Adds our Via, Max-Forwards and User-Agent. */
  send(req: SipRequest, remote: Remote, tu: ClientTU): ClientTransaction {
    if (!this.transports.has(remote.transport)) throw new Error(`transport ${remote.transport} not enabled`);
    this.stamp(req, remote.transport);
    const tx = new ClientTransaction(req, remote, this.env, tu);
    this.clients.set(tx.key, tx);
    tx.start();
    return tx;
  }

  /** Send a request and resolve with its final response (408 on timeout). Retries a digest challenge once. */
  request(req: SipRequest, remote: Remote, creds?: Credentials, onProvisional?: (res: SipResponse) => void): Promise<SipResponse> {
    return new Promise((resolve) => {
      let attempts = 0;
      const go = (r: SipRequest): void => {
        this.send(r, remote, {
          onResponse: (res) => {
            if (res.status < 200) return onProvisional?.(res);
            const retry = creds ? this.withCredentials(r, res, creds, attempts) : undefined;
            if (retry) {
              attempts++;
              return go(retry);
            }
            resolve(res);
          },
          onTimeout: () => resolve(buildResponse(r, 408)),
        });
      };
      go(req);
    });
  }

  /**
   * Given a 401/407, the same request with credentials and CSeq + 1; undefined when we should give up.
   * One try per request, plus one more only when the server says our nonce was merely stale, so a wrong
   * password never turns into a retry storm.
   */
  withCredentials(req: SipRequest, res: SipResponse, creds: Credentials, attempts: number): SipRequest | undefined {
    if (res.status !== 401 && res.status !== 407) return undefined;
    const ch = pickChallenge(headerAll(res, res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate'));
    if (!ch || attempts >= 2 || (attempts === 1 && !ch.stale)) return undefined;
    const cseq = parseCSeq(header(req, 'CSeq')!);
    const next: SipRequest = { ...req, headers: req.headers.map((h) => ({ ...h })) };
    removeHeader(next, 'Via');
    setHeader(next, 'CSeq', `${cseq.seq + 1} ${cseq.method}`);
    setHeader(next, res.status === 401 ? 'Authorization' : 'Proxy-Authorization', authorize(ch, creds, req.method, req.uri));
    return next;
  }

  private stamp(msg: SipRequest, transport: TransportKind): void {
    // A CANCEL arrives with its INVITE's Via already in place (same branch, §9.1).
    if (header(msg, 'Via')) return;
    const via = formatVia({ transport: transport.toUpperCase(), host: this.host, port: this.port, params: { branch: newBranch(), rport: null } });
    msg.headers = [{ name: 'Via', value: via }, ...msg.headers];
    if (!header(msg, 'Max-Forwards')) msg.headers.push({ name: 'Max-Forwards', value: '70' });
    if (!header(msg, 'User-Agent')) msg.headers.push({ name: 'User-Agent', value: this.userAgent });
  }

  /** Send without a transaction: the ACK for a 2xx, and 2xx retransmissions. */
  sendStateless(msg: SipMessage, remote: Remote): void {
    if (msg.type === 'request') this.stamp(msg, remote.transport);
    this.transports.get(remote.transport)?.send(serialize(msg), remote);
  }

  // ---- dialogs ----

  addDialog(callId: string, localTag: string, handler: DialogHandler): void {
    this.dialogs.set(dialogKey(callId, localTag), handler);
  }

  removeDialog(callId: string, localTag: string): void {
    this.dialogs.delete(dialogKey(callId, localTag));
  }

  /**
   * Register what to do when the INVITE of `tx` is cancelled. A CANCEL after the final response changes
   * nothing (§9.2), so the handler goes with it: kept until the transaction ends (32 s), it held the
   * whole call (leg, media, bot) that long after the call was over.
   */
  onCancel(tx: ServerTransaction, handler: () => void): void {
    this.cancelHandlers.set(tx.key, handler);
    tx.onFinal = () => this.cancelHandlers.delete(tx.key);
  }

  get counts(): { clients: number; servers: number; dialogs: number } {
    return { clients: this.clients.size, servers: this.servers.size, dialogs: this.dialogs.size };
  }

  // ---- receiving ----

  private onMalformed(err: Error, remote: Remote): void {
    this.log.debug({ err: err.message, remote: remoteKey(remote) }, 'sip: malformed message');
    const req = err instanceof SipParseError ? err.request : undefined;
    if (!req || req.method === 'ACK') return;
    const status = (err as SipParseError).status;
    // The reason phrase says what was wrong, so the sender's log tells its admin.
    const reason = status === 400 ? `Bad Request (${err.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 80)})` : undefined;
    this.transports.get(remote.transport)?.send(serialize(buildResponse(req, status, { toTag: randomToken(4), ...(reason ? { reason } : {}) })), remote);
  }

  private onMessage(msg: SipMessage, remote: Remote): void {
    try {
      if (msg.type === 'response') this.onResponse(msg);
      else this.onRequest(msg, remote);
    } catch (e) {
      // A bug in handling one message must never take the process down.
      this.log.error({ err: e }, 'sip: error handling message');
    }
  }

  private onResponse(res: SipResponse): void {
    const via = parseVia(header(res, 'Via')!);
    const method = parseCSeq(header(res, 'CSeq')!).method;
    const tx = this.clients.get(clientKey(via.params.branch ?? '', method));
    if (tx) return tx.receive(res);
    if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const d = this.dialogs.get(dialogKey(header(res, 'Call-ID')!, fromTagOf(res)));
      d?.on2xx?.(res);
    }
  }

  private onRequest(req: SipRequest, remote: Remote): void {
    if (this.guard.isScanner(header(req, 'User-Agent'))) {
      this.log.debug({ remote: remote.address }, 'sip: scanner dropped');
      return;
    }
    const mf = header(req, 'Max-Forwards');
    if (mf !== undefined && Number(mf) === 0 && req.method !== 'ACK') return this.reply(req, remote, 483);

    if (req.method === 'ACK') {
      const st = this.servers.get(serverKey(req));
      if (st?.receive(req)) return;
      this.dialogs.get(dialogKey(header(req, 'Call-ID')!, toTag(req) ?? ''))?.onAck(req);
      return;
    }

    const existing = this.servers.get(serverKey(req));
    if (existing) return void existing.receive(req);

    const trusted = this.guard.isAllowed(remote.address);
    const localTag = toTag(req);
    const dialog = localTag ? this.dialogs.get(dialogKey(header(req, 'Call-ID')!, localTag)) : undefined;

    // Out-of-dialog requests from strangers must authenticate; in-dialog ones ride on the INVITE's trust.
    let user: string | undefined;
    if (!dialog && req.method !== 'CANCEL') {
      const auth = header(req, 'Authorization');
      if (this.digest && (auth || !trusted)) {
        const v = this.digest.verify(auth, req.method);
        if (!v.ok) {
          if (trusted && v.status === 403) return this.reply(req, remote, 403);
          if (!trusted) {
            const headers = v.challenges.map((value) => ({ name: 'WWW-Authenticate', value }));
            return this.reply(req, remote, v.status, headers);
          }
        } else user = v.user;
      } else if (!trusted) {
        return this.reply(req, remote, 403);
      }
    }

    const tx = new ServerTransaction(req, remote, this.env);
    this.servers.set(tx.key, tx);

    if (req.method === 'CANCEL') return this.onCancelRequest(req, tx);
    if (localTag) {
      if (!dialog) return tx.respond(buildResponse(req, 481));
      return dialog.onRequest(req, tx, remote);
    }
    switch (req.method) {
      case 'INVITE':
        if (this.listenerCount('invite') === 0) return tx.respond(buildResponse(req, 480));
        return void this.emit('invite', { request: req, tx, remote, authenticatedUser: user, trustedPeer: trusted });
      case 'OPTIONS':
        return tx.respond(buildResponse(req, 200, { toTag: randomToken(4), headers: [{ name: 'Allow', value: ALLOW }, { name: 'Accept', value: 'application/sdp' }] }));
      case 'BYE':
        return tx.respond(buildResponse(req, 481));
      default:
        if (this.listenerCount('request') > 0) return void this.emit('request', req, tx, remote);
        return tx.respond(unsupported(req));
    }
  }

  private onCancelRequest(cancel: SipRequest, tx: ServerTransaction): void {
    const inviteKey = serverKey({ ...cancel, method: 'INVITE' });
    const invite = this.servers.get(inviteKey);
    if (!invite) return tx.respond(buildResponse(cancel, 481));
    tx.respond(buildResponse(cancel, 200));
    const handler = this.cancelHandlers.get(inviteKey);
    this.cancelHandlers.delete(inviteKey);
    if (invite.state === 'proceeding') {
      handler?.();
      // If the TU did not answer the INVITE itself, we do (§9.2).
      invite.respond(buildResponse(invite.request, 487, { toTag: toTag(invite.lastResponse ?? invite.request) ?? randomToken(4) }));
    }
  }

  /** A stateless reply, for requests we refuse before creating a transaction. */
  private reply(req: SipRequest, remote: Remote, status: number, headers: { name: string; value: string }[] = []): void {
    this.transports.get(remote.transport)?.send(serialize(buildResponse(req, status, { toTag: randomToken(4), headers })), remote);
  }
}

function fromTagOf(res: SipResponse): string {
  const m = /;\s*tag=([^;>\s]+)/i.exec(header(res, 'From') ?? '');
  return m?.[1] ?? '';
}
