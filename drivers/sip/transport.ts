import type { EventEmitter } from 'node:events';
import type { SipMessage } from './message.js';

export type TransportKind = 'udp' | 'tcp';

/** Where a message came from / goes to. */
export interface Remote {
  transport: TransportKind;
  address: string;
  port: number;
}

export interface TransportEvents {
  message: [msg: SipMessage, remote: Remote];
  /** Unparsable input. `error.request` is set when a 400 can be sent. */
  malformed: [error: Error, remote: Remote];
  error: [error: Error];
}

/** Called before parsing each datagram / chunk: false drops it unread (rate limit, ban). */
export type Admit = (remote: Remote, bytes: number) => boolean;

export interface Transport extends EventEmitter<TransportEvents> {
  readonly kind: TransportKind;
  /** The bound address and port. */
  readonly local: { address: string; port: number };
  listen(): Promise<void>;
  send(data: Buffer, remote: Remote): void;
  close(): Promise<void>;
}

export function remoteKey(r: Remote): string {
  return `${r.transport}:${r.address}:${r.port}`;
}
