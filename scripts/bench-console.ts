/**
 * Console event latency, bus → page: node dist/scripts/bench-console.js [sessions] [events]
 * Runs the console's real server, hub and store (a temp sqlite) in this process, opens N wallboard
 * streams (default 20) over HTTP on loopback as pages do, emits agent.state events on the bus at
 * 20 per second and prints how long each took to arrive in every stream (p50/p95/p99/max), plus
 * the server's CPU per event.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../daemon/bus/bus.js';
import type { Config } from '../daemon/config/schema.js';
import { createLogger } from '../daemon/log.js';
import { openStore } from '../daemon/store/store.js';
import { Sessions } from '../daemon/console/auth.js';
import { LiveHub } from '../daemon/console/hub.js';
import { LiveState } from '../daemon/console/live-state.js';
import { buildServer, COOKIE } from '../daemon/console/server.js';
import { WebRtcPhones } from '../drivers/webrtc/phones.js';

const sessionsN = Number(process.argv[2] ?? 20);
const eventsN = Number(process.argv[3] ?? 400);
const AGENTS = 12;

const dir = await mkdtemp(join(tmpdir(), 'fd-bench-console-'));
const db = await openStore(dir);
const config = {
  site: 'bench', node: 'box-1', lines: [{ id: 'gsm1', kind: 'gsm', modem: 'huawei', at_port: '/dev/null', voice_port: '/dev/null' }],
  agents: Array.from({ length: AGENTS }, (_, i) => ({ extension: String(801 + i), name: `Agent ${801 + i}` })),
  queues: [{ id: 'general' }, { id: 'billing' }],
  bot: { greeting: 'hi' },
  console: { users: [{ name: 'sue', role: 'supervisor', password_hash: 'scrypt$0$0$0$x$x' }] },
} as unknown as Config;
const log = createLogger({ level: 'silent' });
const bus = new Bus();
const state = new LiveState();
await state.seed(config, db);
const hub = new LiveHub(state, { db, config: () => config, log });
await hub.start();
bus.onAny((ev) => hub.onEvent(ev));
const sessions = new Sessions(3_600_000);
const server = buildServer({ config: () => config, db, log, hub, state, sessions, agentAction: () => undefined, transfer: () => undefined, callBack: async () => '', listen: () => undefined, incoming: () => undefined, phones: new WebRtcPhones() });
await server.listen('127.0.0.1', 0);
const url = `http://127.0.0.1:${server.address().port}`;

const latencies: number[] = [];
const seen = new Map<number, number>();
const streams: AbortController[] = [];
for (let i = 0; i < sessionsN; i++) {
  const s = sessions.create({ name: 'sue', role: 'supervisor' });
  const ac = new AbortController();
  streams.push(ac);
  const res = await fetch(`${url}/api/stream`, { headers: { cookie: `${COOKIE}=${s.id}` }, signal: ac.signal });
  void (async () => { // reads the stream until the bench aborts it; the reader catches
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body!) {
        buf += dec.decode(chunk as Uint8Array, { stream: true });
        let k: number;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, k);
          buf = buf.slice(k + 2);
          if (!msg.startsWith('event: ev\n')) continue;
          const ev = JSON.parse(msg.slice(msg.indexOf('data: ') + 6)) as { data: { reason?: string } };
          const sent = Number(ev.data.reason);
          if (!Number.isFinite(sent)) continue;
          latencies.push(performance.now() - sent);
          seen.set(sent, (seen.get(sent) ?? 0) + 1);
        }
      }
    } catch {
      // aborted at the end
    }
  })();
}
await new Promise((r) => setTimeout(r, 300));

const cpu0 = process.cpuUsage();
for (let i = 0; i < eventsN; i++) {
  const ext = String(801 + (i % AGENTS));
  bus.emit('agent.state', { extension: ext, state: i % 2 ? 'available' : 'paused', reason: String(performance.now()) });
  await new Promise((r) => setTimeout(r, 50));
}
await new Promise((r) => setTimeout(r, 500));
const cpu = process.cpuUsage(cpu0);

latencies.sort((a, b) => a - b);
const q = (p: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2);
const complete = [...seen.values()].filter((n) => n === sessionsN).length;
console.log(`console event latency, bus → stream, ${sessionsN} wallboard sessions, ${eventsN} events at 20/s (${AGENTS} agents):`);
console.log(`  deliveries ${latencies.length} of ${sessionsN * eventsN}; events reaching every session ${complete}/${eventsN}`);
console.log(`  latency ms: p50 ${q(0.5)}  p95 ${q(0.95)}  p99 ${q(0.99)}  max ${latencies.at(-1)?.toFixed(2)}`);
console.log(`  CPU per event (server side, all sessions, incl. the benchmark's own clients): ${((cpu.user + cpu.system) / eventsN / 1000).toFixed(2)} ms`);

for (const ac of streams) ac.abort();
hub.close();
await server.close();
await db.close();
await rm(dir, { recursive: true, force: true });
