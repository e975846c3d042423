import { AtCommandError } from '../at/results.js';

/** Why a modem line failed or refused: one code per way, so callers switch on it instead of parsing text. */
export type LineErrorCode =
  | 'port-lost'
  | 'timeout'
  | 'open-failed'
  | 'init-failed'
  | 'imei-not-found'
  | 'not-ready'
  | 'busy'
  | 'bad-number'
  | 'no-media';

export class LineError extends Error {
  constructor(
    readonly code: LineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LineError';
  }
}

/** How a dial that the modem refused ends the leg (BUSY, NO ANSWER, NO DIALTONE, anything else). */
export function dialFailureCause(err: unknown): string {
  if (!(err instanceof AtCommandError)) return 'failed';
  switch (err.final.kind) {
    case 'busy':
      return 'busy';
    case 'no-answer':
      return 'no-answer';
    case 'no-dialtone':
      return 'no-dialtone';
    default:
      return 'failed';
  }
}
