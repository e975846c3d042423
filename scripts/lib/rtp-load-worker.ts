/**
 * bench-bridge's load generator and receiver, on a thread of its own so the harness is not its own
 * bottleneck: an epoll loop (koffi on libc, as the native relay) over every leg's connected UDP
 * socket. Each stream sends one 172-byte G.711 packet every 20 ms, the streams spread evenly over the
 * 20 ms, and stamps the payload with the send time (this thread's clock), so the receiver measures
 * what the relay added (arrival − send) as well as the gaps between arrivals. Runs warm-up, then the
 * measuring window (posting 'measuring' and 'measured' so the bench can read the relay's CPU time),
 * then drains and posts the results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { koffi } from '../../drivers/ffi.js';
import { EINTR, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_DATA_OFFSET, EPOLL_EVENT_SIZE, MSG_DONTWAIT, epollEvent, relayLibc } from '../../drivers/rtp/relay-epoll.js';

export interface LoadPlan {
  /** One connected, non-blocking UDP socket per stream (libuv no longer reads them). */
  fds: number[];
  /** A G.711 payload to send (160 bytes); its first 16 bytes carry the stamp. */
  payload: Uint8Array;
  warmupMs: number;
  measureMs: number;
  /** The CPU this thread keeps to (bench-bridge pins the relay under test to the others), or none. */
  cpu?: number;
}

export interface LoadResult {
  sent: number;
  received: number;
  /** |gap − 20 ms| between consecutive stamped arrivals per stream, ms. */
  gapDevs: Float64Array;
  /** arrival − send of each stamped packet, ms. */
  delays: Float64Array;
  /** What the relay did to the spacing: |(arrival gap) − (send gap)| between consecutive packets of a stream, ms. */
  jitters: Float64Array;
}

export type LoadMessage = 'measuring' | 'measured' | LoadResult;

const MAGIC = 0x46444231; // 'FDB1'
const FRAME_MS = 20;
const plan = workerData as LoadPlan;
const c = relayLibc();
if (plan.cpu !== undefined) {
  // sched_setaffinity(0, ...): this thread only. The generator spins between sends; kept off the
  // relay's CPU it neither slows the relay down nor gets preempted by it (which shows as its own lateness).
  const mask = Buffer.alloc(128);
  mask[plan.cpu >> 3] = 1 << (plan.cpu & 7);
  const setaffinity = koffi().load('libc.so.6').func('int sched_setaffinity(int, size_t, const void *)') as (pid: number, size: number, mask: Buffer) => number;
  if (setaffinity(0, mask.length, mask) !== 0) throw new Error(`sched_setaffinity failed (errno ${c.errno()})`);
}
const n = plan.fds.length;
const ep = c.epollCreate(EPOLL_CLOEXEC);
plan.fds.forEach((fd, i) => c.epollCtl(ep, EPOLL_CTL_ADD, fd, epollEvent(i)));

const pkt = Buffer.alloc(12 + plan.payload.length);
Buffer.from(plan.payload).copy(pkt, 12);
const view = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
const rbuf = Buffer.alloc(2048);
const rview = new DataView(rbuf.buffer, rbuf.byteOffset, rbuf.byteLength);
const events = Buffer.alloc(EPOLL_EVENT_SIZE * 512);
const seq = new Uint16Array(n);
const ts = new Uint32Array(n);
const ssrc = Uint32Array.from({ length: n }, () => Math.floor(Math.random() * 2 ** 32));
const lastArrival = new Float64Array(n);
const lastSend = new Float64Array(n);
const expected = Math.ceil(((plan.measureMs + 1000) / FRAME_MS) * n);
const gapDevs = new Float64Array(expected);
const jitters = new Float64Array(expected);
const delays = new Float64Array(expected);
let gaps = 0;
let received = 0;
let sent = 0;
let recording = false;

const t0 = performance.now() + 50;
let k = 0; // send round
let i = 0; // next stream in this round
const due = (): number => t0 + k * FRAME_MS + (i * FRAME_MS) / n;

function send(s: number): void {
  pkt[0] = 0x80;
  pkt[1] = 0; // PCMU
  view.setUint16(2, seq[s]!);
  view.setUint32(4, ts[s]!);
  view.setUint32(8, ssrc[s]!);
  seq[s] = (seq[s]! + 1) & 0xffff;
  ts[s] = (ts[s]! + 160) >>> 0;
  view.setUint32(12, MAGIC);
  view.setUint32(16, recording ? 1 : 0);
  view.setFloat64(20, performance.now());
  if (c.send(plan.fds[s]!, pkt, pkt.length, MSG_DONTWAIT) > 0 && recording) sent++;
}

function receive(s: number): void {
  const got = c.recv(plan.fds[s]!, rbuf, rbuf.length, MSG_DONTWAIT);
  if (got < 12 + 16) return;
  const off = 12 + (rbuf[0]! & 0x0f) * 4;
  if (rview.getUint32(off) !== MAGIC || rview.getUint32(off + 4) !== 1) return; // the relay's own silence, or warm-up
  const now = performance.now();
  if (!recording && now > measureEnd + 500) return;
  const sentAt = rview.getFloat64(off + 8);
  received++;
  if (delays.length > received) delays[received - 1] = now - sentAt;
  if (lastArrival[s]! > 0 && gaps < gapDevs.length) {
    gapDevs[gaps] = Math.abs(now - lastArrival[s]! - FRAME_MS);
    jitters[gaps++] = Math.abs(now - lastArrival[s]! - (sentAt - lastSend[s]!));
  }
  lastArrival[s] = now;
  lastSend[s] = sentAt;
}

const measureStart = t0 + plan.warmupMs;
const measureEnd = measureStart + plan.measureMs;
let phase: 'warmup' | 'measuring' | 'draining' = 'warmup';
for (;;) {
  const now = performance.now();
  if (phase === 'warmup' && now >= measureStart) {
    phase = 'measuring';
    recording = true;
    parentPort!.postMessage('measuring' satisfies LoadMessage);
  } else if (phase === 'measuring' && now >= measureEnd) {
    phase = 'draining';
    recording = false;
    parentPort!.postMessage('measured' satisfies LoadMessage);
  } else if (phase === 'draining' && now >= measureEnd + 500) break;
  if (phase !== 'draining') {
    while (due() <= now) {
      send(i);
      if (++i === n) {
        i = 0;
        k++;
      }
    }
  }
  const wait = phase === 'draining' ? 20 : Math.max(0, Math.floor(due() - performance.now()));
  const ready = c.epollWait(ep, events, 512, wait);
  if (ready < 0 && c.errno() !== EINTR) throw new Error(`epoll_wait failed (errno ${c.errno()})`);
  for (let e = 0; e < ready; e++) receive(events.readUInt32LE(e * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET));
}
c.close(ep);
const result: LoadResult = { sent, received, gapDevs: gapDevs.slice(0, gaps), jitters: jitters.slice(0, gaps), delays: delays.slice(0, Math.min(received, delays.length)) };
parentPort!.postMessage(result satisfies LoadMessage);
