import { EventEmitter } from 'node:events';
import type { Credentials } from './digest.js';
import { randomToken } from './headers.js';
import { header, type SipRequest } from './message.js';
import type { Remote } from './transport.js';
import type { UserAgent } from './user-agent.js';

export interface RegistrationOptions {
  /** Registrar address (the PBX). */
  registrar: Remote;
  /** Domain for the AOR and Request-URI; defaults to the registrar address. */
  domain?: string;
  credentials: Credentials;
  expires?: number;
  /** Wait before trying again after a failure; doubles up to 10 minutes. */
  retryMs?: number;
}

export interface RegistrationEvents {
  /** Registered, or not with the reason (e.g. "403 Forbidden", "auth failed", "timeout"). */
  state: [registered: boolean, reason?: string];
}

/**
 * REGISTER as a client (RFC 3261 §10): refresh at 80 % of the granted expiry; after a failure, retry
 * with backoff — never faster than `retryMs`, so a wrong password is one attempt per interval, not a storm.
 */
export class Registration extends EventEmitter<RegistrationEvents> {
  registered = false;
  lastError: string | undefined;
  private readonly callId: string;
  private readonly tag = randomToken(5);
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoff: number;
  /** How many REGISTER transactions we sent (tests check there is no storm). */
  attempts = 0;

  constructor(
    private readonly ua: UserAgent,
    private readonly opts: RegistrationOptions,
  ) {
    super();
    this.callId = ua.newCallId();
    this.backoff = opts.retryMs ?? 30_000;
  }

  start(): void {
    this.stopped = false;
    void this.register(this.opts.expires ?? 300); // register reports failure as state and retries on its own timer
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.registered) await this.send(0).catch(() => undefined); // unregistering is a courtesy; the binding expires anyway
    this.registered = false;
  }

  private build(expires: number): SipRequest {
    const domain = this.opts.domain ?? `${this.opts.registrar.address}:${this.opts.registrar.port}`;
    const aor = `sip:${this.opts.credentials.username}@${domain}`;
    return {
      type: 'request',
      method: 'REGISTER',
      uri: `sip:${domain}`,
      headers: [
        { name: 'From', value: `<${aor}>;tag=${this.tag}` },
        { name: 'To', value: `<${aor}>` },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: `${++this.seq} REGISTER` },
        { name: 'Contact', value: `${this.ua.contact(this.opts.credentials.username, this.opts.registrar.transport)};expires=${expires}` },
        { name: 'Expires', value: String(expires) },
      ],
      body: Buffer.alloc(0),
    };
  }

  private async send(expires: number): Promise<{ ok: boolean; granted: number; reason: string }> {
    this.attempts++;
    const res = await this.ua.request(this.build(expires), this.opts.registrar, this.opts.credentials);
    // Keep our CSeq ahead of any retry the UA made with credentials.
    this.seq = Math.max(this.seq, Number(header(res, 'CSeq')?.split(' ')[0] ?? 0));
    const ok = res.status >= 200 && res.status < 300;
    const m = /expires=(\d+)/i.exec(header(res, 'Contact') ?? '');
    const granted = Number(m?.[1] ?? header(res, 'Expires') ?? expires) || expires;
    const reason = res.status === 401 || res.status === 407 ? `${res.status} auth failed (check username/password)` : `${res.status} ${res.reason}`;
    return { ok, granted, reason };
  }

  private async register(expires: number): Promise<void> {
    if (this.stopped) return;
    const r = await this.send(expires);
    if (this.stopped) return;
    if (r.ok) {
      this.backoff = this.opts.retryMs ?? 30_000;
      this.lastError = undefined;
      if (!this.registered) {
        this.registered = true;
        this.emit('state', true);
      }
      this.timer = setTimeout(() => void this.register(expires), Math.max(5, r.granted * 0.8) * 1000);
    } else {
      const was = this.registered;
      this.registered = false;
      this.lastError = r.reason;
      if (was || this.attempts <= 1 || this.listenerCount('state') > 0) this.emit('state', false, r.reason);
      this.timer = setTimeout(() => void this.register(expires), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 600_000);
    }
  }
}
