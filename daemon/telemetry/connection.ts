import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from '../log.js';

let mqttLib: typeof import('mqtt').default | undefined;

/**
 * One connection to the central broker, kept up for as long as the daemon runs.
 *
 * Each attempt is a fresh mqtt.js client with its own reconnect disabled: we choose when to retry
 * (exponential backoff with jitter, much longer after an authentication refusal so a wrong
 * password does not hammer central IT's broker), and a fresh client never replays packets from a
 * previous connection: what is unsent lives in the outbox, not in mqtt.js's memory.
 *
 * Clean start: true, session expiry 0. The outbox already redelivers everything unacknowledged on
 * every connect, in seq order, so a broker-side session would add nothing for our publishes; and
 * commands queued at the broker while the box was away must not fire minutes later.
 */

export interface ConnectionOptions {
  url: string;
  clientId: string;
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  /** Last Will: published retained by the broker if we vanish. */
  will: { topic: string; payload: string };
  log: Logger;
  backoff?: Partial<Backoff>;
}

export interface Backoff {
  /** First retry after about this long. */
  minMs: number;
  maxMs: number;
  /** After the broker refused our credentials or authorization. */
  authMinMs: number;
  authMaxMs: number;
}

/**
 * maxMs is small on purpose: a reconnect is one TCP connect (refused at once while the broker is
 * down), and once it is back the backlog must start flowing within 5 s (issue 12), so a retry
 * comes every 1.5–3 s for as long as the outage lasts.
 */
export const DEFAULT_BACKOFF: Backoff = { minMs: 1000, maxMs: 3000, authMinMs: 60_000, authMaxMs: 15 * 60_000 };

/** What the connection is doing, for the status line, the status payload and logs. */
export interface LinkState {
  state: 'connecting' | 'connected' | 'broker-unreachable' | 'auth-failed' | 'stopped';
  /** ISO time the state began. */
  since: string;
  lastError?: string;
  attempts: number;
}

/** MQTT 5 CONNACK reason codes that mean "fix the credentials", not "try again soon". */
const AUTH_CODES = new Set([134, 135, 138, 140]); // bad user/password, not authorized, banned, bad auth method

export interface ConnectionEvents {
  up: [client: MqttClient];
  down: [reason: string];
  /** The broker refused our credentials; `nextMs` until the next try. */
  'auth-failed': [reason: string, nextMs: number];
  /** Connected again after an auth failure. */
  'auth-ok': [];
  /** The broker could not be reached (first failed attempt after being up, or since start). */
  unreachable: [reason: string];
}

