/**
 * Bridge cost against rtpengine, side by side in one run:
 *   node dist/scripts/bench-bridge.js [--calls 50,100,200] [--seconds 10] [--idle-wait 60] [--profile DIR] [--no-pin]
 *
 * For each N: N callers dial the real daemon (a separate process) over SIP, press 0 (RFC 4733), and
 * are bridged to N agents; then every caller and agent leg sends G.711 at 50 packets/s for the
 * measuring window. The same N caller/agent stream pairs are then relayed by rtpengine (Debian,
 * userspace, set up over its ng protocol). The load for both comes from one generator thread of this
 * process (lib/rtp-load-worker.ts: an epoll loop on the legs' sockets, the streams spread over each
 * 20 ms, every payload stamped with its send time), so the harness's event loop is not in the way.
 * That thread spins between sends, so it gets the last CPU to itself and the relay under test (every
 * thread of the daemon or of rtpengine) the others (`taskset`; --no-pin: the scheduler decides).
 * Printed per relay: CPU µs per relayed packet (the relay's own user+system time from /proc, all its
 * threads), delivered %, the gaps between packets it sends (|gap - 20 ms| p50/p99/max, on arrival),
 * the delay it adds (arrival - send, p50/p99/max) and what it does to the spacing (added jitter:
 * |arrival gap - send gap|, p99/max; the gaps include the generator's own lateness, this doesn't), RSS at the end (at idle before the calls, and per
 * call), and the ratio daemon/rtpengine. A third row, direct, sends the same streams straight to each
 * other: the harness's own floor under both relays' figures. Prints; asserts nothing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeG711 } from '../drivers/audio/g711.js';
import { toneSamples } from '../drivers/audio/tones.js';
import { udpHandle } from '../drivers/rtp/socket-fd.js';
import type { SipLeg } from '../drivers/sip/leg.js';
import { createSipLine } from '../drivers/sip/trunk-line.js';
import { btext, sdpAudio, startRtpengine } from './anchors/rtpengine.js';
import type { LoadMessage, LoadPlan, LoadResult } from './lib/rtp-load-worker.js';
import { trunkConfig } from '../test/helpers/trunk-config.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Node flags the service unit starts the daemon with (a small young generation keeps idle memory low). */
const SERVICE_NODE_FLAGS = (process.env.FD_NODE_FLAGS ?? '--max-semi-space-size=2').split(' ').filter(Boolean);
// FD_DAEMON_CLI: another build's daemon/cli.js, to compare builds on the same load.
const cli = process.env.FD_DAEMON_CLI ? resolve(process.env.FD_DAEMON_CLI) : resolve(here, '../daemon/cli.js');

/**
 * CPUs: the load generator gets the last one to itself, the relay under test (the daemon, rtpengine:
 * every thread) the others, so they don't take turns on one CPU; --no-pin leaves it to the scheduler.
 */
const cpus = availableParallelism();
const pinned = cpus >= 2 && !process.argv.includes('--no-pin');
const GENERATOR_CPU = cpus - 1;
const RELAY_CPUS = cpus > 2 ? `0-${cpus - 2}` : '0';
async function pinRelay(pid: number): Promise<void> {
  if (pinned) await promisify(execFile)('taskset', ['-a', '-p', '-c', RELAY_CPUS, String(pid)]);
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time (ms, user + system) and RSS (MB) of a process, from /proc. */
async function proc(pid: number): Promise<{ cpuMs: number; rssMb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime, stime (fields 14, 15)
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / 100, rssMb: rssKb / 1024 };
}

/** CPU time (ms) of each thread of a process, by thread id. */
async function threads(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const f = stat.split(') ')[1]?.split(' ');
    if (f) out.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
  }
  return out;
}

