import { closeSync, writeSync } from 'node:fs';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import * as L from './relay-layout.js';
import { relayUnsupported } from './relay-epoll.js';
import type { RelayReady, RelayedPacket, RelayWorkerData } from './relay-worker.js';

/** A leg's outbound stream, as RtpSession and RtpMediaPort keep it: handed to the relay and back. */
export interface RelayStream {
  /** The leg's audio payload type (in and out) and its codec's silence byte. */
  payload: number;
  silence: number;
  seq: number;
  ssrc: number;
  timestamp: number;
  /** The sender stream being passed on (undefined: the next payload starts a new one, with the marker). */
  source: number | undefined;
  offset: number;
  sinceRelay: number;
}

/** What an end sees of its pair while the relay owns its socket. */
export interface RelayLoan {
  /** Hand the pair back to the event loop now (synchronous: afterwards the relay no longer touches the fds). */
  release(): void;
  /** Packets relayed in from / sent out on this end meanwhile. */
  readonly packetsIn: number;
  readonly packetsOut: number;
}

/** One leg of a natively relayed pair (RtpMediaPort). */
export interface RelayEnd {
  /** Stop the event loop reading the socket; its fd and outbound stream, or undefined when it can't be lent now. */
  lend(loan: RelayLoan): { fd: number; stream: RelayStream } | undefined;
  /** The socket is the event loop's again, with the stream as the relay left it and its counts. */
  takeBack(stream: RelayStream, packetsIn: number, packetsOut: number): void;
  /** A packet the relay did not pass on (an RFC 4733 digit...): handled as if the event loop had read it. */
  deliver(packet: Buffer): void;
}

export interface NativeRelayStatus {
  state: 'not started' | 'starting' | 'running' | 'unavailable' | 'failed';
  pairs: number;
  reason?: string;
  /** The relay thread's nice value (RELAY_NICE when the system allowed it, else 0). */
  nice?: number;
}

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;
let log: Log = () => {};
/** Where the relay says that it started, is unavailable (the JS relay is used) or failed. The daemon sets its logger. */
export function setNativeRelayLog(fn: Log): void {
  log = fn;
}

const RELEASE_WAIT_MS = 2000;

class Pair {
  active = true;
  readonly gen: number;
  constructor(
    readonly relay: NativeRelay,
    readonly slot: number,
    readonly ends: [RelayEnd, RelayEnd],
    private readonly onEnd: () => void,
  ) {
    this.gen = (relay.st[L.slotBase(slot) + L.S_GEN]! + 1) | 0;
  }

  loan(end: number): RelayLoan {
    const st = this.relay.st;
    const b = L.endBase(this.slot, end);
    const active = (): boolean => this.active;
    return {
      release: () => this.stop(),
      get packetsIn() {
        return active() ? st[b + L.E_IN]! : 0;
      },
      get packetsOut() {
        return active() ? st[b + L.E_OUT]! : 0;
      },
    };
  }

  /** Take both sockets back (see NativeRelay.release). Idempotent. */
  stop(): void {
    if (!this.active) return;
    this.relay.release(this);
    this.onEnd();
  }
}

/**
 * The daemon's side of the native relay: starts the relay's thread (relay-worker.ts) on the first
 * pair, lends it the pair's two connected RTP sockets and takes them back. Taking back is synchronous
 * (Atomics.wait on the slot until the thread has removed both fds from its epoll set), so a socket
 * closed right after is never touched by the thread under a reused fd number.
 */
class NativeRelay {
  readonly st: Int32Array;
  private readonly pairs = new Map<number, Pair>();
  private readonly free: number[] = [];
  private used = 0;
  private failed: string | undefined;
  /** Until the thread runs its loop (it takes a while to start), pairs stay with the event loop; then these retry. */
  private ready = false;
  private readonly waiting = new Set<() => void>();
  private readonly one = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

  /** The thread's nice value once it runs. */
  private nice: number | undefined;

