/**
 * The shared memory between the daemon and the native relay's worker (native-relay.ts, relay-worker.ts):
 * one Int32Array over a SharedArrayBuffer. A header, then one slot per relayed pair of RTP sockets, each
 * with the pair's state and, per end, the socket and its outbound stream (what RtpSession and
 * RtpMediaPort keep while the event loop relays). 32-bit values are stored as int32 and read with >>> 0.
 */

/**
 * Header: the worker stops when STOP is set; SLOTS_USED bounds the worker's scan of the slots; WAKE_FD is
 * its eventfd, EP_FD and TICK_FD its epoll and timerfd; CLOSED is set once the worker closed those three
 * itself (a thread that dies never does: the daemon's thread closes them after its exit).
 */
export const H_STOP = 0;
export const H_SLOTS_USED = 1;
export const H_WAKE_FD = 2;
export const H_EP_FD = 3;
export const H_TICK_FD = 4;
export const H_CLOSED = 5;
const HEADER = 8;

export const MAX_PAIRS = 2048;

/** Slot states. Main thread: FREE → ADD, ACTIVE → RELEASE, ADD → RELEASED (never seen), RELEASED → FREE. Worker: ADD → ACTIVE, RELEASE → RELEASED. */
export const FREE = 0;
export const ADD = 1;
export const ACTIVE = 2;
export const RELEASE = 3;
export const RELEASED = 4;

/** Per slot: state, a generation (tags the packets the worker posts), then two ends. */
export const S_STATE = 0;
export const S_GEN = 1;
const S_ENDS = 2;

/** Per end. */
export const E_FD = 0;
/** The negotiated audio payload type of this leg (what it receives and what we send on it). */
export const E_PT = 1;
/** The G.711 silence byte of this leg's codec (0xff µ-law, 0xd5 A-law). */
export const E_SILENCE = 2;
/** Our outbound stream on this leg: next sequence number, SSRC, next timestamp. */
export const E_SEQ = 3;
export const E_SSRC = 4;
export const E_TS = 5;
/** The sender stream being passed on (SRC valid when SRC_SET), and ours = theirs + OFFSET. */
export const E_SRC_SET = 6;
export const E_SRC = 7;
export const E_OFFSET = 8;
/** 20 ms ticks since the last passed-on payload: after FED_SILENCE_AFTER_TICKS, silence. */
export const E_SINCE = 9;
/** Packets relayed in from this leg, and sent out on it (relayed or silence), while the worker owned it. */
export const E_IN = 10;
export const E_OUT = 11;
const END_FIELDS = 12;

const SLOT_FIELDS = 32; // S_ENDS + 2 * END_FIELDS, rounded up

export const FED_SILENCE_AFTER_TICKS = 5; // 100 ms without a passed-on payload

export const SAB_BYTES = (HEADER + MAX_PAIRS * SLOT_FIELDS) * 4;

export function slotBase(slot: number): number {
  return HEADER + slot * SLOT_FIELDS;
}

export function endBase(slot: number, end: number): number {
  return HEADER + slot * SLOT_FIELDS + S_ENDS + end * END_FIELDS;
}
