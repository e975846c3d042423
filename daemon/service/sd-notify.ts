import { koffi } from '../../drivers/ffi.js';

/**
 * systemd's notify protocol (sd_notify(3)): datagrams like "READY=1" sent to the unix socket named
 * by NOTIFY_SOCKET. Node's dgram module has no AF_UNIX datagram sockets, so we call libc's socket()
 * and sendto() through koffi (already a dependency, via vosk-koffi) instead of a native addon of our
 * own or spawning systemd-notify (whose short-lived PID systemd may not attribute to the service).
 * Abstract-namespace sockets ("@name") are supported. Without NOTIFY_SOCKET every call is a no-op.
 */
export interface Notifier {
  readonly enabled: boolean;
  notify(state: string): boolean;
  close(): void;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;

interface Libc {
  socket: (domain: number, type: number, proto: number) => number;
  sendto: (fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrLen: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | undefined;
function loadLibc(): Libc {
  if (!libc) {
    const lib = koffi().load('libc.so.6');
    libc = {
      socket: lib.func('int socket(int, int, int)') as Libc['socket'],
      sendto: lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)') as Libc['sendto'],
      close: lib.func('int close(int)') as Libc['close'],
    };
  }
  return libc;
}

/** struct sockaddr_un for a path or an abstract name. */
function sockaddr(path: string): { addr: Buffer; len: number } {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path, 'utf8');
  if (name.length > 107) throw new Error(`NOTIFY_SOCKET path too long: ${path}`);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  // Abstract: a leading NUL and no terminator, the length says where the name ends.
  name.copy(addr, abstract ? 3 : 2);
  return { addr, len: 2 + (abstract ? 1 + name.length : name.length + 1) };
}

export function createNotifier(env: NodeJS.ProcessEnv = process.env, onError: (err: Error) => void = () => {}): Notifier {
  const path = env.NOTIFY_SOCKET;
  if (!path) return { enabled: false, notify: () => false, close: () => {} };
  let c: Libc;
  let fd: number;
  let target: { addr: Buffer; len: number };
  try {
    c = loadLibc();
    target = sockaddr(path);
    fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error('socket(AF_UNIX, SOCK_DGRAM) failed');
  } catch (err) {
    onError(err as Error);
    return { enabled: false, notify: () => false, close: () => {} };
  }
  return {
    enabled: true,
    notify(state: string): boolean {
      const msg = Buffer.from(state, 'utf8');
      const n = c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, target.addr, target.len);
      if (n < 0) onError(new Error(`sd_notify sendto ${path} failed`));
      return n === msg.length;
    },
    close(): void {
      if (fd >= 0) c.close(fd);
      fd = -1;
    },
  };
}

/** The watchdog interval systemd expects pings at, if it set one for this process. */
export function watchdogUsec(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const pid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : process.pid;
  return pid === process.pid ? usec : undefined;
}
