import { MULTI_VALUE, canonicalName, parseCSeq, parseVia, splitTopLevel } from './headers.js';

/**
 * SIP messages (RFC 3261 §7): a strict parser with hard limits and a serializer. Malformed input
 * throws SipParseError, which says whether a 400 can be sent (we know enough of the request to answer);
 * the parser never allocates more than the limits allow.
 */

export interface Header {
  /** Canonical name (compact forms expanded). */
  name: string;
  value: string;
}

interface Base {
  headers: Header[];
  body: Buffer;
}

export interface SipRequest extends Base {
  type: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends Base {
  type: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

export interface Limits {
  /** A whole message, headers and body. UDP datagrams cannot be bigger than 65535 anyway. */
  maxMessageBytes: number;
  maxHeaders: number;
  maxLineLength: number;
}

export const DEFAULT_LIMITS: Limits = { maxMessageBytes: 16384, maxHeaders: 64, maxLineLength: 2048 };

export class SipParseError extends Error {
  constructor(
    message: string,
    /** Headers of a request we could read far enough to answer with 400; undefined means drop. */
    readonly request?: { method: string; headers: Header[] },
  ) {
    super(message);
  }
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// Control characters other than HT never belong in a header section.
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Find the blank line ending the header section; -1 if absent. */
function headerEnd(buf: Buffer): number {
  return buf.indexOf('\r\n\r\n');
}

/**
 * Parse one message. `framed` is true for stream transports, where Content-Length is mandatory and the
 * caller has already cut the buffer at the message boundary.
 */
export function parseMessage(buf: Buffer, limits: Limits = DEFAULT_LIMITS, framed = false): SipMessage {
  if (buf.length > limits.maxMessageBytes) throw new SipParseError('message too large');
  const end = headerEnd(buf);
  if (end < 0) throw new SipParseError('no end of headers');
  const head = buf.toString('utf8', 0, end);
  const rawLines = head.split('\r\n');
  const first = rawLines[0] ?? '';
  if (first.length > limits.maxLineLength) throw new SipParseError('start line too long');

  let request: { method: string; uri: string } | undefined;
  let response: { status: number; reason: string } | undefined;
  if (first.startsWith('SIP/2.0 ')) {
    const m = /^SIP\/2\.0 ([1-6]\d\d) ([^\r\n]*)$/.exec(first);
    if (!m || CTL.test(m[2]!)) throw new SipParseError('bad status line');
    response = { status: Number(m[1]), reason: m[2]! };
  } else {
    const parts = first.split(' ');
    if (parts.length !== 3 || parts[2] !== 'SIP/2.0' || !TOKEN.test(parts[0]!) || !/^(sips?|tel):[^\s<>"]+$/i.test(parts[1]!)) {
      throw new SipParseError('bad request line');
    }
    request = { method: parts[0]!, uri: parts[1]! };
  }

  // Unfold continuation lines (RFC 3261 §7.3.1) and split names from values.
  const headers: Header[] = [];
  let problem: string | undefined;
  for (let i = 1; i < rawLines.length; i++) {
    const line = rawLines[i]!;
    if (line.length > limits.maxLineLength) throw new SipParseError('header line too long');
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = headers[headers.length - 1];
      if (!last) throw new SipParseError('continuation before first header');
      last.value = `${last.value} ${line.trim()}`;
      if (last.value.length > limits.maxLineLength) throw new SipParseError('header too long');
      continue;
    }
    if (headers.length >= limits.maxHeaders) throw new SipParseError('too many headers');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!TOKEN.test(name)) {
      problem ??= 'bad header line';
      continue;
    }
    const value = line.slice(colon + 1).trim();
    if (CTL.test(value)) problem ??= `control character in ${name}`;
    headers.push({ name: canonicalName(name), value });
  }

  const answerable = request ? { method: request.method, headers } : undefined;
  const fail = (why: string): never => {
    throw new SipParseError(why, answerable && hasAnswerHeaders(headers) ? answerable : undefined);
  };
  if (problem) fail(problem);

  // Mandatory headers (§8.1.1) and their syntax.
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!headers.some((h) => h.name === name)) fail(`missing ${name}`);
  }
  let cseq;
  try {
    cseq = parseCSeq(getHeader(headers, 'CSeq')!);
    for (const v of getAll(headers, 'Via')) parseVia(v);
  } catch (e) {
    fail((e as Error).message);
  }
  if (request && cseq!.method !== request.method) fail('CSeq method does not match');
  for (const name of ['From', 'To', 'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Max-Forwards']) {
    if (headers.filter((h) => h.name === name).length > 1) fail(`duplicate ${name}`);
  }

