/**
 * Header-value helpers shared by the parser, URIs and the UA: canonical names (RFC 3261 §7.3.3 compact
 * forms), comma splitting that respects quotes and angle brackets, `;name=value` parameters, Via and CSeq.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const COMPACT: Readonly<Record<string, string>> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type',
  f: 'From', s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', r: 'Refer-To',
  b: 'Referred-By', u: 'Allow-Events',
};

const SPECIAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', 'mime-version': 'MIME-Version',
  'record-route': 'Record-Route', 'rseq': 'RSeq', 'rack': 'RAck',
};

/** Canonical spelling of a header name, so lookups are case-insensitive and compact forms are expanded. */
export function canonicalName(name: string): string {
  const known = canonCache.get(name);
  if (known) return known;
  const lower = name.toLowerCase();
  const canon = COMPACT[lower] ?? SPECIAL[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
  // Every message repeats the same few dozen names; a bounded cache keeps a flood of odd names cheap too.
  if (canonCache.size < 512) canonCache.set(name, canon);
  return canon;
}

const canonCache = new Map<string, string>();

/** Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1). Auth headers are not. */
export const MULTI_VALUE = new Set([
  'Via', 'Route', 'Record-Route', 'Contact', 'Allow', 'Supported', 'Require', 'Proxy-Require', 'Unsupported',
  'Accept', 'Allow-Events',
]);

/** Split on commas that are outside quoted strings and <...>. */
export function splitTopLevel(value: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === sep && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s.length > 0);
}

export type Params = Record<string, string | null>;

/** Parse `;a=1;b;c="x y"` (the leading ';' optional). Names are lower-cased; quotes are removed. */
export function parseParams(s: string): Params {
  const params: Params = {};
  for (const part of splitTopLevel(s, ';')) {
    const eq = part.indexOf('=');
    if (eq < 0) params[part.trim().toLowerCase()] = null;
    else params[part.slice(0, eq).trim().toLowerCase()] = unquote(part.slice(eq + 1).trim());
  }
  return params;
}

export function formatParams(params: Params): string {
  let s = '';
  for (const [k, v] of Object.entries(params)) s += v === null ? `;${k}` : `;${k}=${needsQuotes(v) ? quote(v) : v}`;
  return s;
}

function needsQuotes(v: string): boolean {
  return !/^[A-Za-z0-9\-.!%*_+`'~:\[\]]*$/.test(v);
}

export function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return s.slice(1, -1).replace(/\\(.)/g, '$1');
  return s;
}

export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

/** Parse one Via entry: `SIP/2.0/UDP host:port;branch=...`. Throws on garbage. */
export function parseVia(value: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/.exec(value.trim());
  if (!m) throw new Error(`bad Via: ${value.slice(0, 80)}`);
  const port = m[3] ? Number(m[3]) : undefined;
  if (port !== undefined && port > 65535) throw new Error('bad Via port');
  return { transport: m[1]!.toUpperCase(), host: m[2]!, port, params: m[4] ? parseParams(m[4]) : {} };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  const m = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(value.trim());
  if (!m) throw new Error(`bad CSeq: ${value.slice(0, 40)}`);
  const seq = Number(m[1]);
  if (seq > 0x7fffffff) throw new Error('CSeq out of range');
  return { seq, method: m[2]! };
}

/** Parse a Digest challenge/credentials header value: `Digest realm="x", nonce="y", qop="auth"`. */
export function parseAuthParams(value: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(value);
  if (!m) throw new Error('bad auth header');
  const params: Record<string, string> = {};
  for (const part of splitTopLevel(m[2]!)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = unquote(part.slice(eq + 1).trim());
  }
  return { scheme: m[1]!, params };
}

/** Random bytes drawn a few KiB at a time: one CSPRNG call per INVITE's tags and branch cost 1.5 % of the daemon under load. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A random token (hex) for tags, branches and Call-IDs. */
export function randomToken(bytes = 8): string {
  if (bytes > pool.length) return randomBytes(bytes).toString('hex');
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return pool.toString('hex', poolAt - bytes, poolAt);
}

/** RFC 3261 magic cookie: branches starting with it identify transactions. */
export const BRANCH_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return BRANCH_COOKIE + randomToken(10);
}
