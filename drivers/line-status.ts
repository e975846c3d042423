import type { LineAlarm, LineAlarmCode, LineHealth, LineKind } from './line.js';

/**
 * A line driver's health and alarms, kept in one place so every driver reports them the same way:
 * a health event only when the state or its reason changes, each alarm raised once and cleared
 * once. Drivers write their own fields (signal, SIM, IMEI...) straight into `hs`.
 */
export class LineStatus {
  readonly hs: LineHealth;
  private readonly alarms = new Map<LineAlarmCode, LineAlarm>();

  constructor(
    private readonly lineId: string,
    kind: LineKind,
    private readonly inCall: () => boolean,
    private readonly emit: { health: (h: LineHealth) => void; alarm: (a: LineAlarm) => void },
  ) {
    this.hs = { lineId, kind, state: 'stopped', inCall: false };
  }

  health(): LineHealth {
    return { ...this.hs, inCall: this.inCall() };
  }

  activeAlarms(): LineAlarm[] {
    return [...this.alarms.values()].filter((a) => a.active);
  }

  setState(state: LineHealth['state'], reason?: string): void {
    const changed = this.hs.state !== state || this.hs.reason !== reason;
    this.hs.state = state;
    if (reason && state !== 'ready') this.hs.reason = reason;
    else delete this.hs.reason;
    if (changed) this.emitHealth();
  }

  emitHealth(): void {
    this.emit.health(this.health());
  }

  raise(code: LineAlarmCode, message: string): void {
    if (this.alarms.get(code)?.active) return;
    const a: LineAlarm = { lineId: this.lineId, code, active: true, message };
    this.alarms.set(code, a);
    this.emit.alarm(a);
  }

  clear(code: LineAlarmCode): void {
    if (!this.alarms.get(code)?.active) return;
    const a: LineAlarm = { lineId: this.lineId, code, active: false, message: `${code} cleared` };
    this.alarms.set(code, a);
    this.emit.alarm(a);
  }
}
