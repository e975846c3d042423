import { pino, type Logger } from 'pino';
import { AtEngine } from '../at/engine.js';
import { closeSerial, openSerial } from '../serial/open.js';
import { digitsLine } from './health.js';

/** An AT tty and the voice tty of the same modem. */
export interface PortPair {
  at: string;
  voice?: string;
}

/**
 * Ask each candidate AT port for its IMEI (AT+CGSN) and return the one that matches. Ports held by
 * another line are locked (serialport opens with an exclusive lock) and simply skipped, so two lines
 * scanning the same set never steal each other's modem.
 */
export async function findByImei(imei: string, candidates: readonly PortPair[], logger: Logger = pino({ level: 'silent' }), timeoutMs = 2000): Promise<PortPair | undefined> {
  for (const c of candidates) {
    const found = await probeImei(c.at, timeoutMs).catch((err: Error) => {
      logger.debug({ port: c.at, err: err.message }, 'IMEI probe failed');
      return undefined;
    });
    logger.debug({ port: c.at, found }, 'IMEI probe');
    if (found === imei) return c;
  }
  return undefined;
}

export async function probeImei(path: string, timeoutMs = 2000): Promise<string | undefined> {
  const port = await openSerial(path);
  const engine = new AtEngine({ write: (b) => port.write(b) }, { isUrc: () => false, timeouts: { normal: timeoutMs } });
  port.on('data', (d: Buffer) => engine.feed(d));
  try {
    // Echo may still be on: the engine drops echoed command lines.
    await engine.send('AT').catch(() => undefined); // only wakes the modem; the next command's failure counts
    const r = await engine.send('AT+CGSN');
    return digitsLine(r.lines, '+CGSN:');
  } finally {
    engine.close();
    await closeSerial(port);
  }
}