function pct(all: number[], p: number): number {
  if (!all.length) return NaN;
  const s = Float64Array.from(all).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const maxOf = (all: Float64Array): number => all.reduce((m, d) => (d > m ? d : m), all.length ? 0 : NaN);

interface Result {
  relay: string;
  calls: number;
  cpuUsPerPacket: number;
  delivered: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  delayP50: number;
  delayP99: number;
  delayMax: number;
  jitterP99: number;
  jitterMax: number;
  rssMb: number;
  idleRssMb: number;
}

function summarise(relay: string, calls: number, cpuMs: number, load: LoadResult, rssMb: number, idleRssMb: number): Result {
  const { gapDevs: g, delays: d, jitters: j } = load;
  return {
    relay, calls, idleRssMb, rssMb,
    cpuUsPerPacket: (cpuMs * 1000) / Math.max(1, load.received),
    delivered: (100 * load.received) / Math.max(1, load.sent),
    gapP50: pct([...g], 50), gapP99: pct([...g], 99), gapMax: maxOf(g),
    delayP50: pct([...d], 50), delayP99: pct([...d], 99), delayMax: maxOf(d),
    jitterP99: pct([...j], 99), jitterMax: maxOf(j),
  };
}

/**
 * Run the load thread on these sockets' fds for warm-up + `seconds`, reading the relay's CPU time
 * (process `pid`) at the start and end of the measuring window.
 */
async function runLoad(fds: number[], seconds: number, pid: number): Promise<{ load: LoadResult; cpuMs: number; rssMb: number; busiest: string }> {
  const plan: LoadPlan = { fds, payload: new Uint8Array(PAYLOAD), warmupMs: 1000, measureMs: seconds * 1000, ...(pinned ? { cpu: GENERATOR_CPU } : {}) };
  const worker = new Worker(new URL('./lib/rtp-load-worker.js', import.meta.url), { workerData: plan });
  let c0: { cpuMs: number } | undefined;
  let c1: { cpuMs: number; rssMb: number } | undefined;
  let t0 = new Map<number, number>();
  let t1 = new Map<number, number>();
  const reads: Promise<void>[] = [];
  const load = await new Promise<LoadResult>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m: LoadMessage) => {
      if (m === 'measuring') reads.push(proc(pid).then((p) => void (c0 = p)), threads(pid).then((t) => void (t0 = t)));
      else if (m === 'measured') reads.push(proc(pid).then((p) => void (c1 = p)), threads(pid).then((t) => void (t1 = t)));
      else resolve(m);
    });
  });
  await Promise.all(reads);
  await worker.terminate();
  if (!c0 || !c1) throw new Error('the load thread did not report its window');
  // Where the relay's CPU went: its busiest threads (the daemon's main thread has the process's id).
  const per = [...t1].map(([tid, ms]) => ({ tid, us: ((ms - (t0.get(tid) ?? 0)) * 1000) / Math.max(1, load.received) })).sort((a, b) => b.us - a.us).slice(0, 3);
  const busiest = per.map((t) => `${t.tid === pid ? 'main' : t.tid} ${t.us.toFixed(1)}`).join(', ');
  return { load, cpuMs: c1.cpuMs - c0.cpuMs, rssMb: c1.rssMb, busiest };
}

const PAYLOAD = encodeG711(Buffer.from(toneSamples(1000, 20, -12).buffer), 'PCMU');

