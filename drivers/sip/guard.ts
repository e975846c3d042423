import { isIP } from 'node:net';

/**
 * Edge protection before any SIP processing: an allow-list of peers (CIDR), a per-source packet rate
 * limit that bans a flooding source for a while, and a drop list of scanner User-Agents. Everything here
 * is O(1) per packet so a flood costs little.
 */

export interface GuardOptions {
  /** Sources that may send requests without authenticating (the PBX, test phones). */
  allowFrom: string[];
  /** Packets per second allowed from one source address before it is banned. */
  ratePerSecond?: number;
  /** Burst on top of the rate. */
  burst?: number;
  banMs?: number;
  scannerUserAgents?: string[];
  now?: () => number;
}

export const SCANNER_USER_AGENTS = ['friendly-scanner', 'sipcli', 'vaxsipuseragent', 'sip-scan', 'sipvicious', 'sundayddr', 'iwar', 'sipsak', 'pplsip', 'smap', 'sipptk', 'nmap'];

interface Bucket {
  tokens: number;
  at: number;
}

export class Guard {
  private readonly nets: { base: bigint; mask: bigint; v6: boolean }[];
  private readonly buckets = new Map<string, Bucket>();
  private readonly bans = new Map<string, number>();
  private readonly allowCache = new Map<string, boolean>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly banMs: number;
  private readonly scanners: string[];
  private readonly now: () => number;
  /** Counters for health and tests. */
  readonly stats = { dropped: 0, banned: 0, scanners: 0 };
  onBan: ((address: string) => void) | undefined;

  constructor(opts: GuardOptions) {
    this.nets = opts.allowFrom.map(parseCidr);
    this.rate = opts.ratePerSecond ?? 50;
    this.burst = opts.burst ?? 100;
    this.banMs = opts.banMs ?? 10 * 60_000;
    this.scanners = (opts.scannerUserAgents ?? SCANNER_USER_AGENTS).map((s) => s.toLowerCase());
    this.now = opts.now ?? Date.now;
  }

  /**
   * Token bucket per source address. False means drop (and, on overflow, ban). Configured peers are
   * never rate-limited: banning the PBX would end every call, and its traffic is trusted by config.
   */
  admit(address: string): boolean {
    if (this.isAllowed(address)) return true;
    const now = this.now();
    const until = this.bans.get(address);
    if (until !== undefined) {
      if (now < until) {
        this.stats.dropped++;
        return false;
      }
      this.bans.delete(address);
    }
    let b = this.buckets.get(address);
    if (!b) {
      if (this.buckets.size > 10_000) this.buckets.clear(); // bounded memory under a spoofed-source flood
      b = { tokens: this.burst, at: now };
      this.buckets.set(address, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens < 1) {
      this.ban(address);
      this.stats.dropped++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  ban(address: string): void {
    if (this.bans.size > 10_000) this.bans.clear();
    this.bans.set(address, this.now() + this.banMs);
    this.buckets.delete(address);
    this.stats.banned++;
    this.onBan?.(address);
  }

  isBanned(address: string): boolean {
    const until = this.bans.get(address);
    return until !== undefined && this.now() < until;
  }

  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    const hit = this.scanners.some((s) => ua.includes(s));
    if (hit) this.stats.scanners++;
    return hit;
  }

  /** Is this source a configured peer? */
  isAllowed(address: string): boolean {
    const cached = this.allowCache.get(address);
    if (cached !== undefined) return cached;
    const a = toBig(address);
    const ok = a ? this.nets.some((n) => n.v6 === a.v6 && (a.value & n.mask) === n.base) : false;
    if (this.allowCache.size > 10_000) this.allowCache.clear();
    this.allowCache.set(address, ok);
    return ok;
  }
}

function toBig(address: string): { value: bigint; v6: boolean } | undefined {
  let addr = address;
  if (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) addr = addr.slice(7);
  const kind = isIP(addr);
  if (kind === 4) return { value: addr.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n), v6: false };
  if (kind === 6) {
    const [head, tail] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n), v6: true };
  }
  return undefined;
}

export function parseCidr(cidr: string): { base: bigint; mask: bigint; v6: boolean } {
  const [addr, bitsStr] = cidr.split('/');
  const a = toBig(addr ?? '');
  if (!a) throw new Error(`bad CIDR: ${cidr}`);
  const width = a.v6 ? 128 : 32;
  const bits = bitsStr === undefined ? width : Number(bitsStr);
  if (!Number.isInteger(bits) || bits < 0 || bits > width) throw new Error(`bad CIDR prefix: ${cidr}`);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { base: a.value & mask, mask, v6: a.v6 };
}