  /** The thread's eventfd (from shared memory once it is ready). */
  private wakeFd = -1;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    sab: SharedArrayBuffer,
  ) {
    this.st = new Int32Array(sab);
    port.on('message', (m: RelayedPacket | RelayReady) => ('ready' in m ? this.onReady(m) : this.onPacket(m)));
    port.unref();
    worker.unref();
    worker.on('error', (err) => this.fail(`the relay thread failed: ${err.message}`));
    worker.on('exit', (code) => {
      this.fail(`the relay thread exited (${code})`);
      this.closeLeftovers();
    });
    // A thread blocked in epoll_wait would hold the process at exit: tell it to stop.
    process.once('exit', () => {
      Atomics.store(this.st, L.H_STOP, 1);
      this.wake();
    });
  }

  static create(): NativeRelay {
    const unsupported = relayUnsupported();
    if (unsupported) throw new Error(unsupported);
    const sab = new SharedArrayBuffer(L.SAB_BYTES);
    const { port1, port2 } = new MessageChannel();
    const workerData: RelayWorkerData = { sab, port: port2 };
    // A small heap (the thread allocates next to nothing per packet), and none of the process's node
    // flags: loaders (a test runner's, a profiler) would load far more into the thread than it needs.
    const worker = new Worker(new URL('./relay-worker.js', import.meta.url), { workerData, transferList: [port2], execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
    return new NativeRelay(worker, port1, sab);
  }

  get status(): NativeRelayStatus {
    if (this.failed) return { state: this.ready ? 'failed' : 'unavailable', pairs: 0, reason: this.failed };
    return { state: this.ready ? 'running' : 'starting', pairs: this.pairs.size, ...(this.nice === undefined ? {} : { nice: this.nice }) };
  }

  attach(a: RelayEnd, b: RelayEnd, onEnd: () => void, retry: () => void): Pair | undefined {
    if (this.failed) return undefined;
    if (!this.ready) {
      this.waiting.add(retry);
      return undefined;
    }
    const slot = this.free.pop() ?? (this.used < L.MAX_PAIRS ? this.used++ : undefined);
    if (slot === undefined) return undefined;
    const pair = new Pair(this, slot, [a, b], onEnd);
    const la = a.lend(pair.loan(0));
    const lb = la && b.lend(pair.loan(1));
    if (!la || !lb) {
      if (la) a.takeBack(la.stream, 0, 0);
      this.free.push(slot);
      return undefined;
    }
    const st = this.st;
    [la, lb].forEach(({ fd, stream: s }, e) => {
      const x = L.endBase(slot, e);
      st[x + L.E_FD] = fd;
      st[x + L.E_PT] = s.payload;
      st[x + L.E_SILENCE] = s.silence;
      st[x + L.E_SEQ] = s.seq;
      st[x + L.E_SSRC] = s.ssrc | 0;
      st[x + L.E_TS] = s.timestamp | 0;
      st[x + L.E_SRC_SET] = s.source === undefined ? 0 : 1;
      st[x + L.E_SRC] = (s.source ?? 0) | 0;
      st[x + L.E_OFFSET] = s.offset | 0;
      st[x + L.E_SINCE] = s.sinceRelay;
      st[x + L.E_IN] = 0;
      st[x + L.E_OUT] = 0;
    });
    st[L.slotBase(slot) + L.S_GEN] = pair.gen;
    Atomics.store(st, L.H_SLOTS_USED, this.used);
    Atomics.store(st, L.slotBase(slot) + L.S_STATE, L.ADD);
    this.pairs.set(slot, pair);
    this.wake();
    return pair;
  }

  /** Take a pair's sockets back from the thread, with their streams; the slot is free again. */
  release(pair: Pair): void {
    pair.active = false;
    const st = this.st;
    const s = L.slotBase(pair.slot) + L.S_STATE;
    // Not seen by the thread yet: it never will be. Otherwise ask, and wait until it has let go.
    if (!this.failed && Atomics.compareExchange(st, s, L.ADD, L.RELEASED) !== L.ADD) {
      Atomics.store(st, s, L.RELEASE);
      this.wake();
      const deadline = performance.now() + RELEASE_WAIT_MS;
      while (Atomics.load(st, s) !== L.RELEASED) {
        const left = deadline - performance.now();
        if (left <= 0) {
          this.fail(`the relay thread did not give a pair back within ${RELEASE_WAIT_MS} ms`);
          break;
        }
        Atomics.wait(st, s, L.RELEASE, left);
      }
    }
    // Digits it read before letting go: handled once the legs are the event loop's again.
    const late: RelayedPacket[] = [];
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) late.push(m.message as RelayedPacket);
    pair.ends.forEach((end, e) => {
      const x = L.endBase(pair.slot, e);
      const set = st[x + L.E_SRC_SET] === 1;
      end.takeBack(
        {
          payload: st[x + L.E_PT]!,
          silence: st[x + L.E_SILENCE]!,
          seq: st[x + L.E_SEQ]!,
          ssrc: st[x + L.E_SSRC]! >>> 0,
          timestamp: st[x + L.E_TS]! >>> 0,
          source: set ? st[x + L.E_SRC]! >>> 0 : undefined,
          offset: st[x + L.E_OFFSET]! >>> 0,
          sinceRelay: st[x + L.E_SINCE]!,
        },
        st[x + L.E_IN]!,
        st[x + L.E_OUT]!,
      );
    });
    Atomics.store(st, s, L.FREE);
    this.pairs.delete(pair.slot);
    this.free.push(pair.slot);
    for (const m of late) {
      if (m.slot === pair.slot && m.gen === pair.gen) this.deliver(pair, m);
      else this.onPacket(m);
    }
  }

  private onReady(m: RelayReady): void {
    this.ready = true;
    this.nice = m.nice;
    this.wakeFd = Atomics.load(this.st, L.H_WAKE_FD);
    if (m.niceErrno === undefined) log('info', `native RTP relay thread started for pass-through bridges (nice ${m.nice})`);
    else log('info', `native RTP relay thread started for pass-through bridges, at normal priority: raising it was refused (errno ${m.niceErrno}; the service unit allows it with LimitNICE=)`);
    for (const retry of this.waiting) retry();
    this.waiting.clear();
  }

  private wake(): void {
    if (this.wakeFd < 0) return; // not started yet: it will scan the slots when it does
    try {
      writeSync(this.wakeFd, this.one);
    } catch (err) {
      this.fail(`cannot wake the relay thread: ${(err as Error).message}`);
    }
  }

  private onPacket(m: RelayedPacket): void {
    const pair = this.pairs.get(m.slot);
    if (pair && pair.gen === m.gen) this.deliver(pair, m);
  }

  private deliver(pair: Pair, m: RelayedPacket): void {
    pair.ends[m.end]?.deliver(Buffer.from(m.packet.buffer, m.packet.byteOffset, m.packet.byteLength));
  }

  /** Stop the thread where it is, as a crash would; its 'exit' follows (see terminateNativeRelayThread). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  /** A thread that died in its loop never closed its epoll, eventfd and timerfd: close them here, once. */
  private closeLeftovers(): void {
    const fds = [L.H_EP_FD, L.H_WAKE_FD, L.H_TICK_FD].map((h) => Atomics.load(this.st, h));
    this.wakeFd = -1; // its number may be reused from now on: never write to it again
    if (Atomics.exchange(this.st, L.H_CLOSED, 1) === 1) return;
    for (const fd of fds) {
      if (fd <= 0) continue; // the thread died before it made it
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }

  /** The thread is gone or stuck: every pair goes back to the JS relay, for good. */
  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = reason;
    // Before it ran: koffi or libc could not be loaded in it (warn); after: it broke (error).
    if (this.ready) log('error', `native RTP relay stopped, bridges relay in JS from now on: ${reason}`);
    else log('warn', `native RTP relay unavailable, bridges relay in JS: ${reason}`);
    this.waiting.clear();
    Atomics.store(this.st, L.H_STOP, 1);
    this.wake();
    for (const p of [...this.pairs.values()]) p.stop();
    void this.worker.terminate(); // best effort: it may be gone already
  }
}

