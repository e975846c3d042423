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

/** Reads the customer record and call history; never throws (a store hiccup must not block a handoff). */
export function customerLookup(db: Db): (caller: string, callId: string) => Promise<CustomerInfo> {
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
