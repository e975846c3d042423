import { AtCommandError } from '../at/results.js';
import type { EndCause } from '../line.js';

export { LineError, type LineErrorCode } from '../line.js';

/** How a dial that the modem refused ends the leg (BUSY, NO ANSWER, NO DIALTONE, anything else). */
export function dialFailureCause(err: unknown): EndCause {
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
