import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { setNativeRelayLog } from '../../drivers/rtp/native-relay.js';

/** The alarm raised when the native RTP relay's thread stops after it ran (bridges relay in JS, at about twice the CPU). */
export const RELAY_ALARM = 'media-relay-failed';

/**
 * Where the native relay's lines go: the daemon's log, and a thread that broke after it ran (an error:
 * bridges go on in JS until the next start, costing more CPU per call) is also an alarm central IT sees.
 * A box without koffi or libc (a warning at the first bridge) is a build fact, not a fault: logged only.
 */
export function reportNativeRelay(log: Pick<Logger, 'info' | 'warn' | 'error'>, bus: Bus): void {
  setNativeRelayLog((level, msg) => {
    log[level](msg);
    if (level === 'error') bus.emit('alarm', { code: RELAY_ALARM, source: 'rtp', active: true, severity: 'warning', message: msg });
  });
}
