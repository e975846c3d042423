import { EventEmitter } from 'node:events';
import { randomToken } from './headers.js';
import type { SipRequest } from './message.js';
import type { Remote } from './transport.js';
import type { UserAgent } from './user-agent.js';

export interface KeepaliveEvents {
  /** Reachable or not, with the reason; emitted on every change (and once at the first answer). */
  state: [up: boolean, reason?: string];
}

/**
 * OPTIONS pings to a peer (RFC 3261 §11) to know it is reachable: any final response, even 404 or
 * 405, means something answers there; only a transaction timeout (408 from our own Timer F) or a
 * transport failure (503 from our stack) counts as down. Used for the PBX trunk when it is not
 * registered with, and usable for desk phones.
 */
export class Keepalive extends EventEmitter<KeepaliveEvents> {
  up: boolean | undefined;
  reason: string | undefined;
  /** OPTIONS sent so far. */
  pings = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly callId: string;
  private readonly tag = randomToken(5);
  private seq = 0;

  constructor(
    private readonly ua: UserAgent,
    private readonly target: Remote,
    private readonly intervalMs = 30_000,
    private readonly domain = `${target.address}:${target.port}`,
  ) {
    super();
    this.callId = ua.newCallId();
  }

  start(): void {
    this.stopped = false;
    void this.ping(); // ping catches a failed OPTIONS and reports it as the 'state' event
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private build(): SipRequest {
    const from = `sip:keepalive@${this.ua.host}:${this.ua.port}`;
    return {
      type: 'request',
      method: 'OPTIONS',
      uri: `sip:${this.domain}`,
      headers: [
        { name: 'From', value: `<${from}>;tag=${this.tag}` },
        { name: 'To', value: `<sip:${this.domain}>` },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: `${++this.seq} OPTIONS` },
        { name: 'Accept', value: 'application/sdp' },
      ],
      body: Buffer.alloc(0),
    };
  }

  private async ping(): Promise<void> {
    if (this.stopped) return;
    this.pings++;
    const res = await this.ua.request(this.build(), this.target).catch(() => undefined);
    if (this.stopped) return;
    const up = res !== undefined && res.status !== 408 && res.status !== 503;
    const reason = res ? `${res.status} ${res.reason}` : 'send failed';
    if (up !== this.up) {
      this.up = up;
      this.reason = up ? undefined : reason;
      this.emit('state', up, up ? undefined : reason);
    }
    this.timer = setTimeout(() => void this.ping(), this.intervalMs);
  }
}