// ---------------------------------------------------------------- rtpengine
// direct: no relay, the streams go straight to each other: the harness's own timing floor.
async function runRtpengine(calls: number, seconds: number, base: number, direct = false): Promise<Result> {
  const rtpe = direct ? undefined : await startRtpengine(base, { min: base + 10, max: base + 10 + calls * 8 + 100 });
  const pid = rtpe?.proc.pid ?? process.pid;
  if (rtpe) await pinRelay(pid);
  const idle = await proc(pid);
  interface Side { sock: dgram.Socket; port: number; to?: number }
  const mk = async (): Promise<Side> => {
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    return { sock, port: sock.address().port };
  };
  const sdp = (port: number): string =>
    `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;
  const pairs: [Side, Side][] = [];
  for (let i = 0; i < calls; i++) {
    const a = await mk();
    const b = await mk();
    const callId = `bench-${i}`;
    if (!rtpe) {
      a.to = b.port;
      b.to = a.port;
      pairs.push([a, b]);
      continue;
    }
    const offer = await rtpe.ng.request({ command: 'offer', 'call-id': callId, 'from-tag': `a${i}`, sdp: sdp(a.port), flags: ['symmetric'] });
    b.to = sdpAudio(btext(offer.sdp)).port;
    const answer = await rtpe.ng.request({ command: 'answer', 'call-id': callId, 'from-tag': `a${i}`, 'to-tag': `b${i}`, sdp: sdp(b.port) });
    a.to = sdpAudio(btext(answer.sdp)).port;
    pairs.push([a, b]);
  }
  const sides = pairs.flat();
  // Connected sockets, handed to the load thread (this thread no longer reads them).
  const fds: number[] = [];
  for (const s of sides) {
    s.sock.connect(s.to!, '127.0.0.1');
    await once(s.sock, 'connect');
    const h = udpHandle(s.sock);
    if (!h) throw new Error('no fd for a dgram socket');
    h.recvStop();
    fds.push(h.fd);
  }
  const { load, cpuMs, rssMb, busiest } = await runLoad(fds, seconds, pid);
  if (rtpe) console.log(`  (rtpengine CPU µs/pkt by thread: ${busiest})`);
  const r = summarise(rtpe ? 'rtpengine' : 'direct', calls, rtpe ? cpuMs : NaN, load, rtpe ? rssMb : NaN, rtpe ? idle.rssMb : NaN);
  for (let i = 0; rtpe && i < calls; i++) await rtpe.ng.request({ command: 'delete', 'call-id': `bench-${i}`, 'from-tag': `a${i}` }).catch(() => undefined); // clean-up: rtpengine may have dropped the call already
  for (const s of sides) s.sock.close();
  await rtpe?.stop();
  return r;
}

// ---------------------------------------------------------------- the daemon
async function runDaemon(calls: number, seconds: number, base: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-bench-bridge-'));
  const agentsLine = createSipLine({ id: 'agents', listen: { host: '127.0.0.1', port: 0 }, rtpPorts: { min: base + 2000, max: base + 2000 + calls * 2 + 50 }, allowFrom: ['127.0.0.1/32'] });
  const callersLine = createSipLine({ id: 'callers', listen: { host: '127.0.0.1', port: 0 }, rtpPorts: { min: base + 3000, max: base + 3000 + calls * 2 + 50 }, allowFrom: ['127.0.0.1/32'] });
  await agentsLine.start();
  await callersLine.start();
  const sipPort = base;
  const config = trunkConfig({
    site: 'bench',
    pbxPort: agentsLine.ua.port,
    sipPort,
    rtpPorts: { min: base + 10, max: base + 10 + calls * 4 + 100 },
    agents: Array.from({ length: calls }, (_, i) => String(1000 + i)),
    dataDir: `${dir}/data`,
    logLevel: 'warn',
  });
  await writeFile(join(dir, 'bench.yaml'), config);
  // --profile DIR: the daemon writes a V8 CPU profile there (open it in Chrome DevTools).
  const prof = arg('profile', '');
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // The daemon runs with the node flags of systemd/frontdesk.service.
  const daemon: ChildProcess = spawn(process.execPath, [...flags, ...SERVICE_NODE_FLAGS, cli, 'run', '-c', join(dir, 'bench.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  daemon.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  await pinRelay(daemon.pid!);
  const agentLegs: SipLeg[] = [];
  agentsLine.on('incoming', (leg) => {
    const l = leg as SipLeg;
    agentLegs.push(l);
    void l.answer().catch(() => undefined); // a caller gone first shows in the bench's counts
  });
  const target = `sip:frontdesk@127.0.0.1:${sipPort}`;
  // Wait until the daemon answers SIP.
  for (let i = 0; ; i++) {
    if (daemon.exitCode !== null) throw new Error(`daemon exited: ${err}`);
    try {
      const probe = await callersLine.dial(target);
      await waitAnswered(probe, 3000);
      await probe.hangup();
      break;
    } catch {
      if (i > 40) throw new Error(`daemon did not answer SIP: ${err}`);
      await sleep(250);
    }
  }
  // Idle: once V8 has given back what start-up allocated (its memory reducer shrinks the heap
  // 10-45 s into a quiet start), so --idle-wait 60 by default.
  await sleep(Number(arg('idle-wait', '60')) * 1000);
  const idle = await proc(daemon.pid!);
  const callerLegs: SipLeg[] = [];
  for (let i = 0; i < calls; i++) {
    const leg = await callersLine.dial(target);
    callerLegs.push(leg);
    void waitAnswered(leg, 10_000).then(async () => { // each caller runs on its own; a failed one shows in the counts
      await sleep(300);
      await leg.sendDtmf('0');
    }).catch(() => undefined);
    if (i % 10 === 9) await sleep(100);
  }
  const t0 = Date.now();
  while (agentLegs.filter((l) => l.state === 'answered').length < calls && Date.now() - t0 < 60_000) await sleep(200);
  const bridged = agentLegs.filter((l) => l.state === 'answered').length;
  if (bridged < calls) console.log(`  (only ${bridged} of ${calls} calls reached an agent within 60 s)`);
  await sleep(2500); // the hand-off announcement ends; bridges settle
  const legs = [...callerLegs.filter((l) => l.state === 'answered'), ...agentLegs.filter((l) => l.state === 'answered')];
  // Each leg's socket goes to the load thread (the leg's own clock sends nothing meanwhile), so the
  // daemon gets the same generator as rtpengine.
  const fds: number[] = [];
  for (const l of legs) {
    const lent = l.rtp?.lend({ release: () => undefined, packetsIn: 0, packetsOut: 0 });
    if (lent) fds.push(lent.fd);
  }
  if (fds.length < legs.length) console.log(`  (${legs.length - fds.length} legs' sockets not connected: left out)`);
  const { load, cpuMs, rssMb, busiest } = await runLoad(fds, seconds, daemon.pid!);
  const r = summarise('frontdesk', calls, cpuMs, load, rssMb, idle.rssMb);
  console.log(`  (frontdesk CPU µs/pkt by thread: ${busiest})`);
  await Promise.all(callerLegs.map((l) => l.hangup().catch(() => undefined))); // clean-up
  await sleep(500);
  daemon.kill('SIGTERM');
  await once(daemon, 'exit');
  await agentsLine.stop();
  await callersLine.stop();
  await rm(dir, { recursive: true, force: true });
  return r;
}

async function waitAnswered(leg: SipLeg, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (leg.state !== 'answered') {
    if (leg.state === 'ended' || Date.now() > end) throw new Error('not answered');
    await sleep(20);
  }
}

const f = (x: number, d = 1): string => (Number.isNaN(x) ? '-' : x.toFixed(d));
async function main(): Promise<void> {
  const counts = arg('calls', '50,100,200').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  console.log(`bridge: frontdesk daemon vs rtpengine (userspace), ${seconds} s per run, G.711 both ways, load from this process${pinned ? ` (its generator on CPU ${GENERATOR_CPU}, the relays on CPU ${RELAY_CPUS})` : ''}`);
  console.log('relay       calls  CPU µs/pkt  delivered %  |gap-20ms| p50/p99/max ms  delay p50/p99/max ms  added jitter p99/max  RSS MB (idle)  KB/call');
  let base = 40000;
  for (const n of counts) {
    const d = await runDaemon(n, seconds, base);
    base += 4000;
    const e = await runRtpengine(n, seconds, base);
    base += 4000;
    const floor = await runRtpengine(n, seconds, base, true); // binds ephemeral ports only
    for (const r of [d, e, floor]) {
      console.log(`${r.relay.padEnd(10)} ${String(r.calls).padStart(6)} ${f(r.cpuUsPerPacket).padStart(11)} ${f(r.delivered).padStart(12)}  ${`${f(r.gapP50)}/${f(r.gapP99)}/${f(r.gapMax)}`.padStart(25)}  ${`${f(r.delayP50, 2)}/${f(r.delayP99, 2)}/${f(r.delayMax, 2)}`.padStart(20)}  ${`${f(r.jitterP99, 2)}/${f(r.jitterMax, 2)}`.padStart(20)}  ${`${f(r.rssMb, 0)} (${f(r.idleRssMb, 0)})`.padEnd(13)}  ${f(((r.rssMb - r.idleRssMb) * 1024) / r.calls, 0).padStart(7)}`);
    }
    console.log(`ratio      ${String(n).padStart(6)} ${`${f(d.cpuUsPerPacket / e.cpuUsPerPacket, 2)}x`.padStart(11)}`);
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