  let body = buf.subarray(end + 4);
  const cl = getHeader(headers, 'Content-Length');
  if (cl !== undefined) {
    if (!/^\d{1,6}$/.test(cl)) fail('bad Content-Length');
    const n = Number(cl);
    // UDP (§18.3): a body shorter than Content-Length means a truncated datagram: drop; longer is cut.
    if (n > body.length) throw new SipParseError('body shorter than Content-Length');
    body = body.subarray(0, n);
  } else if (framed) {
    fail('Content-Length required on stream transports');
  }
  const mf = getHeader(headers, 'Max-Forwards');
  if (mf !== undefined && !/^\d{1,3}$/.test(mf)) fail('bad Max-Forwards');

  // Copy the body so the message does not pin a whole receive buffer.
  body = Buffer.from(body);
  return request ? { type: 'request', ...request, headers, body } : { type: 'response', ...response!, headers, body };
}

function hasAnswerHeaders(headers: Header[]): boolean {
  if (!['Via', 'From', 'To', 'Call-ID', 'CSeq'].every((n) => headers.some((h) => h.name === n))) return false;
  try {
    parseVia(getAll(headers, 'Via')[0]!);
    return true;
  } catch {
    return false;
  }
}

function getHeader(headers: Header[], name: string): string | undefined {
  const canon = canonicalName(name);
  return headers.find((h) => h.name === canon)?.value;
}

function getAll(headers: Header[], name: string): string[] {
  const canon = canonicalName(name);
  const out: string[] = [];
  for (const h of headers) {
    if (h.name !== canon) continue;
    if (MULTI_VALUE.has(canon)) out.push(...splitTopLevel(h.value));
    else out.push(h.value);
  }
  return out;
}

/** The first value of a header (for multi-value headers: the first entry). */
export function header(msg: SipMessage, name: string): string | undefined {
  const canon = canonicalName(name);
  return MULTI_VALUE.has(canon) ? getAll(msg.headers, canon)[0] : getHeader(msg.headers, canon);
}

/** Every entry of a header, split across lines and commas for multi-value headers. */
export function headerAll(msg: SipMessage, name: string): string[] {
  return getAll(msg.headers, name);
}

export function setHeader(msg: SipMessage, name: string, value: string): void {
  const canon = canonicalName(name);
  const i = msg.headers.findIndex((h) => h.name === canon);
  msg.headers = msg.headers.filter((h, j) => h.name !== canon || j === i);
  if (i >= 0) msg.headers[msg.headers.findIndex((h) => h.name === canon)]!.value = value;
  else msg.headers.push({ name: canon, value });
}

export function removeHeader(msg: SipMessage, name: string): void {
  const canon = canonicalName(name);
  msg.headers = msg.headers.filter((h) => h.name !== canon);
}

/** Serialize, writing Content-Length from the body. */
export function serialize(msg: SipMessage): Buffer {
  const start = msg.type === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  let head = start + '\r\n';
  for (const h of msg.headers) {
    if (h.name === 'Content-Length') continue;
    head += `${h.name}: ${h.value}\r\n`;
  }
  head += `Content-Length: ${msg.body.length}\r\n\r\n`;
  return msg.body.length ? Buffer.concat([Buffer.from(head), msg.body]) : Buffer.from(head);
}

/**
 * Cuts a TCP byte stream into messages (RFC 3261 §18.3): headers up to the blank line, then exactly
 * Content-Length bytes. Leading CRLFs are keepalives. Anything over the limits is an error: the caller
 * closes the connection, since framing is lost.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: Limits = DEFAULT_LIMITS) {}

  /** Feed bytes; returns the complete raw messages now available. Throws SipParseError on bad framing. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      let skip = 0;
      while (skip + 1 < this.buf.length && this.buf[skip] === 13 && this.buf[skip + 1] === 10) skip += 2;
      if (skip) this.buf = this.buf.subarray(skip);
      const end = headerEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > this.limits.maxMessageBytes) throw new SipParseError('header section too large');
        break;
      }
      const head = this.buf.toString('latin1', 0, end);
      const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,6})[ \t]*(?:\r\n|$)/i.exec(head);
      if (!m) throw new SipParseError('Content-Length required on stream transports');
      const total = end + 4 + Number(m[1]);
      if (total > this.limits.maxMessageBytes) throw new SipParseError('message too large');
      if (this.buf.length < total) break;
      out.push(Buffer.from(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }
}
