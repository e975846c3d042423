import { Duplex } from 'node:stream';
import { openSerial } from '../serial/open.js';

/**
 * What a modem driver needs from a tty: bytes both ways, close, and whether it is still there.
 * node-serialport's SerialPort is one; an in-process stream pair (tests, other transports) is another.
 */
export interface ModemPort {
  write(data: Buffer | string): unknown;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  off(event: 'data', fn: (chunk: Buffer) => void): unknown;
  readonly isOpen: boolean;
  readonly destroyed: boolean;
  close(cb?: (err?: Error | null) => void): void;
}

/** Opens a tty by path. Injected into the modem lines so they can run over anything that carries bytes. */
export type PortOpener = (path: string, baudRate?: number) => Promise<ModemPort>;

/** The production opener: node-serialport's real binding. */
export const openSerialPort: PortOpener = (path, baudRate) => openSerial(path, baudRate);

/** Close without caring whether it was already closed (port gone, double stop). */
export function closePort(port: ModemPort | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!port || !port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/**
 * One end of an in-process byte pipe that behaves like a serial port: what one end writes the other
 * reads (asynchronously, as from a tty); closing either end closes both, as an unplugged device does.
 */
export class StreamPort extends Duplex implements ModemPort {
  peer: StreamPort | undefined;
  private open = true;

  get isOpen(): boolean {
    return this.open && !this.destroyed;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (!this.open || !peer?.open) return cb();
    const copy = Buffer.from(chunk);
    setImmediate(() => peer.open && peer.push(copy));
    cb();
  }

  close(cb?: (err?: Error | null) => void): void {
    if (!this.open) {
      cb?.(null);
      return;
    }
    this.open = false;
    this.emit('close');
    const peer = this.peer;
    if (peer?.open) peer.close();
    cb?.(null);
  }
}

/** Two connected StreamPorts: [daemon side, device side]. */
export function streamPortPair(): [StreamPort, StreamPort] {
  const a = new StreamPort();
  const b = new StreamPort();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
