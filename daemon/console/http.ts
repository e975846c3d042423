import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer as createHttp, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import type { Session } from './auth.js';

/**
 * The console's HTTP layer on node:http: routes with `:param` segments, JSON bodies, cookies, static
 * files from disk, a hook before every handler and one on every response. It replaces fastify and
 * its plugins, whose modules (ajv, fast-json-stringify, find-my-way, avvio, ...) held about 5 MB of
 * the daemon's heap for a dozen routes that need none of it. Behaviour kept from there: HEAD for
 * every GET, bodies parsed before the hooks (413 over the limit, 415 for a type other than JSON or
 * text, 400 for bad JSON or a prototype key), 404 as JSON for an unknown route, 500 for a throw.
 */

/** What a route declares of its request, as `app.post<{ Params: ...; Body: ... }>`. */
export interface RouteTypes {
  Params?: unknown;
  Body?: unknown;
  Querystring?: unknown;
}

export interface Req<T extends RouteTypes = RouteTypes> {
  readonly method: string;
  /** As sent: path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The peer's address (no proxy is trusted). */
  readonly ip: string;
  readonly raw: IncomingMessage;
  readonly cookies: Record<string, string | undefined>;
  params: T extends { Params: infer P } ? P : Record<string, string>;
  readonly query: T extends { Querystring: infer Q } ? Q : Record<string, string | undefined>;
  readonly body: (T extends { Body: infer B } ? B : unknown) | undefined;
  session?: Session;
}

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'strict' | 'lax';
  path?: string;
}

/** An error with its HTTP status, answered as `{ statusCode, error, message }`. */
class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export class Reply {
  private status = 200;
  private readonly headers: Record<string, string | number | string[]> = {};
  sent = false;
  hijacked = false;

  constructor(
    readonly raw: ServerResponse,
    private readonly onSend: ((reply: Reply) => void)[],
  ) {}

  code(status: number): this {
    this.status = status;
    return this;
  }

  header(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.headers[name.toLowerCase()];
  }

  type(contentType: string): this {
    return this.header('content-type', contentType);
  }

  setCookie(name: string, value: string, o: CookieOptions & { expires?: Date; maxAge?: number } = {}): this {
    const parts = [`${name}=${encodeURIComponent(value)}`];
    if (o.maxAge !== undefined) parts.push(`Max-Age=${o.maxAge}`);
    if (o.path) parts.push(`Path=${o.path}`);
    if (o.expires) parts.push(`Expires=${o.expires.toUTCString()}`);
    if (o.httpOnly) parts.push('HttpOnly');
    if (o.secure) parts.push('Secure');
    if (o.sameSite) parts.push(`SameSite=${o.sameSite === 'strict' ? 'Strict' : 'Lax'}`);
    const had = this.headers['set-cookie'];
    this.headers['set-cookie'] = [...(Array.isArray(had) ? had : []), parts.join('; ')];
    return this;
  }

  clearCookie(name: string, o: CookieOptions = {}): this {
    return this.setCookie(name, '', { ...o, maxAge: 0, expires: new Date(0) });
  }

  redirect(location: string): this {
    return this.code(302).header('location', location).send();
  }

  /** The handler writes the response itself on `raw` (an event stream). */
  hijack(): this {
    this.hijacked = true;
    return this;
  }

  /** Objects go as JSON, strings as text, Buffers as bytes, a stream is piped. */
  send(payload?: unknown): this {
    if (this.sent || this.hijacked) return this;
    this.sent = true;
    let body: string | Buffer | Readable | undefined;
    let type: string | undefined;
    if (payload instanceof Readable) body = payload;
    else if (Buffer.isBuffer(payload)) [body, type] = [payload, 'application/octet-stream'];
    else if (typeof payload === 'string') [body, type] = [payload, 'text/plain; charset=utf-8'];
    else if (payload !== undefined) [body, type] = [JSON.stringify(payload), 'application/json; charset=utf-8'];
    if (type && this.headers['content-type'] === undefined) this.headers['content-type'] = type;
    for (const h of this.onSend) h(this);
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) this.headers['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
    this.raw.writeHead(this.status, this.headers);
    if (body instanceof Readable) pipeline(body, this.raw, () => undefined); // a failed read or a gone client ends the response; nothing to answer
    else this.raw.end(body);
    return this;
  }
}

export type Handler<T extends RouteTypes> = (req: Req<T>, reply: Reply) => Promise<unknown>;
type Hook = (req: Req, reply: Reply) => Promise<unknown>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler<RouteTypes>;
}

