import type { SerialPort } from 'serialport';

/**
 * Open a tty with node-serialport's real binding. Resolves once the fd is open and configured.
 * The path may be a /dev/serial/by-id link; the kernel resolves it at open, so a renumbered
 * ttyUSB behind the same link is found again on reopen.
 */
export async function openSerial(path: string, baudRate = 115200): Promise<SerialPort> {
  // Loaded with the first tty: a box with only SIP lines never holds serialport in memory.
  const { SerialPort } = await import('serialport');
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

/** Close without caring whether it was already closed (port gone, double stop). */
export function closeSerial(port: SerialPort | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!port || !port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/** Resolve when everything written so far reached the kernel. */
export function drainSerial(port: SerialPort): Promise<void> {
  return new Promise((resolve) => port.drain(() => resolve()));
}
