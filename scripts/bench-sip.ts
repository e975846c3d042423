/**
 * SIP/RTP benchmark on loopback: two Frontdesk SIP stacks in this one process (so on one core) call
 * each other. Prints call setups per second (INVITE → 200 → ACK, then BYE) and RTP throughput with N
 * concurrent bridged G.711 streams (the answering side echoes every frame back, like a bridge).
 *
 *   node dist/scripts/bench-sip.js [--calls 300] [--concurrency 20] [--streams 100] [--seconds 5]
 */
import { once } from 'node:events';
import { mediaClock } from '../drivers/media/clock.js';
import { FRAME_BYTES } from '../drivers/media/format.js';
import type { SipLeg } from '../drivers/sip/leg.js';
import { createSipLine, type SipTrunkLine } from '../drivers/sip/trunk-line.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function line(id: string, rtpMin: number): Promise<SipTrunkLine> {
  const l = createSipLine({ id, listen: { host: '127.0.0.1', port: 0 }, rtpPorts: { min: rtpMin, max: rtpMin + 3998 }, allowFrom: ['127.0.0.1/32'] });
  await l.start();
  return l;
}

async function answeredOrThrow(leg: SipLeg): Promise<void> {
  if (leg.state === 'answered') return;
  const [ev] = await Promise.race([once(leg, 'answered').then(() => ['answered']), once(leg, 'ended').then(() => ['ended'])]);
  if (ev !== 'answered') throw new Error(`call failed: ${JSON.stringify(leg.end)}`);
}

async function main(): Promise<void> {
  const calls = arg('calls', 300);
  const concurrency = arg('concurrency', 20);
  const streams = arg('streams', 100);
  const seconds = arg('seconds', 5);
  const caller = await line('bench-a', 30000);
  const callee = await line('bench-b', 34000);
  let echo = false;
  callee.on('incoming', (leg) => {
    void (leg as SipLeg).answer().catch(() => undefined).then(() => { // a caller gone first shows in the bench's counts
      if (echo && leg.media) {
        const m = leg.media;
        m.on('frame', (f) => m.write(f));
      }
    });
  });
  const target = `sip:bench@127.0.0.1:${callee.ua.port}`;

  // 1. Call setups per second.
  let done = 0;
  let failed = 0;
  let started = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (started < calls) {
      started++;
      try {
        const leg = await caller.dial(target);
        await answeredOrThrow(leg);
        await leg.hangup();
        done++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const setupSecs = (performance.now() - t0) / 1000;
  console.log(`call setups: ${done} ok, ${failed} failed in ${setupSecs.toFixed(2)} s = ${(done / setupSecs).toFixed(1)} setups/s (INVITE/100/200/ACK + BYE/200, concurrency ${concurrency})`);
  await new Promise((r) => setTimeout(r, 500));

  // 2. Concurrent bridged G.711 streams.
  echo = true;
  const legs: SipLeg[] = [];
  for (let i = 0; i < streams; i++) legs.push(await caller.dial(target));
  await Promise.all(legs.map(answeredOrThrow));
  const frame = Buffer.alloc(FRAME_BYTES, 0x11);
  let framesBack = 0;
  for (const leg of legs) {
    leg.media!.on('frame', () => framesBack++);
  }
  // Keep each caller's queue topped up so every stream carries audio, not just silence.
  const feeder = setInterval(() => {
    for (const leg of legs) while (leg.media && leg.media.queued < 5) leg.media.write(frame);
  }, 40);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up: jitter buffers fill
  const startPackets = countPackets(caller, callee);
  const lateBefore = mediaClock.lateTicks;
  framesBack = 0;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(feeder);
  const p = countPackets(caller, callee);
  const sent = p.out - startPackets.out;
  const received = p.in - startPackets.in;
  console.log(`rtp: ${streams} bridged G.711 calls (${streams * 2} legs in this process, each sending and receiving one stream) for ${wall.toFixed(1)} s`);
  console.log(`rtp: ${(sent / wall).toFixed(0)} packets/s sent, ${(received / wall).toFixed(0)} packets/s received (ideal ${streams * 2 * 50}/s)`);
  console.log(`rtp: ${(framesBack / wall / streams).toFixed(1)} echoed frames/s per call back at the caller (ideal 50)`);
  console.log(`rtp: cpu ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of one core; media clock late ticks ${mediaClock.lateTicks - lateBefore}`);
  await Promise.all(legs.map((l) => l.hangup()));
  await new Promise((r) => setTimeout(r, 300));
  await caller.stop();
  await callee.stop();
  process.exit(0);
}

function countPackets(...lines: SipTrunkLine[]): { in: number; out: number } {
  let pin = 0;
  let pout = 0;
  for (const l of lines) {
    for (const leg of (l as unknown as { legs: Set<SipLeg> }).legs) {
      const s = leg.rtp?.session.stats;
      if (s) {
        pin += s.packetsIn;
        pout += s.packetsOut;
      }
    }
  }
  return { in: pin, out: pout };
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
