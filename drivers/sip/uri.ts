import { formatParams, parseParams, quote, unquote, type Params } from './headers.js';

/** A sip:, sips: or tel: URI (RFC 3261 §19.1). Parameters are lower-cased by name. */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  /** The `?h=v&...` part, kept verbatim. */
  headers?: string;
}

/**
 * Undo %-escapes in a user or password. A '%' not followed by two hex digits, or escapes that do not
 * decode to UTF-8 text (`%80`), are errors we report as such (a request gets 400), never a URIError.
 */
function unescapeUser(s: string): string {
  if (!s.includes('%')) return s;
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) throw new Error('bad %-escape in URI');
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Error('%-escape in URI is not UTF-8 text');
  }
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?)$/;

export function parseUri(input: string): SipUri {
  const s = input.trim();
  const colon = s.indexOf(':');
  const scheme = s.slice(0, colon).toLowerCase();
  if (colon < 0 || (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel')) throw new Error(`unsupported URI: ${s.slice(0, 60)}`);
  let rest = s.slice(colon + 1);
  if (/[\s<>"]/.test(rest) || rest.length === 0) throw new Error(`bad URI: ${s.slice(0, 60)}`);
  let headers: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const params = semi >= 0 ? parseParams(rest.slice(semi + 1)) : {};
  if (semi >= 0) rest = rest.slice(0, semi);
  if (scheme === 'tel') return { scheme, host: '', user: unescapeUser(rest), params, headers };
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = unescapeUser(pc >= 0 ? userinfo.slice(0, pc) : userinfo);
    if (pc >= 0) password = unescapeUser(userinfo.slice(pc + 1));
  }
  let host = rest;
  let port: number | undefined;
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(rest);
  if (m && m[2] !== undefined && !m[1]!.endsWith(':')) {
    host = m[1]!;
    port = Number(m[2]);
    if (port === 0 || port > 65535) throw new Error('bad URI port');
  }
  if (!HOST.test(host)) throw new Error(`bad URI host: ${host.slice(0, 60)}`);
  return { scheme, user, password, host: host.toLowerCase(), port, params, headers };
}

const USER_SAFE = /[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g;

export function formatUri(u: SipUri): string {
  const esc = (s: string): string => s.replace(USER_SAFE, (c) => encodeURIComponent(c));
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${formatParams(u.params)}`;
  const userinfo = u.user !== undefined ? `${esc(u.user)}${u.password !== undefined ? `:${esc(u.password)}` : ''}@` : '';
  return `${u.scheme}:${userinfo}${u.host}${u.port ? `:${u.port}` : ''}${formatParams(u.params)}${u.headers ? `?${u.headers}` : ''}`;
}

/** A From/To/Contact/Route/Refer-To value: optional display name, a URI, and header parameters (tag...). */
export interface NameAddr {
  display?: string;
  uri: SipUri;
  params: Params;
}

export function parseNameAddr(input: string): NameAddr {
  const s = input.trim();
  const lt = findAngle(s);
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated <');
    const rawDisplay = s.slice(0, lt).trim();
    const display = rawDisplay ? unquote(rawDisplay) : undefined;
    const uri = parseUri(s.slice(lt + 1, gt));
    const tail = s.slice(gt + 1).trim();
    if (tail && !tail.startsWith(';')) throw new Error('junk after >');
    return { display, uri, params: tail ? parseParams(tail) : {} };
  }
  // addr-spec form: parameters after the URI belong to the header, not the URI (RFC 3261 §20).
  const semi = s.indexOf(';');
  const uri = parseUri(semi >= 0 ? s.slice(0, semi) : s);
  return { uri, params: semi >= 0 ? parseParams(s.slice(semi + 1)) : {} };
}

/** Index of the '<' that opens the URI, skipping a quoted display name. */
function findAngle(s: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') return i;
  }
  return -1;
}

export function formatNameAddr(n: NameAddr): string {
  const display = n.display !== undefined && n.display !== '' ? `${quote(n.display)} ` : '';
  return `${display}<${formatUri(n.uri)}>${formatParams(n.params)}`;
}

/** Default port for a URI's transport, as used when a URI has none. */
export function uriPort(u: SipUri): number {
  return u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
}

/** Strip brackets from an IPv6 host for socket calls. */
export function socketHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}
