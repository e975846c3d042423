import type { Logger } from 'pino';
import type { AtEngine } from '../at/engine.js';
import { parseClcc } from './health.js';

/** +CLCC stat values of a call someone is on (active, held, dialling, alerting); 4/5 are a new caller ringing. */
const IN_CALL = new Set([0, 1, 2, 3]);

/**
 * A modem we (re)open may still be in a call nobody is handling: the daemon died mid-call (kill -9,
 * a crash) and the caller sits on a dead line. Asked at init (AT+CLCC) and hung up with the
 * dialect's command. A caller ringing right now (stat 4/5) is left alone: that is a new call.
 * Returns how many calls were ended. Never throws: a modem that does not know +CLCC just skips it.
 */
export async function hangUpStaleCall(engine: AtEngine, hangup: string, log: Logger): Promise<number> {
  let lines: string[];
  try {
    lines = (await engine.send('AT+CLCC', { expect: ['+CLCC:'] })).lines;
  } catch {
    return 0;
  }
  const stale = lines.map(parseClcc).filter((c) => c !== undefined && IN_CALL.has(c.stat));
  if (stale.length === 0) return 0;
  try {
    await engine.send(hangup);
    log.warn({ calls: stale.map((c) => ({ idx: c!.idx, stat: c!.stat })) }, 'modem was still in a call nobody handles (restart after a crash); hung up');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'modem still in a call; hang-up refused');
    return 0;
  }
  return stale.length;
}
