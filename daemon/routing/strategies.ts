import type { STRATEGIES } from '../config/schema.js';

export type Strategy = (typeof STRATEGIES)[number];

/** What a strategy may look at: an eligible agent, as seen from one queue. */
export interface Candidate {
  extension: string;
  /** Config order (linear, round-robin). */
  order: number;
  /** ms epoch the agent became free. */
  idleSince: number;
  callsTaken: number;
  talkMs: number;
  /** The agent's level in the queue's skill; a higher level is tried first (like Asterisk penalties, reversed). */
  level: number;
}

/** What a queue remembers between calls (round-robin resumes after the last agent it rang). */
export interface QueueMemory {
  lastRung?: { extension: string; order: number };
}

/**
 * The agents to ring now for one caller, from the eligible candidates (never empty if there are
 * candidates). Only the highest skill level present competes; lower levels are reached when nobody
 * of a higher level is free. ring-all returns that whole tier; every other strategy one agent:
 *
 * - longest-idle: free for the longest time (Asterisk leastrecent, mod_callcenter longest-idle-agent)
 * - round-robin: the next agent in config order after the last one this queue rang (rrmemory)
 * - fewest-calls: fewest calls answered (ties: longest idle)
 * - least-talk-time: least talk time (ties: longest idle)
 * - linear: always the first in config order
 * - random: any one of them
 */
export function pickAgents(strategy: Strategy, candidates: readonly Candidate[], memory: QueueMemory, random: () => number = Math.random): Candidate[] {
  if (candidates.length === 0) return [];
  const top = Math.max(...candidates.map((c) => c.level));
  const tier = candidates.filter((c) => c.level === top);
  if (strategy === 'ring-all') return [...tier].sort(byOrder);
  return [orderTier(strategy, tier, memory, random)[0]!];
}

/** The whole tier in the order the strategy would try it (for tests and for explaining a choice). */
export function orderTier(strategy: Strategy, tier: readonly Candidate[], memory: QueueMemory, random: () => number = Math.random): Candidate[] {
  const list = [...tier];
  switch (strategy) {
    case 'longest-idle':
      return list.sort((a, b) => a.idleSince - b.idleSince || byOrder(a, b));
    case 'fewest-calls':
      return list.sort((a, b) => a.callsTaken - b.callsTaken || a.idleSince - b.idleSince || byOrder(a, b));
    case 'least-talk-time':
      return list.sort((a, b) => a.talkMs - b.talkMs || a.idleSince - b.idleSince || byOrder(a, b));
    case 'linear':
    case 'ring-all':
      return list.sort(byOrder);
    case 'round-robin': {
      list.sort(byOrder);
      const last = memory.lastRung?.order ?? -1;
      const i = list.findIndex((c) => c.order > last);
      return i <= 0 ? list : [...list.slice(i), ...list.slice(0, i)];
    }
    case 'random': {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
      return list;
    }
  }
}

const byOrder = (a: Candidate, b: Candidate): number => a.order - b.order;
