import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { sign } from './webhook.js';

/** What the CRM may say about a caller. */
export interface CrmAnswer {
  vip?: boolean;
  /** The agent (extension) who should take this customer. */
  agent?: string;
  language?: string;
  name?: string;
}

/** The router's view of a caller (daemon/routing/customers.ts), the parts the CRM can change. */
interface Known {
  vip: boolean;
  lastAgent?: { extension: string; at: number };
  language?: string;
}
type Lookup<T extends Known> = (caller: string, callId: string) => Promise<T>;

export interface CrmLookupOptions {
  db: Db;
  log: Logger;
  config: () => Config;
  /** crm-lookup-failing: raised when a lookup fails or times out, cleared by the next answer. */
  alarm?: (active: boolean, message: string) => void;
}

/**
 * The CRM lookup (crm_lookup): asked about a caller before the call is answered (so its language
 * and VIP shape the greeting) and again, from the cache, when the router needs to know them at
 * handoff. One request per caller within the cache time (a failure is cached too, and concurrent
 * asks share one request); the answer is kept in the customer record (name, language, VIP). A slow
 * or failing CRM falls back to the local record after the timeout, never holding the caller longer.
 */
export class CrmLookup {
  private readonly cache = new Map<string, { at: number; answer: Promise<CrmAnswer | undefined> }>();
  private failing = false;

  constructor(private readonly o: CrmLookupOptions) {}

  /** What the CRM says of this caller; undefined without crm_lookup, on a failure or a timeout. */
  answer(caller: string): Promise<CrmAnswer | undefined> {
    const c = this.o.config().crm_lookup;
    if (!c) return Promise.resolve(undefined);
    // Keyed by the URL too: a reload that points at another CRM does not reuse the old one's answers.
    const key = `${c.url} ${caller}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at <= durationOr(c.cache, '10m')) return hit.answer;
    const answer = this.fetch(c, caller);
    this.cache.delete(key);
    this.cache.set(key, { at: Date.now(), answer });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return answer;
  }

  private async fetch(c: NonNullable<Config['crm_lookup']>, caller: string): Promise<CrmAnswer | undefined> {
    try {
      const answer = await ask(c, caller);
      if (this.failing) this.o.alarm?.(false, 'the CRM lookup answers again');
      this.failing = false;
      // Kept in the record without holding the call (asked before answering, the record may not exist yet).
      if (answer.name !== undefined || answer.language !== undefined || answer.vip !== undefined) {
        const at = new Date().toISOString();
        void this.o.db
          .run(
            'INSERT INTO customers (number, name, language, vip, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET name = COALESCE(excluded.name, name), language = COALESCE(excluded.language, language), vip = CASE WHEN ? IS NULL THEN vip ELSE excluded.vip END, updated_at = excluded.updated_at',
            [caller, answer.name ?? null, answer.language ?? null, answer.vip ? 1 : 0, at, at, answer.vip === undefined ? null : 1],
          )
          .catch((err: unknown) => this.o.log.warn({ err }, 'CRM answer not kept in the customer record'));
      }
      return answer;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, caller }, 'CRM lookup failed; using the local customer record');
      if (!this.failing) this.o.alarm?.(true, `CRM lookup failed: ${(err as Error).message}`);
      this.failing = true;
      return undefined;
    }
  }

  /**
   * Before the call is answered: the caller's language (the CRM's, else the customer record's) and
   * VIP from the CRM. (A VIP tag in the store gives queue priority at handoff, as before.)
   */
  beforeAnswer(local: Lookup<Known>): (caller: string, callId: string) => Promise<{ vip: boolean; language?: string }> {
    return async (caller, callId) => {
      const [info, a] = await Promise.all([local(caller, callId), this.answer(caller)]);
      const language = a?.language ?? info.language;
      return { vip: a?.vip === true, ...(language ? { language } : {}) };
    };
  }

  /** The local lookup with the CRM's answer on top: VIP, its agent as the last agent, its language. */
  around<T extends Known>(local: Lookup<T>): Lookup<T> {
    return async (caller, callId) => {
      const [info, a] = await Promise.all([local(caller, callId), this.answer(caller)]);
      if (!a) return info;
      return { ...info, vip: info.vip || a.vip === true, ...(a.agent ? { lastAgent: { extension: a.agent, at: Date.now() } } : {}), ...(a.language ? { language: a.language } : {}) };
    };
  }
}

/** The CRM lookup in front of a local customer lookup, with a cache of its own (see CrmLookup). */
export function withCrmLookup<T extends Known>(local: Lookup<T>, o: CrmLookupOptions): Lookup<T> {
  return new CrmLookup(o).around(local);
}

function ask(c: NonNullable<Config['crm_lookup']>, number: string): Promise<CrmAnswer> {
  const body = JSON.stringify({ number });
  const ts = String(Math.floor(Date.now() / 1000));
  const timeout = durationOr(c.timeout, '800ms');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(c.url),
      {
        method: 'POST',
        timeout,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-frontdesk-timestamp': ts, 'x-frontdesk-signature': sign(c.secret, ts, body) },
        ...(c.ca ? { ca: readFileSync(c.ca) } : {}),
      },
      (res) => {
        let raw = '';
        res.on('data', (d: Buffer) => (raw += d.toString()));
        res.on('end', () => {
          if (res.statusCode === 404) return resolve({});
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
          try {
            const j = JSON.parse(raw) as Record<string, unknown>;
            resolve({
              ...(typeof j.vip === 'boolean' ? { vip: j.vip } : {}),
              ...(typeof j.agent === 'string' && /^[0-9A-Za-z*#+]{1,32}$/.test(j.agent) ? { agent: j.agent } : {}),
              ...(typeof j.language === 'string' && /^[a-z]{2,3}(-[A-Z]{2})?$/.test(j.language) ? { language: j.language } : {}),
              ...(typeof j.name === 'string' ? { name: j.name.slice(0, 100) } : {}),
            });
          } catch {
            reject(new Error('answer is not JSON'));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
