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
}
type Lookup<T extends Known> = (caller: string, callId: string) => Promise<T>;

/**
 * The CRM lookup (crm_lookup) in front of the store's own customer lookup: when the router needs to
 * know a caller (at handoff), the CRM is asked with a short timeout; its answer is cached and kept in
 * the customer record (name, language, VIP). VIP raises the caller's priority; the CRM's agent is
 * offered first as the sticky agent (queues with sticky_agent). A slow or failing CRM falls back to
 * the local record, never holding the caller.
 */
export function withCrmLookup<T extends Known>(local: Lookup<T>, o: { db: Db; log: Logger; config: () => Config }): Lookup<T> {
  const cache = new Map<string, { at: number; answer: CrmAnswer | undefined }>();
  return async (caller, callId) => {
    const info = await local(caller, callId);
    const c = o.config().crm_lookup;
    if (!c) return info;
    const ttl = durationOr(c.cache, '10m');
    let hit = cache.get(caller);
    if (!hit || Date.now() - hit.at > ttl) {
      let answer: CrmAnswer | undefined;
      try {
        answer = await ask(c, caller);
        await o.db.run('UPDATE customers SET name = COALESCE(?, name), language = COALESCE(?, language), vip = CASE WHEN ? IS NULL THEN vip ELSE ? END, updated_at = ? WHERE number = ?', [answer.name ?? null, answer.language ?? null, answer.vip === undefined ? null : 1, answer.vip ? 1 : 0, new Date().toISOString(), caller]);
      } catch (err) {
        o.log.warn({ err: (err as Error).message, caller }, 'CRM lookup failed; using the local customer record');
      }
      hit = { at: Date.now(), answer };
      cache.set(caller, hit);
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    }
    const a = hit.answer;
    if (!a) return info;
    return { ...info, vip: info.vip || a.vip === true, ...(a.agent ? { lastAgent: { extension: a.agent, at: Date.now() } } : {}) };
  };
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
