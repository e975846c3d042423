import type { Db } from '../store/db.js';
import type { Config } from '../config/schema.js';
import { numberVariants } from '../config/values.js';

/** What the store knows of a caller, for priority and the sticky agent. */
export interface CustomerInfo {
  /** Tagged VIP in the customer record. */
  vip: boolean;
  /** When they last called before this call (ms epoch). */
  previousCallAt?: number;
  /** The agent who last talked to them, and when that call ended. */
  lastAgent?: { extension: string; at: number };
  /** The customer record's language (a tag like en-US), when it has one. */
  language?: string;
}

/** A handoff waits at most this long for the store; after that the caller is routed without history. */
export const LOOKUP_BUDGET_MS = 300;

/**
 * Reads the customer record and call history on the store's read connection (never behind a
 * write). Never throws and never takes longer than LOOKUP_BUDGET_MS: a store fault must not block
 * or delay a handoff; the caller is then routed without priority history. The caller is looked up
 * in every form the store may hold it in (numberVariants: national, E.164, with country_code from
 * the config), so a VIP tag or an earlier call is found whichever line the number came in on.
 */
export function customerLookup(store: Db, config?: () => Pick<Config, 'country_code'>): (caller: string, callId: string) => Promise<CustomerInfo> {
  const lookup = read(store.reader(), config);
  return (caller, callId) =>
    new Promise<CustomerInfo>((resolve) => {
      const t = setTimeout(() => resolve({ vip: false }), LOOKUP_BUDGET_MS);
      lookup(caller, callId).then(
        (r) => (clearTimeout(t), resolve(r)),
        () => (clearTimeout(t), resolve({ vip: false })),
      );
    });
}

function read(db: Pick<Db, 'get' | 'all'>, config?: () => Pick<Config, 'country_code'>): (caller: string, callId: string) => Promise<CustomerInfo> {
  return async (caller, callId) => {
    const forms = numberVariants(caller, config?.().country_code);
    const any = forms.map(() => '?').join(', ');
    const rows = await db.all<{ vip: number; tags: string | null; language: string | null }>(`SELECT vip, tags, language FROM customers WHERE number IN (${any})`, forms);
    const prev = await db.get<{ at: string }>(`SELECT offered_at AS at FROM calls WHERE caller IN (${any}) AND id != ? ORDER BY offered_at DESC LIMIT 1`, [...forms, callId]);
    const agent = await db.get<{ ext: string; at: string }>(
      `SELECT agent_ext AS ext, COALESCE(ended_at, agent_answered_at) AS at FROM calls WHERE caller IN (${any}) AND id != ? AND agent_ext IS NOT NULL ORDER BY offered_at DESC LIMIT 1`,
      [...forms, callId],
    );
    const tags = rows.flatMap((c) => (c.tags ?? '').split(/[,\s]+/).map((t) => t.toLowerCase()));
    const language = rows.find((c) => c.language)?.language;
    return {
      ...(language ? { language } : {}),
      vip: rows.some((c) => Boolean(c.vip)) || tags.includes('vip'),
      ...(prev ? { previousCallAt: Date.parse(prev.at) } : {}),
      ...(agent?.ext && agent.at ? { lastAgent: { extension: agent.ext, at: Date.parse(agent.at) } } : {}),
    };
  };
}
