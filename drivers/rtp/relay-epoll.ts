import { koffi } from '../ffi.js';

/**
 * The few libc calls the native relay makes (epoll, eventfd, recv, send), through koffi: no C
 * compiler on the box, no native addon of our own. Loaded in the relay's worker only (the daemon's
 * thread wakes it with a plain write to its eventfd). Linux only; struct epoll_event is packed on x86-64.
 */
export interface RelayLibc {
  epollCreate: (flags: number) => number;
  epollCtl: (ep: number, op: number, fd: number, event: Buffer | null) => number;
  epollWait: (ep: number, events: Buffer, max: number, timeoutMs: number) => number;
  eventfd: (initval: number, flags: number) => number;
  read: (fd: number, buf: Buffer, len: number) => number;
  write: (fd: number, buf: Buffer, len: number) => number;
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  close: (fd: number) => number;
  timerfdCreate: (clock: number, flags: number) => number;
  /** timerfd_settime(fd, 0, new, NULL): `spec` is a struct itimerspec (itimerspec()). */
  timerfdSettime: (fd: number, flags: number, spec: Buffer, old: null) => number;
  /** setpriority(PRIO_PROCESS, 0, nice): on Linux the calling thread's nice value, not the process's. */
  setpriority: (which: number, who: number, prio: number) => number;
  errno: () => number;
}

export const EPOLLIN = 0x1;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CLOEXEC = 0o2000000;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const MSG_DONTWAIT = 0x40;
export const EINTR = 4;
export const CLOCK_MONOTONIC = 1;
export const TFD_CLOEXEC = 0o2000000;
export const TFD_NONBLOCK = 0o4000;
export const PRIO_PROCESS = 0;

/** sizeof(struct epoll_event) and the offset of its data member: packed on x86-64, natural elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
export const EPOLL_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

let lib: RelayLibc | undefined;

/** Why these calls can't be made here (not Linux on x64/arm64), without loading anything. */
export function relayUnsupported(): string | undefined {
  return process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64') ? `no native relay on ${process.platform}/${process.arch}` : undefined;
}

/** Bind libc's calls; throws when koffi or libc can't be loaded, or on an unsupported system. */
export function relayLibc(): RelayLibc {
  if (lib) return lib;
  const unsupported = relayUnsupported();
  if (unsupported) throw new Error(unsupported);
  const k = koffi();
  const c = k.load('libc.so.6');
  lib = {
    epollCreate: c.func('int epoll_create1(int)') as RelayLibc['epollCreate'],
    epollCtl: c.func('int epoll_ctl(int, int, int, void *)') as RelayLibc['epollCtl'],
    epollWait: c.func('int epoll_wait(int, void *, int, int)') as RelayLibc['epollWait'],
    eventfd: c.func('int eventfd(unsigned int, int)') as RelayLibc['eventfd'],
    read: c.func('intptr_t read(int, void *, size_t)') as RelayLibc['read'],
    write: c.func('intptr_t write(int, const void *, size_t)') as RelayLibc['write'],
    recv: c.func('intptr_t recv(int, void *, size_t, int)') as RelayLibc['recv'],
    send: c.func('intptr_t send(int, const void *, size_t, int)') as RelayLibc['send'],
    close: c.func('int close(int)') as RelayLibc['close'],
    timerfdCreate: c.func('int timerfd_create(int, int)') as RelayLibc['timerfdCreate'],
    timerfdSettime: c.func('int timerfd_settime(int, int, const void *, void *)') as RelayLibc['timerfdSettime'],
    setpriority: c.func('int setpriority(int, int, int)') as RelayLibc['setpriority'],
    errno: () => k.errno(),
  };
  return lib;
}

/** One struct epoll_event asking for input, tagged with `data` (its low 32 bits). */
export function epollEvent(data: number): Buffer {
  const ev = Buffer.alloc(EPOLL_EVENT_SIZE);
  ev.writeUInt32LE(EPOLLIN, 0);
  ev.writeUInt32LE(data >>> 0, EPOLL_DATA_OFFSET);
  return ev;
}

/** A struct itimerspec (64-bit time_t): first expiry and interval, both `ms` (0: disarm). */
export function itimerspec(ms: number): Buffer {
  const spec = Buffer.alloc(32);
  const sec = BigInt(Math.floor(ms / 1000));
  const nsec = BigInt(Math.round((ms % 1000) * 1e6));
  for (const at of [0, 16]) {
    spec.writeBigInt64LE(sec, at);
    spec.writeBigInt64LE(nsec, at + 8);
  }
  return spec;
}

