import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Pretty output for people; JSON lines (for journald) otherwise. Defaults to "stdout is a TTY". */
  pretty?: boolean;
  /** Where to write; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/** The root logger. JSON lines on stdout for journald, pretty when a person is watching. */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty && !opts.destination) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } }, (opts.destination ?? process.stdout) as pino.DestinationStream);
}

/** A child logger for one call: every line it writes carries the call id. */
export function callLogger(root: Logger, callId: string): Logger {
  return root.child({ callId });
}
