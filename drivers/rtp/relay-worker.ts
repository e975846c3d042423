/**
 * The native relay's thread (started by native-relay.ts): an epoll loop over the RTP sockets of
 * pass-through bridges. Per ready socket one recv() into a preallocated buffer, the RTP header
 * rewritten in place into the other leg's outbound stream (exactly what RtpMediaPort.sendPayload
 * does: our SSRC and sequence, the sender's timestamps plus a per-sender offset, the marker on a
 * new sender), one send() on the other leg's connected socket. Every 20 ms, silence on a leg whose
 * feed has been quiet for 100 ms. Packets that are not the negotiated audio (RFC 4733 digits, comfort
 * noise...) go to the daemon's thread as they are. Commands come through shared memory (relay-layout.ts)
 * with an eventfd to wake the loop; blocking here is the point of the thread.
 *
 * Timing: the 20 ms tick is a timerfd in the same epoll set, so the loop never reads a clock, and
 * nothing in it allocates (a V8 scavenge in this isolate would stall every stream at once). The thread
 * asks for nice RELAY_NICE so that a busy box (the daemon's own thread, speech workers) delays
 * packets less; where that isn't allowed (no CAP_SYS_NICE, no LimitNICE= in the unit) it runs at
 * normal priority and says so.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { FRAME_MS, FRAME_SAMPLES } from '../media/format.js';
import * as L from './relay-layout.js';
import { CLOCK_MONOTONIC, EFD_CLOEXEC, EFD_NONBLOCK, EINTR, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_DATA_OFFSET, EPOLL_EVENT_SIZE, MSG_DONTWAIT, PRIO_PROCESS, TFD_CLOEXEC, TFD_NONBLOCK, epollEvent, itimerspec, relayLibc } from './relay-epoll.js';

export interface RelayWorkerData {
  sab: SharedArrayBuffer;
  /** Where packets for the daemon go ({ slot, gen, end, packet }), and RelayReady once the loop runs. */
  port: MessagePort;
}

/** The nice value the relay's thread asks for (the daemon's threads run at 0). */
export const RELAY_NICE = -10;

/** The thread's first message: its loop runs, and whether it got RELAY_NICE (errno when not). */
export interface RelayReady {
  ready: true;
  nice: number;
  niceErrno?: number;
}

export interface RelayedPacket {
  slot: number;
  gen: number;
  end: number;
  packet: Uint8Array;
}

const { sab, port } = workerData as RelayWorkerData;
const st = new Int32Array(sab);
const c = relayLibc();
const WAKE = 0xffffffff;
const TICK = 0xfffffffe;
const MAX_EVENTS = 256;
const BUF = 2048;
const MAX_PAYLOAD = 1600;

