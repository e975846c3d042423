import { EventEmitter } from 'node:events';
import { LineError, type DialOptions, type Line, type LineEvents, type LineHealth } from '../line.js';
import type { PortRange } from '../rtp/session.js';
import type { LegContext, SipLeg } from './leg.js';
import { InboundSipLeg } from './leg-inbound.js';
import { OutboundSipLeg } from './leg-outbound.js';
import { Registration } from './registration.js';
import { Keepalive } from './keepalive.js';
import { buildResponse } from './build.js';
import { randomToken } from './headers.js';
import { Overload } from './overload.js';
import type { Remote, TransportKind } from './transport.js';
import { parseUri, socketHost, uriPort } from './uri.js';
import { quote } from './headers.js';
import type { Credentials } from './digest.js';
import { UserAgent, type IncomingInvite, type UserAgentOptions } from './user-agent.js';

export interface TrunkOptions {
  host: string;
  port?: number;
  transport?: TransportKind;
  username: string;
  password: string;
  /** REGISTER with the PBX (otherwise the PBX knows us statically). */
  register?: boolean;
  /** Domain for our AOR; defaults to host:port. */
  domain?: string;
  expires?: number;
  retryMs?: number;
  /** OPTIONS ping interval when not registering (the PBX's reachability). 0 turns it off. Default 30 s. */
  keepaliveMs?: number;
  /**
   * How calls placed through the trunk show the caller's number. From is always the trunk's own
   * identity (PBXs check the digest user against it); the number goes in the display name and in
   * P-Asserted-Identity ('pai'), Remote-Party-ID ('rpid'), both, or neither ('none'). Default 'pai'.
   */
  callerId?: CallerIdHeaders;
  /** Bare extensions are dialled through this trunk (default true); false: only sip: URIs. */
  extensions?: boolean;
}

export type CallerIdHeaders = 'pai' | 'rpid' | 'both' | 'none';

export interface SipLineOptions extends UserAgentOptions {
  id: string;
  rtpPorts: PortRange;
  /** Address for RTP and the SDP c= line; defaults to advertise / listen.host. */
  rtpHost?: string;
  trunk?: TrunkOptions;
  /** Ring inbound calls this long before answering (lets the PBX CANCEL). Default 0. */
  answerDelayMs?: number;
  /** Most SIP legs at once; new INVITEs beyond it get 503 + Retry-After. */
  maxCalls?: number;
  /** Retry-After on those 503s, seconds (default 5). */
  retryAfterS?: number;
  /** Event-loop lag that counts as CPU overload (default 250 ms). */
  maxLagMs?: number;
}

/**
 * The SIP trunk as a Line: inbound INVITEs become 'incoming' legs, dial() places calls — to a bare
 * extension through the trunk (PBX), or directly to a sip: URI. Registers with the PBX when asked.
 */
export class SipTrunkLine extends EventEmitter<LineEvents> implements Line {
  readonly kind = 'sip' as const;
  readonly id: string;
  readonly ua: UserAgent;
  registration: Registration | undefined;
  keepalive: Keepalive | undefined;
  private readonly legs = new Set<SipLeg>();
  readonly overload: Overload;
  private overloaded = false;
  private state: LineHealth['state'] = 'stopped';
  private reason: string | undefined;

  constructor(readonly options: SipLineOptions) {
    super();
    this.id = options.id;
    this.ua = new UserAgent(options);
    this.ua.on('invite', (inc) => this.onInvite(inc));
    this.overload = new Overload({ rtpPorts: options.rtpPorts, maxCalls: options.maxCalls, retryAfterS: options.retryAfterS, maxLagMs: options.maxLagMs });
  }

  /** The trunk's digest credentials: any request the PBX challenges (INVITE, BYE, a BYE after a restart) answers with them once. */
  get credentials(): Credentials | undefined {
    const t = this.options.trunk;
    return t ? { username: t.username, password: t.password } : undefined;
  }

