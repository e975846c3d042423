import type { Bus } from './bus.js';

/**
 * A feature's alarm `code` (from `source`), for a part that raises and clears it on its own (a
 * sender to a remote service): logged as a warning and put on the bus for the store and telemetry.
 */
export function featureAlarm(ctx: { log: { warn(obj: object, msg: string): void }; bus: Pick<Bus, 'emit'> }, code: string, source: string): (active: boolean, message: string) => void {
  return (active, message) => {
    ctx.log.warn({ event: 'alarm', code, active, message }, 'alarm');
    ctx.bus.emit('alarm', { code, source, severity: 'warning', active, message });
  };
}
