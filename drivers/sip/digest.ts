import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseAuthParams, quote } from './headers.js';

/** HTTP Digest for SIP (RFC 2617 / RFC 7616 / RFC 8760): MD5 and SHA-256, qop=auth, nonce counts. */

export type DigestAlgorithm = 'MD5' | 'SHA-256';

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');
}

export interface Challenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  stale: boolean;
}

/** Read a WWW-/Proxy-Authenticate value. Undefined for schemes or algorithms we do not speak. */
export function parseChallenge(value: string): Challenge | undefined {
  let parsed;
  try {
    parsed = parseAuthParams(value);
  } catch {
    return undefined;
  }
  const p = parsed.params;
  if (parsed.scheme.toLowerCase() !== 'digest' || !p.realm || !p.nonce) return undefined;
  const alg = (p.algorithm ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'SHA-256') return undefined;
  const qops = (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  if (p.qop && !qops.includes('auth')) return undefined; // auth-int only
  return { realm: p.realm, nonce: p.nonce, opaque: p.opaque, algorithm: alg, qop: p.qop ? 'auth' : undefined, stale: p.stale?.toLowerCase() === 'true' };
}

/** Pick the strongest challenge we support among several headers (SHA-256 over MD5). */
export function pickChallenge(values: string[]): Challenge | undefined {
  const all = values.map(parseChallenge).filter((c): c is Challenge => c !== undefined);
  return all.find((c) => c.algorithm === 'SHA-256') ?? all[0];
}

export interface Credentials {
  username: string;
  password: string;
}

/** Client side: the Authorization / Proxy-Authorization value answering `ch`. */
export function authorize(ch: Challenge, creds: Credentials, method: string, uri: string, nc = 1, cnonce = randomBytes(8).toString('hex')): string {
  const ha1 = h(ch.algorithm, `${creds.username}:${ch.realm}:${creds.password}`);
  const ha2 = h(ch.algorithm, `${method}:${uri}`);
  const ncHex = nc.toString(16).padStart(8, '0');
  const response = ch.qop ? h(ch.algorithm, `${ha1}:${ch.nonce}:${ncHex}:${cnonce}:auth:${ha2}`) : h(ch.algorithm, `${ha1}:${ch.nonce}:${ha2}`);
  let v = `Digest username=${quote(creds.username)}, realm=${quote(ch.realm)}, nonce=${quote(ch.nonce)}, uri=${quote(uri)}, response=${quote(response)}, algorithm=${ch.algorithm}`;
  if (ch.qop) v += `, qop=auth, nc=${ncHex}, cnonce=${quote(cnonce)}`;
  if (ch.opaque !== undefined) v += `, opaque=${quote(ch.opaque)}`;
  return v;
}

export type VerifyResult = { ok: true; user: string } | { ok: false; status: 401 | 403; challenges: string[] };

/**
 * Server side. Nonces are stateless HMAC-signed timestamps (so a restart or a forged nonce is caught),
 * plus a small table of nonce counts so a captured Authorization cannot be replayed: every use of a
 * nonce needs a higher nc, and a nonce without qop is good for one request only. Unknown users and
 * wrong passwords get the same 403 after the same amount of hashing.
 */
export class DigestServer {
  private readonly secret = randomBytes(32);
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly realm: string,
    private readonly users: ReadonlyMap<string, string>,
    private readonly nonceTtlMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {}

  private makeNonce(): string {
    const ts = this.now().toString(16);
    const salt = randomBytes(6).toString('hex');
    const mac = createHmac('sha256', this.secret).update(`${ts}:${salt}`).digest('hex').slice(0, 24);
    return `${ts}.${salt}.${mac}`;
  }

  /** undefined if forged; otherwise whether it has expired. */
  private checkNonce(nonce: string): 'ok' | 'stale' | undefined {
    const [ts, salt, mac] = nonce.split('.');
    if (!ts || !salt || !mac || mac.length !== 24) return undefined;
    const want = createHmac('sha256', this.secret).update(`${ts}:${salt}`).digest('hex').slice(0, 24);
    if (!timingSafeEqual(Buffer.from(mac), Buffer.from(want))) return undefined;
    return this.now() - parseInt(ts, 16) > this.nonceTtlMs ? 'stale' : 'ok';
  }

  challenges(stale = false): string[] {
    const nonce = this.makeNonce();
    const s = stale ? ', stale=true' : '';
    return (['SHA-256', 'MD5'] as const).map((alg) => `Digest realm=${quote(this.realm)}, nonce=${quote(nonce)}, algorithm=${alg}, qop="auth"${s}`);
  }

  /** Check an Authorization header (undefined when the request carried none). */
  verify(authorization: string | undefined, method: string): VerifyResult {
    if (!authorization) return { ok: false, status: 401, challenges: this.challenges() };
    let p: Record<string, string>;
    try {
      const parsed = parseAuthParams(authorization);
      if (parsed.scheme.toLowerCase() !== 'digest') throw new Error('scheme');
      p = parsed.params;
    } catch {
      return { ok: false, status: 401, challenges: this.challenges() };
    }
    const alg = (p.algorithm ?? 'MD5').toUpperCase();
    const nonceState = p.nonce ? this.checkNonce(p.nonce) : undefined;
    if (!p.username || !p.uri || !p.response || p.realm !== this.realm || (alg !== 'MD5' && alg !== 'SHA-256') || !nonceState) {
      return { ok: false, status: 401, challenges: this.challenges() };
    }
    if (nonceState === 'stale') return { ok: false, status: 401, challenges: this.challenges(true) };
    const known = this.users.get(p.username);
    // Hash against a throwaway password for unknown users so both paths cost the same.
    const password = known ?? randomBytes(12).toString('hex');
    const ch: Challenge = { realm: this.realm, nonce: p.nonce!, algorithm: alg, qop: p.qop ? 'auth' : undefined, stale: false };
    const nc = p.qop ? parseInt(p.nc ?? '', 16) : 0;
    if (p.qop && (p.qop !== 'auth' || !Number.isFinite(nc) || nc < 1 || !p.cnonce)) return { ok: false, status: 403, challenges: [] };
    const expected = authorize(ch, { username: p.username, password }, method, p.uri, nc || 1, p.cnonce);
    const want = /response="([0-9a-f]+)"/.exec(expected)![1]!;
    const match = want.length === p.response.length && timingSafeEqual(Buffer.from(want), Buffer.from(p.response.toLowerCase()));
    if (!match || known === undefined) return { ok: false, status: 403, challenges: [] };
    // Replay protection: the nonce count must grow; without qop the nonce is single-use.
    const last = this.seen.get(p.nonce!) ?? 0;
    if (!p.qop ? last > 0 : nc <= last) return { ok: false, status: 401, challenges: this.challenges(true) };
    this.seen.set(p.nonce!, p.qop ? nc : 1);
    this.prune();
    return { ok: true, user: p.username };
  }

  private prune(): void {
    if (this.seen.size < 1000) return;
    for (const nonce of this.seen.keys()) if (this.checkNonce(nonce) !== 'ok') this.seen.delete(nonce);
  }
}