let relay: NativeRelay | undefined;
let unavailable: string | undefined;

/**
 * Relay both directions between `a` and `b` on the relay's thread, or undefined when that can't be done
 * (no koffi/libc: logged once; an end that can't lend its socket now; the thread still starting: `retry`
 * is called once it runs). `onEnd` is called when the pair goes back to the event loop, whoever asked.
 */
export function startNativeRelay(a: RelayEnd, b: RelayEnd, onEnd: () => void, retry: () => void): { stop(): void } | undefined {
  if (unavailable) return undefined;
  if (!relay) {
    try {
      relay = NativeRelay.create();
    } catch (err) {
      unavailable = (err as Error).message;
      log('warn', `native RTP relay unavailable, bridges relay in JS: ${unavailable}`);
      return undefined;
    }
  }
  return relay.attach(a, b, onEnd, retry);
}

/**
 * End the relay's thread abruptly, as a crash would (Worker.terminate: its loop stops wherever it is).
 * The daemon never calls this; fault tests do, to show that the pairs a dying thread held are taken back.
 */
export async function terminateNativeRelayThread(): Promise<void> {
  await relay?.terminate();
}

/** For health reports and tests. */
export function nativeRelayStatus(): NativeRelayStatus {
  if (unavailable) return { state: 'unavailable', pairs: 0, reason: unavailable };
  return relay ? relay.status : { state: 'not started', pairs: 0 };
}
