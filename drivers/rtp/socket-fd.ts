import type dgram from 'node:dgram';

/** What the native relay needs of a bound dgram socket's libuv handle. */
export interface UdpHandle {
  readonly fd: number;
  /** libuv stops / resumes reading the socket (0 on success). */
  recvStop(): number;
  recvStart(): number;
}

/**
 * The UDP handle of a bound dgram socket. Node keeps it in the socket's internal state (a property
 * keyed by a symbol described 'state symbol', lib/internal/dgram.js); the public `_handle` getter
 * does the same but is deprecated (DEP0112). Undefined when this Node keeps it elsewhere, the socket
 * isn't bound, or the platform has no fds: the caller then relays in JS.
 */
export function udpHandle(socket: dgram.Socket): UdpHandle | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (!key) return undefined;
  const state = (socket as unknown as Record<symbol, { handle?: unknown } | undefined>)[key];
  const h = state?.handle as Partial<UdpHandle> | null | undefined;
  if (!h || typeof h.fd !== 'number' || h.fd < 0 || typeof h.recvStop !== 'function' || typeof h.recvStart !== 'function') return undefined;
  return h as UdpHandle;
}
