import t from 'tap';
import { orderTier, pickAgents, type Candidate, type QueueMemory } from '../../../daemon/routing/strategies.js';

const agents = (): Candidate[] => [
  { extension: '801', order: 0, idleSince: 3000, callsTaken: 5, talkMs: 100_000, level: 1 },
  { extension: '802', order: 1, idleSince: 1000, callsTaken: 2, talkMs: 300_000, level: 1 },
  { extension: '803', order: 2, idleSince: 2000, callsTaken: 9, talkMs: 50_000, level: 1 },
];
const exts = (cs: Candidate[]): string[] => cs.map((c) => c.extension);

t.test('longest-idle picks the agent free the longest', async (t) => {
  t.same(exts(pickAgents('longest-idle', agents(), {})), ['802']);
  t.same(exts(orderTier('longest-idle', agents(), {})), ['802', '803', '801']);
});

t.test('fewest-calls and least-talk-time', async (t) => {
  t.same(exts(pickAgents('fewest-calls', agents(), {})), ['802']);
  t.same(exts(pickAgents('least-talk-time', agents(), {})), ['803']);
  const tie = agents().map((a) => ({ ...a, callsTaken: 1 }));
  t.same(exts(pickAgents('fewest-calls', tie, {})), ['802'], 'ties go to the longest idle');
});

t.test('linear always starts at the top of the config', async (t) => {
  t.same(exts(pickAgents('linear', agents(), {})), ['801']);
  t.same(exts(pickAgents('linear', agents().slice(1), {})), ['802'], 'the next one down when the first is not free');
});

t.test('round-robin resumes after the last agent rung and wraps', async (t) => {
  const memory: QueueMemory = {};
  const seq: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [c] = pickAgents('round-robin', agents(), memory);
    memory.lastRung = { extension: c!.extension, order: c!.order };
    seq.push(c!.extension);
  }
  t.same(seq, ['801', '802', '803', '801', '802', '803']);
  // 802 busy: after 801 comes 803, not 801 again.
  const m2: QueueMemory = { lastRung: { extension: '801', order: 0 } };
  t.same(exts(pickAgents('round-robin', agents().filter((a) => a.extension !== '802'), m2)), ['803']);
});

t.test('ring-all returns the whole top tier; random is any one of them', async (t) => {
  t.same(exts(pickAgents('ring-all', agents(), {})), ['801', '802', '803']);
  let x = 0;
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add(pickAgents('random', agents(), {}, () => ((x = (x * 9301 + 49297) % 233280) / 233280))[0]!.extension);
  t.same([...seen].sort(), ['801', '802', '803'], 'every agent gets calls');
});

t.test('a higher skill level is tried first, lower levels only when none is free', async (t) => {
  const cs = agents().map((a) => (a.extension === '803' ? { ...a, level: 2 } : a));
  for (const s of ['longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'linear', 'random'] as const) t.same(exts(pickAgents(s, cs, {})), ['803'], s);
  t.same(exts(pickAgents('ring-all', cs, {})), ['803']);
  t.same(exts(pickAgents('longest-idle', cs.filter((c) => c.extension !== '803'), {})), ['802']);
  t.same(pickAgents('linear', [], {}), []);
});
