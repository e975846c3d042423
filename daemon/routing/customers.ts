import type { Db } from '../store/db.js';

/** What the store knows of a caller, for priority and the sticky agent. */
export interface CustomerInfo {
  /** Tagged VIP in the customer record. */
  vip: boolean;
  /** When they last called before this call (ms epoch). */
  previousCallAt?: number;
  /** The agent who last talked to them, and when that call ended. */
  lastAgent?: { extension: string; at: number };
}

/** A handoff waits at most this long for the store; after that the caller is routed without history. */
export const LOOKUP_BUDGET_MS = 300;

/**
 * Reads the customer record and call history on the store's read connection (never behind a
 * write). Never throws and never takes longer than LOOKUP_BUDGET_MS: a store fault must not block
 * or delay a handoff; the caller is then routed without priority history.
 */
export function customerLookup(store: Db): (caller: string, callId: string) => Promise<CustomerInfo> {
  const lookup = read(store.reader());
  return (caller, callId) =>
    new Promise<CustomerInfo>((resolve) => {
      const t = setTimeout(() => resolve({ vip: false }), LOOKUP_BUDGET_MS);
      lookup(caller, callId).then(
        (r) => (clearTimeout(t), resolve(r)),
        () => (clearTimeout(t), resolve({ vip: false })),
      );
    });
}

function read(db: Pick<Db, 'get'>): (caller: string, callId: string) => Promise<CustomerInfo> {
  return async (caller, callId) => {
    const c = await db.get<{ vip: number; tags: string | null }>('SELECT vip, tags FROM customers WHERE number = ?', [caller]);
    const prev = await db.get<{ at: string }>('SELECT offered_at AS at FROM calls WHERE caller = ? AND id != ? ORDER BY offered_at DESC LIMIT 1', [caller, callId]);
    const agent = await db.get<{ ext: string; at: string }>(
      'SELECT agent_ext AS ext, COALESCE(ended_at, agent_answered_at) AS at FROM calls WHERE caller = ? AND id != ? AND agent_ext IS NOT NULL ORDER BY offered_at DESC LIMIT 1',
      [caller, callId],
    );
    const tags = (c?.tags ?? '').split(/[,\s]+/).map((t) => t.toLowerCase());
    return {
      vip: Boolean(c?.vip) || tags.includes('vip'),
      ...(prev ? { previousCallAt: Date.parse(prev.at) } : {}),
      ...(agent?.ext && agent.at ? { lastAgent: { extension: agent.ext, at: Date.parse(agent.at) } } : {}),
    };
  };
}