  private get ctx(): LegContext {
    return {
      ua: this.ua,
      lineId: this.id,
      rtpHost: this.options.rtpHost ?? this.ua.host,
      rtpPorts: this.options.rtpPorts,
      credentials: this.credentials,
      answerDelayMs: this.options.answerDelayMs,
      retryAfterS: this.overload.retryAfterS,
    };
  }

  private get trunkRemote(): Remote | undefined {
    const t = this.options.trunk;
    return t ? { transport: t.transport ?? 'udp', address: t.host, port: t.port ?? 5060 } : undefined;
  }

  async start(): Promise<void> {
    this.state = 'starting';
    await this.ua.start();
    this.overload.start();
    const t = this.options.trunk;
    if (t?.register) {
      this.registration = new Registration(this.ua, {
        registrar: this.trunkRemote!,
        domain: t.domain,
        credentials: { username: t.username, password: t.password },
        expires: t.expires,
        retryMs: t.retryMs,
      });
      this.registration.on('state', (ok, reason) => {
        this.state = ok ? 'ready' : 'down';
        this.reason = reason;
        this.emit('alarm', { lineId: this.id, code: 'registration-failed', active: !ok, message: ok ? 'registered' : `registration failed: ${reason}` });
        this.emit('health', this.health());
      });
      this.registration.start();
    } else if (t && (t.keepaliveMs ?? 30_000) > 0) {
      // Not registering: OPTIONS tells whether the PBX is there at all.
      this.keepalive = new Keepalive(this.ua, this.trunkRemote!, t.keepaliveMs ?? 30_000, t.domain);
      this.keepalive.on('state', (up, reason) => {
        this.state = up ? 'ready' : 'down';
        this.reason = up ? undefined : `PBX unreachable: ${reason}`;
        this.emit('alarm', { lineId: this.id, code: 'trunk-unreachable', active: !up, message: up ? 'PBX answers OPTIONS' : `PBX does not answer OPTIONS (${reason})` });
        this.emit('health', this.health());
      });
      this.state = 'ready';
      this.keepalive.start();
    } else this.state = 'ready';
    this.emit('health', this.health());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.legs].map((l) => l.hangup('line-down')));
    await this.registration?.stop();
    this.keepalive?.stop();
    this.overload.stop();
    await this.ua.stop();
    this.state = 'stopped';
  }

  health(): LineHealth {
    return {
      lineId: this.id,
      kind: 'sip',
      state: this.state,
      reason: this.reason,
      inCall: this.legs.size > 0,
      registered: this.registration ? this.registration.registered : undefined,
    };
  }

  /** Resolve a dial target: a sip: URI goes direct; a bare extension goes through the trunk. */
  resolveTarget(target: string): { uri: string; destination: Remote } {
    if (/^sips?:/i.test(target)) {
      const u = parseUri(target);
      const via = this.trunkRemote;
      const t = u.params.transport?.toLowerCase();
      const direct: Remote = { transport: t === 'tcp' ? 'tcp' : 'udp', address: socketHost(u.host), port: uriPort(u) };
      // A URI naming the PBX itself goes through it like an extension does.
      return { uri: target, destination: via && via.address === direct.address && via.port === direct.port ? via : direct };
    }
    const trunk = this.trunkRemote;
    if (!trunk) throw new LineError('not-routable', `cannot dial "${target}": no SIP trunk configured (use a sip: URI)`);
    if (this.options.trunk?.extensions === false) throw new LineError('not-routable', `cannot dial "${target}": extensions_via_trunk is off for line ${this.id} (give the agent a contact URI)`);
    if (!/^[0-9A-Za-z*#+._-]{1,32}$/.test(target)) throw new LineError('bad-number', `bad extension: ${target}`);
    const domain = this.options.trunk?.domain ?? `${trunk.address}:${trunk.port}`;
    return { uri: `sip:${target}@${domain}`, destination: trunk };
  }

  /** originate(): place a call; the leg is returned at once and emits ringing/answered/ended. */
  async dial(target: string, options: DialOptions = {}): Promise<OutboundSipLeg> {
    const { uri, destination } = this.resolveTarget(target);
    const t = this.options.trunk;
    const viaTrunk = Boolean(t && destination.address === t.host && destination.port === (t.port ?? 5060));
    const fromHost = t ? (t.domain ?? `${t.host}:${t.port ?? 5060}`) : `${this.ua.host}:${this.ua.port}`;
    // Through the PBX we speak as the trunk (its digest user); the caller is shown by name and identity headers.
    const fromUser = viaTrunk ? t!.username : (options.callerNumber ?? t?.username ?? 'frontdesk');
    const identity = viaTrunk && options.callerNumber ? callerIdHeaders(t!.callerId ?? 'pai', options.callerNumber, options.displayName, fromHost) : {};
    const leg = await OutboundSipLeg.originate(this.ctx, {
      target: uri,
      destination,
      from: `sip:${fromUser}@${fromHost}`,
      displayName: options.displayName,
      headers: { ...identity, ...options.headers },
      timeoutMs: options.timeoutMs,
    });
    this.track(leg);
    return leg;
  }

  private onInvite(inc: IncomingInvite): void {
    const busy = this.overload.check(this.legs.size, this.ringingInbound());
    if (busy) {
      this.overload.refused[busy.kind]++;
      inc.tx.respond(buildResponse(inc.request, 503, { toTag: randomToken(4), headers: [{ name: 'Retry-After', value: String(this.overload.retryAfterS) }] }));
      if (!this.overloaded) {
        this.overloaded = true;
        this.ua.log.warn({ reason: busy.message }, 'sip: overloaded, refusing new calls with 503');
        this.emit('alarm', { lineId: this.id, code: 'sip-overload', active: true, message: `new calls refused with 503: ${busy.message}` });
      }
      return;
    }
    if (this.overloaded) {
      this.overloaded = false;
      const r = this.overload.refused;
      this.emit('alarm', { lineId: this.id, code: 'sip-overload', active: false, message: `taking calls again (refused so far: ${r.calls} over the call limit, ${r.ports} for RTP ports, ${r.cpu} for CPU)` });
    }
    const leg = InboundSipLeg.fromInvite(this.ctx, inc);
    if (!leg) return;
    this.track(leg);
    if (this.listenerCount('incoming') === 0) void leg.hangup('rejected'); // nobody takes calls: reject and forget
    else this.emit('incoming', leg);
  }

  /** Inbound calls admitted and not answered yet: each takes an RTP port when it is. */
  private ringingInbound(): number {
    let n = 0;
    for (const leg of this.legs) if (leg.direction === 'inbound' && leg.state === 'ringing') n++;
    return n;
  }

  private track(leg: SipLeg): void {
    this.legs.add(leg);
    leg.once('ended', () => this.legs.delete(leg));
  }

  get activeLegs(): number {
    return this.legs.size;
  }
}

/** The caller's identity for the PBX and the phone: RFC 3325 P-Asserted-Identity and/or draft Remote-Party-ID. */
export function callerIdHeaders(mode: CallerIdHeaders, number: string, displayName: string | undefined, host: string): Record<string, string> {
  if (mode === 'none' || !/^\+?[0-9A-Za-z*#._-]{1,32}$/.test(number)) return {};
  const name = displayName ? `${quote(displayName)} ` : '';
  const h: Record<string, string> = {};
  if (mode === 'pai' || mode === 'both') h['P-Asserted-Identity'] = `${name}<sip:${number}@${host}>`;
  if (mode === 'rpid' || mode === 'both') h['Remote-Party-ID'] = `${name}<sip:${number}@${host}>;party=calling;screen=yes;privacy=off`;
  return h;
}

export function createSipLine(options: SipLineOptions): SipTrunkLine {
  return new SipTrunkLine(options);
}
