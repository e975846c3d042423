import { MULTI_VALUE, canonicalName, parseCSeq, parseVia, splitTopLevel, type CSeq } from './headers.js';
import { parseNameAddr, parseUri } from './uri.js';

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

/**
 * Documented limits (README): a 16 KiB message, 64 headers, 8 KiB per header line. A 4 KiB line is
 * ordinary (long Route sets, Identity); over these limits the request gets 513 when it can be answered.
 */
export const DEFAULT_LIMITS: Limits = { maxMessageBytes: 16384, maxHeaders: 64, maxLineLength: 8192 };

/** UDP cannot carry more; beyond it we do not even read the headers to answer. */
const MAX_READABLE = 65535;

export class SipParseError extends Error {
  constructor(
    message: string,
    /** Headers of a request we could read far enough to answer; undefined means drop. */
    readonly request?: { method: string; headers: Header[] },
    /** The status to answer with: 400, or 505 (version), 513 (too large). */
    readonly status = 400,
  ) {
    super(message);
  }
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
// Control characters other than HT never belong in a header section.
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Headers whose values are name-addr / addr-spec: checked at parse time so a broken one gets 400. */
const NAME_ADDR = ['From', 'To', 'Contact', 'Route', 'Record-Route'];

/** Find the blank line ending the header section; -1 if absent. */
function headerEnd(buf: Buffer): number {
  return buf.indexOf('\r\n\r\n');
}

/**
 * Parse one message. `framed` is true for stream transports, where Content-Length is mandatory and the
 * caller has already cut the buffer at the message boundary.
 *
 * A request that is wrong but whose top Via can be read is answerable (RFC 3261 §8.2, §18.3): the error
 * carries its headers and the status to answer (400, 505, 513); anything else is dropped.
 */
export function parseMessage(buf: Buffer, limits: Limits = DEFAULT_LIMITS, framed = false): SipMessage {
  if (buf.length > MAX_READABLE) throw new SipParseError('message too large');
  const end = headerEnd(buf);
  if (end < 0) throw new SipParseError('no end of headers');
  const head = buf.toString('utf8', 0, end);
  const rawLines = head.split('\r\n');
  const first = rawLines[0] ?? '';
  if (first.length > limits.maxLineLength) throw new SipParseError('start line too long');

  // Problems found before the headers are read are kept until we know whether we can answer.
  let problem: { why: string; status: number } | undefined;
  const note = (why: string, status = 400): void => {
    problem ??= { why, status };
  };
  if (buf.length > limits.maxMessageBytes) note('message too large', 513);

  let request: { method: string; uri: string } | undefined;
  let response: { status: number; reason: string } | undefined;
  if (first.startsWith('SIP/')) {
    const m = /^SIP\/2\.0 ([1-6]\d\d) ([^\r\n]*)$/.exec(first);
    if (!m || CTL.test(m[2]!)) throw new SipParseError('bad status line');
    response = { status: Number(m[1]), reason: m[2]! };
  } else {
    // Method SP Request-URI SP SIP-Version (§7.1). The URI is what lies between the first and last space,
    // so a URI with spaces in it is still recognised as a (bad) request we can answer.
    const sp1 = first.indexOf(' ');
    const sp2 = first.lastIndexOf(' ');
    const method = first.slice(0, Math.max(sp1, 0));
    const version = first.slice(sp2 + 1);
    if (sp1 <= 0 || sp2 <= sp1 || !TOKEN.test(method) || !/^SIP\/\d{1,3}\.\d{1,3}$/i.test(version)) throw new SipParseError('bad request line');
    const uri = first.slice(sp1 + 1, sp2);
    request = { method, uri };
    if (version.toUpperCase() !== 'SIP/2.0') note(`unsupported version ${version}`, 505);
    else if (!/^(sips?|tel):[^\s<>"]+$/i.test(uri)) note('bad request URI');
    else {
      try {
        parseUri(uri);
      } catch (e) {
        note(`bad request URI: ${(e as Error).message}`);
      }
    }
  }

  // Unfold continuation lines (RFC 3261 §7.3.1) and split names from values.
  const headers: Header[] = [];
  for (let i = 1; i < rawLines.length; i++) {
    const line = rawLines[i]!;
    if (line.length > limits.maxLineLength) {
      note('header line too long', 513);
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = headers[headers.length - 1];
      if (!last) throw new SipParseError('continuation before first header');
      last.value = `${last.value} ${line.trim()}`;
      if (last.value.length > limits.maxLineLength) note('header too long', 513);
      continue;
    }
    if (headers.length >= limits.maxHeaders) {
      note('too many headers', 513);
      break;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!TOKEN.test(name)) {
      note('bad header line');
      continue;
    }
    const value = line.slice(colon + 1).trim();
    if (CTL.test(value)) note(`control character in ${name}`);
    headers.push({ name: canonicalName(name), value });
  }

  const answerable = request && canAnswer(headers) ? { method: request.method, headers } : undefined;
  const fail = (why: string, status = 400): never => {
    throw new SipParseError(why, answerable, status);
  };
  if (problem) fail(problem.why, problem.status);

  // Mandatory headers (§8.1.1) and their syntax.
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!headers.some((h) => h.name === name)) fail(`missing ${name}`);
  }
  let cseq: CSeq | undefined;
  try {
    cseq = parseCSeq(getHeader(headers, 'CSeq')!);
    for (const v of getAll(headers, 'Via')) parseVia(v);
  } catch (e) {
    fail((e as Error).message);
  }
  if (request && cseq?.method !== request.method) fail('CSeq method does not match');
  for (const name of ['From', 'To', 'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Max-Forwards']) {
    if (headers.filter((h) => h.name === name).length > 1) fail(`duplicate ${name}`);
  }
  for (const name of NAME_ADDR) {
    for (const v of getAll(headers, name)) {
      if (name === 'Contact' && v === '*') continue;
      try {
        parseNameAddr(v);
      } catch (e) {
        fail(`bad ${name}: ${(e as Error).message}`);
      }
    }
  }

  let body = buf.subarray(end + 4);
  const cl = getHeader(headers, 'Content-Length');
  if (cl !== undefined) {
    if (!/^\d{1,6}$/.test(cl)) fail('bad Content-Length');
    const n = Number(cl);
    // §18.3: a body shorter than Content-Length is an error: 400 for a request, a response is dropped.
    // A longer one is cut.
    if (n > body.length) fail('body shorter than Content-Length');
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

/**
 * Can a response reach the sender? It goes back by the top Via (§18.2.2), so that Via must be readable;
 * whatever else is missing (Call-ID, From...) the response simply lacks, as the request did.
 */
function canAnswer(headers: Header[]): boolean {
  const via = getAll(headers, 'Via')[0];
  if (via === undefined) return false;
  try {
    parseVia(via);
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