const ep = c.epollCreate(EPOLL_CLOEXEC);
if (ep < 0) throw new Error(`epoll_create1 failed (errno ${c.errno()})`);
// The daemon's thread writes to it (a plain write(2)) to make epoll_wait return.
const wakeFd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
if (wakeFd < 0) throw new Error(`eventfd failed (errno ${c.errno()})`);
if (c.epollCtl(ep, EPOLL_CTL_ADD, wakeFd, epollEvent(WAKE)) !== 0) throw new Error(`epoll_ctl(eventfd) failed (errno ${c.errno()})`);
const tickFd = c.timerfdCreate(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
if (tickFd < 0) throw new Error(`timerfd_create failed (errno ${c.errno()})`);
if (c.epollCtl(ep, EPOLL_CTL_ADD, tickFd, epollEvent(TICK)) !== 0) throw new Error(`epoll_ctl(timerfd) failed (errno ${c.errno()})`);
const ticking = itimerspec(FRAME_MS);
const stopped = itimerspec(0);

const events = Buffer.alloc(EPOLL_EVENT_SIZE * MAX_EVENTS);
const buf = Buffer.alloc(BUF);
const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
const silence = Buffer.alloc(12 + FRAME_SAMPLES);
const silenceView = new DataView(silence.buffer, silence.byteOffset, silence.byteLength);
const eight = Buffer.alloc(8);
/** Slots this thread has put into its epoll set. */
const mine = new Uint8Array(L.MAX_PAIRS);
let active = 0;

/** Run the 20 ms tick while the thread has pairs, and sleep without it when it has none. */
function arm(on: boolean): void {
  if (c.timerfdSettime(tickFd, 0, on ? ticking : stopped, null) !== 0) throw new Error(`timerfd_settime failed (errno ${c.errno()})`);
}

function commands(): void {
  const used = Atomics.load(st, L.H_SLOTS_USED);
  for (let slot = 0; slot < used; slot++) {
    const s = L.slotBase(slot) + L.S_STATE;
    const state = Atomics.load(st, s);
    if (state === L.ADD) {
      if (Atomics.compareExchange(st, s, L.ADD, L.ACTIVE) !== L.ADD) continue; // taken back before we saw it
      for (let e = 0; e < 2; e++) c.epollCtl(ep, EPOLL_CTL_ADD, st[L.endBase(slot, e) + L.E_FD]!, epollEvent(slot * 2 + e));
      mine[slot] = 1;
      if (active++ === 0) arm(true);
    } else if (state === L.RELEASE) {
      if (mine[slot]) {
        // After this the fds are the daemon's again: it may close them, and the numbers may be reused.
        for (let e = 0; e < 2; e++) c.epollCtl(ep, EPOLL_CTL_DEL, st[L.endBase(slot, e) + L.E_FD]!, null);
        mine[slot] = 0;
        if (--active === 0) arm(false);
      }
      Atomics.store(st, s, L.RELEASED);
      Atomics.notify(st, s);
    }
  }
}

/** One datagram from leg `from` of `slot`, passed on to the other leg. */
function relay(slot: number, from: number): void {
  const inB = L.endBase(slot, from);
  const n = c.recv(st[inB + L.E_FD]!, buf, BUF, MSG_DONTWAIT);
  if (n < 12) return; // nothing after all, an ICMP error (ECONNREFUSED), or not RTP
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return;
  let off = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (n < off + 4) return;
    off += 4 + view.getUint16(off + 2) * 4;
  }
  let end = n;
  if (b0 & 0x20) end -= buf[n - 1]!;
  if (off > end) return;
  const pt = buf[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return; // RTCP multiplexed on the RTP port
  if (pt !== st[inB + L.E_PT]) {
    // Digits and anything else: the daemon's (RtpMediaPort decides, as for packets it reads itself).
    port.postMessage({ slot, gen: st[L.slotBase(slot) + L.S_GEN]!, end: from, packet: Uint8Array.prototype.slice.call(buf, 0, n) } satisfies RelayedPacket);
    return;
  }
  st[inB + L.E_IN]!++;
  const len = end - off;
  if (len === 0 || len > MAX_PAYLOAD) return;
  const outB = L.endBase(slot, from ^ 1);
  const source = view.getUint32(8) | 0;
  const ts = view.getUint32(4);
  let marker = 0;
  if (st[outB + L.E_SRC_SET] === 0 || st[outB + L.E_SRC] !== source) {
    // A new sender stream (or the first packet): continue our timestamps from where they are.
    st[outB + L.E_SRC_SET] = 1;
    st[outB + L.E_SRC] = source;
    st[outB + L.E_OFFSET] = (st[outB + L.E_TS]! - ts) | 0;
    marker = 0x80;
  }
  const outTs = (ts + st[outB + L.E_OFFSET]!) >>> 0;
  const h = off - 12; // the header goes right before the payload: no copy for a plain 12-byte header
  const seq = st[outB + L.E_SEQ]!;
  buf[h] = 0x80;
  buf[h + 1] = marker | st[outB + L.E_PT]!;
  view.setUint16(h + 2, seq);
  view.setUint32(h + 4, outTs);
  view.setUint32(h + 8, st[outB + L.E_SSRC]! >>> 0);
  st[outB + L.E_SEQ] = (seq + 1) & 0xffff;
  st[outB + L.E_TS] = (outTs + len) | 0; // one byte per sample in G.711
  st[outB + L.E_SINCE] = 0;
  st[outB + L.E_OUT]!++;
  c.send(st[outB + L.E_FD]!, h === 0 ? buf : buf.subarray(h), end - h, MSG_DONTWAIT);
}

/** The 20 ms tick: a leg whose feed went quiet for 100 ms gets silence, so it never goes without RTP. */
function tick(): void {
  const used = Atomics.load(st, L.H_SLOTS_USED);
  for (let slot = 0; slot < used; slot++) {
    if (!mine[slot]) continue;
    for (let e = 0; e < 2; e++) {
      const b = L.endBase(slot, e);
      if (++st[b + L.E_SINCE]! <= L.FED_SILENCE_AFTER_TICKS) continue;
      const seq = st[b + L.E_SEQ]!;
      const ts = st[b + L.E_TS]! >>> 0;
      silence[0] = 0x80;
      silence[1] = st[b + L.E_PT]!;
      silenceView.setUint16(2, seq);
      silenceView.setUint32(4, ts);
      silenceView.setUint32(8, st[b + L.E_SSRC]! >>> 0);
      silence.fill(st[b + L.E_SILENCE]!, 12);
      st[b + L.E_SEQ] = (seq + 1) & 0xffff;
      st[b + L.E_TS] = (ts + FRAME_SAMPLES) | 0;
      st[b + L.E_SRC_SET] = 0;
      st[b + L.E_OUT]!++;
      c.send(st[b + L.E_FD]!, silence, silence.length, MSG_DONTWAIT);
    }
  }
}

/** The loop: a function of its own, so V8 optimises it as one (module top-level code boxes doubles). */
function loop(): void {
  for (;;) {
    const n = c.epollWait(ep, events, MAX_EVENTS, -1);
    if (Atomics.load(st, L.H_STOP)) return;
    if (n < 0 && c.errno() !== EINTR) throw new Error(`epoll_wait failed (errno ${c.errno()})`);
    for (let i = 0; i < n; i++) {
      const tag = events.readUInt32LE(i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
      if (tag === WAKE) {
        c.read(wakeFd, eight, 8);
        commands();
      } else if (tag === TICK) {
        // Ticks missed while the thread was held up (the count in `eight`) are not made up in a burst.
        if (c.read(tickFd, eight, 8) === 8 && active > 0) tick();
      } else {
        const slot = tag >>> 1;
        if (mine[slot]) relay(slot, tag & 1); // released earlier in this batch: not ours any more
      }
    }
  }
}

// Linux: PRIO_PROCESS with 0 is this thread alone.
const niced = c.setpriority(PRIO_PROCESS, 0, RELAY_NICE) === 0;
Atomics.store(st, L.H_EP_FD, ep);
Atomics.store(st, L.H_TICK_FD, tickFd);
Atomics.store(st, L.H_WAKE_FD, wakeFd);
port.postMessage({ ready: true, nice: niced ? RELAY_NICE : 0, ...(niced ? {} : { niceErrno: c.errno() }) } satisfies RelayReady);
loop();
// Claimed before closing: were the thread killed in between, a leaked fd beats the daemon closing a reused number.
if (Atomics.exchange(st, L.H_CLOSED, 1) === 0) {
  c.close(ep);
  c.close(wakeFd);
  c.close(tickFd);
}