/** Delay before attempt n (0-based) after failures: exponential, capped, with equal jitter. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, rnd: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (rnd() * ceiling) / 2);
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private authFailing = false;
  private stopped = true;
  private readonly backoff: Backoff;
  /** Connection attempts made, for status and tests. */
  attemptsMade = 0;
  lastError: string | undefined;
  private link: LinkState = { state: 'stopped', since: new Date().toISOString(), attempts: 0 };

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** The live client, when connected. */
  get current(): MqttClient | undefined {
    return this.client?.connected ? this.client : undefined;
  }

  state(): LinkState {
    return { ...this.link, attempts: this.attempts, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  private setLink(state: LinkState['state']): boolean {
    if (this.link.state === state) return false;
    this.link = { state, since: new Date().toISOString(), attempts: this.attempts };
    return true;
  }

  start(): void {
    this.stopped = false;
    this.setLink('connecting');
    if (mqttLib) return this.attempt();
    // mqtt.js is loaded by the first connection: a box without mqtt: never holds it in memory.
    import('mqtt').then(
      (m) => {
        mqttLib = m.default;
        this.attempt();
      },
      (err: unknown) => {
        this.lastError = `cannot load mqtt.js: ${(err as Error).message}`;
        this.opts.log.error({ err }, 'mqtt: cannot load mqtt.js');
      },
    );
  }

  /** Publish `final` (e.g. status offline) if connected, then disconnect cleanly (no Last Will). */
  async stop(final?: { topic: string; payload: string }): Promise<void> {
    this.stopped = true;
    this.setLink('stopped');
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    if (c.connected && final) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        c.publish(final.topic, final.payload, { qos: 1, retain: true }, () => (clearTimeout(t), resolve()));
      });
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (c.end(true), resolve()), 2000);
      c.end(false, {}, () => (clearTimeout(t), resolve()));
    });
  }

  /** Drop the current connection and reconnect after the usual backoff (e.g. the broker refused a publish). */
  recycle(reason: string): void {
    const c = this.client;
    if (!c) return;
    this.opts.log.warn({ reason }, 'mqtt: dropping the connection');
    c.end(true);
  }

  private clientOptions(): IClientOptions {
    const o = this.opts;
    const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
    return {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      keepalive: 30,
      // mqtt-packet's number cache is 65536 two-byte Buffers (about 7 MB of heap, for good); at
      // telemetry rates building the two bytes per packet costs nothing.
      writeCache: false,
      properties: { sessionExpiryInterval: 0 },
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      // Files are read on every attempt so a renewed certificate is picked up without a restart.
      ...(o.ca ? { ca: read(o.ca) } : {}),
      ...(o.cert ? { cert: read(o.cert) } : {}),
      ...(o.key ? { key: read(o.key) } : {}),
      rejectUnauthorized: true,
    };
  }

  private attempt(): void {
    if (this.stopped) return;
    this.attemptsMade++;
    let opts: IClientOptions;
    try {
      opts = this.clientOptions();
    } catch (err) {
      this.lastError = `cannot read TLS files: ${(err as Error).message}`;
      this.opts.log.error({ err: (err as Error).message }, 'mqtt: cannot read the CA/certificate/key file');
      this.schedule(false);
      return;
    }
    if (!mqttLib) return;
    const c = mqttLib.connect(this.opts.url, opts);
    this.client = c;
    let wasUp = false;
    let authError: string | undefined;
    c.on('connect', () => {
      wasUp = true;
      this.attempts = 0;
      this.lastError = undefined;
      if (this.authFailing) {
        this.authFailing = false;
        this.emit('auth-ok');
      }
      const was = this.link;
      this.setLink('connected');
      this.opts.log.info({ url: this.opts.url, clientId: this.opts.clientId, ...(was.state === 'broker-unreachable' ? { unreachableSince: was.since } : {}) }, 'mqtt: connected');
      this.emit('up', c);
    });
    c.on('error', (err: Error & { code?: number | string }) => {
      this.lastError = err.message;
      if (typeof err.code === 'number' && AUTH_CODES.has(err.code)) authError = err.message;
    });
    c.once('close', () => {
      if (this.client !== c) return; // stopped or replaced
      c.removeAllListeners('connect');
      c.end(true);
      if (wasUp) {
        this.opts.log.warn({ err: this.lastError }, 'mqtt: connection lost');
        this.emit('down', this.lastError ?? 'closed');
      }
      this.schedule(authError !== undefined, authError);
    });
    // mqtt.js emits 'error' with no listener as an exception; ours above always listens.
  }

  private schedule(auth: boolean, authError?: string): void {
    if (this.stopped) return;
    const b = this.backoff;
    const delay = auth ? backoffDelay(this.attempts, b.authMinMs, b.authMaxMs) : backoffDelay(this.attempts, b.minMs, b.maxMs);
    this.attempts++;
    if (auth) {
      this.authFailing = true;
      this.setLink('auth-failed');
      this.opts.log.error({ url: this.opts.url, username: this.opts.username, reason: authError, retryInMs: delay }, 'mqtt: the broker refused our credentials; check mqtt.username/password (or the client certificate); retrying slowly');
      this.emit('auth-failed', authError ?? 'refused', delay);
    } else if (this.setLink('broker-unreachable')) {
      // Once per outage at warn; each retry after that at debug (one every few seconds).
      this.opts.log.warn({ url: this.opts.url, err: this.lastError, retryInMs: delay }, 'mqtt: broker unreachable; reports wait in the outbox; retrying every few seconds');
      this.emit('unreachable', this.lastError ?? 'unreachable');
    } else {
      this.opts.log.debug({ url: this.opts.url, err: this.lastError, retryInMs: delay }, 'mqtt: broker still unreachable; retrying');
    }
    this.timer = setTimeout(() => this.attempt(), delay);
  }
}