/** Content types of the files the console serves (its pages, scripts, styles and uPlot). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
};

function parseCookies(header: string | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        out[name] = value;
      }
    }
  }
  return out;
}

/** True when a parsed JSON value has a `__proto__` key or `constructor.prototype` anywhere (refused, as fastify did). */
function poisoned(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
  const c = (v as Record<string, unknown>).constructor;
  if (Object.prototype.hasOwnProperty.call(v, 'constructor') && c !== null && typeof c === 'object' && Object.prototype.hasOwnProperty.call(c, 'prototype')) return true;
  return Object.values(v).some(poisoned);
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request body: JSON (parsed) or text, at most `limit` bytes; undefined when there is none. */
async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!BODY_METHODS.has(req.method ?? '')) return undefined;
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return undefined;
  if (Number(length) > limit) throw new HttpError(413, 'Request body is too large');
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const json = type === 'application/json';
  if (!json && type !== 'text/plain') {
    if (length === '0') return undefined;
    throw new HttpError(415, `Unsupported Media Type: ${type || 'none'}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'Request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!json) return text;
  if (!text) throw new HttpError(400, "Body cannot be empty when content-type is set to 'application/json'");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  if (/"(?:__proto__|constructor)"\s*:/.test(text) && poisoned(v)) throw new HttpError(400, 'Object contains forbidden prototype property');
  return v;
}

export class HttpApp {
  readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly statics: { prefix: string; root: string }[] = [];
  private readonly pre: Hook[] = [];
  private readonly sendHooks: ((reply: Reply) => void)[] = [];

  constructor(private readonly opts: { bodyLimit: number; tls?: { cert: Buffer; key: Buffer }; onError?: (err: unknown, req: IncomingMessage) => void }) {
    const handle = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res); // handle answers every failure itself
    this.server = opts.tls ? createHttps({ cert: opts.tls.cert, key: opts.tls.key }, handle) : createHttp(handle);
    this.server.keepAliveTimeout = 72_000; // longer than browsers keep an idle connection
  }

  get<T extends RouteTypes = RouteTypes>(path: string, handler: Handler<T>): void {
    this.routes.push({ method: 'GET', segments: path.split('/'), handler });
  }

  post<T extends RouteTypes = RouteTypes>(path: string, handler: Handler<T>): void {
    this.routes.push({ method: 'POST', segments: path.split('/'), handler });
  }

  /** Files under `root` at `prefix` (GET and HEAD), streamed from disk; dot-files and paths outside root are not found. */
  static(prefix: string, root: string): void {
    this.statics.push({ prefix, root: resolve(root) + sep });
  }

  /** Runs before the route's handler, for every request (unknown routes too); answering ends the request there. */
  preHandler(hook: Hook): void {
    this.pre.push(hook);
  }

  /** Runs on every reply the app sends (not on a hijacked one), just before its headers go. */
  onSend(hook: (reply: Reply) => void): void {
    this.sendHooks.push(hook);
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, host, () => {
        this.server.off('error', fail);
        ok();
      });
    });
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Stops listening; resolves once the open connections are gone (idle ones are closed now). */
  close(): Promise<void> {
    return new Promise((ok) => {
      this.server.close(() => ok());
      this.server.closeIdleConnections();
    });
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const segs = path.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const want = route.segments[i]!, got = segs[i]!;
        if (want.startsWith(':')) {
          try {
            params[want.slice(1)] = decodeURIComponent(got);
          } catch {
            ok = false;
          }
          ok &&= got.length > 0;
        } else ok = want === got;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  private async handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = new Reply(res, this.sendHooks);
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) if (!(k in query)) query[k] = v;
    const method = raw.method === 'HEAD' ? 'GET' : (raw.method ?? 'GET'); // Node sends no body for HEAD
    try {
      const body = await readBody(raw, this.opts.bodyLimit);
      const req: Req = { method: raw.method ?? 'GET', url, headers: raw.headers, ip: raw.socket.remoteAddress ?? '', raw, cookies: parseCookies(raw.headers.cookie), params: {}, query, body };
      for (const hook of this.pre) {
        await hook(req, reply);
        if (reply.sent) return;
      }
      const found = this.match(method, path);
      if (found) {
        req.params = found.params;
        const out = await found.route.handler(req, reply);
        if (reply.sent || reply.hijacked) return;
        if (out === undefined || out === reply) throw new Error('the handler sent nothing'); // a bug: answer 500 rather than leave the request hanging
        reply.send(out);
        return;
      }
      if (method === 'GET' && (await this.file(path, reply))) return;
      reply.code(404).send({ message: `Route ${raw.method ?? 'GET'}:${path} not found`, error: 'Not Found', statusCode: 404 });
    } catch (err) {
      if (reply.sent || reply.hijacked) {
        res.destroy();
        return;
      }
      const status = err instanceof HttpError ? err.statusCode : 500;
      if (status === 500) this.opts.onError?.(err, raw);
      reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: (err as Error).message });
    }
  }

  /** A static file for this path, if one is there: sent, true. */
  private async file(path: string, reply: Reply): Promise<boolean> {
    const s = this.statics.find((x) => path.startsWith(x.prefix));
    if (!s) return false;
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice(s.prefix.length));
    } catch {
      return false;
    }
    if (!rel || rel.includes('\0') || rel.split(/[/\\]/).some((p) => p.startsWith('.'))) return false;
    const file = resolve(s.root, rel);
    if (!file.startsWith(s.root)) return false;
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return false;
    reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('content-length', st.size).header('last-modified', st.mtime.toUTCString()).send(createReadStream(file));
    return true;
  }
}
