import { statfs } from 'node:fs/promises';
import type { Bus } from '../bus/bus.js';
import type { AlarmSeverity } from '../bus/events.js';
import type { Db } from '../store/db.js';
import { outboxSize } from '../store/outbox.js';

/**
 * Alarms the box raises about itself (outbox backlog, disk low, MQTT credentials refused), emitted
 * on the bus as `alarm` events only when their state changes, so the store records them and the
 * outbox reports them like any other.
 */

export interface ActiveAlarm {
  code: string;
  source: string;
  severity: AlarmSeverity;
  message: string;
  since: string;
}

/** What is active right now, from every alarm event on the bus (line alarms, speech worker, ours). */
export class AlarmBoard {
  readonly active = new Map<string, ActiveAlarm>();

  constructor(private readonly bus: Bus) {}

  async seed(db: Pick<Db, 'all'>): Promise<void> {
    const rows = await db.all<{ code: string; source: string; severity: AlarmSeverity; message: string; raised_at: string }>('SELECT code, source, severity, message, raised_at FROM alarms WHERE active = 1');
    for (const r of rows) this.active.set(`${r.code}|${r.source}`, { code: r.code, source: r.source, severity: r.severity, message: r.message, since: r.raised_at });
  }

  /** Track an alarm event seen on the bus. */
  note(code: string, source: string, active: boolean, severity: AlarmSeverity, message: string, at: string): void {
    const key = `${code}|${source}`;
    if (active) this.active.set(key, { code, source, severity, message, since: this.active.get(key)?.since ?? at });
    else this.active.delete(key);
  }

  isActive(code: string, source = ''): boolean {
    return this.active.has(`${code}|${source}`);
  }

  /** Raise or clear one of our own alarms, emitting only on a change. */
  set(code: string, source: string, active: boolean, severity: AlarmSeverity, message: string): void {
    if (this.isActive(code, source) === active) return;
    this.bus.emit('alarm', { code, source, active, severity, message });
  }

  list(): ActiveAlarm[] {
    return [...this.active.values()];
  }
}

export interface BoxCheckOptions {
  db: Db;
  board: AlarmBoard;
  /** Outbox bound and the fraction at which to alarm. */
  maxEvents: number;
  alarmAt: number;
  /** Storage directory, for free space. */
  dir: string;
  /** Alarm when free space falls below this fraction or this many bytes, whichever is larger. */
  diskMinFraction?: number;
  diskMinBytes?: number;
}

export const DISK_MIN_FRACTION = 0.05;
export const DISK_MIN_BYTES = 512 * 1024 * 1024;

export async function checkOutbox(o: BoxCheckOptions): Promise<number> {
  const n = await outboxSize(o.db);
  const at = Math.floor(o.maxEvents * o.alarmAt);
  if (n >= at) o.board.set('outbox-backlog', 'outbox', true, 'warning', `${n} reports waiting for the broker (alarm at ${at}, bound ${o.maxEvents})`);
  else if (n < at * 0.9) o.board.set('outbox-backlog', 'outbox', false, 'warning', `backlog down to ${n}`);
  return n;
}

export async function checkDisk(o: BoxCheckOptions): Promise<void> {
  let s;
  try {
    s = await statfs(o.dir);
  } catch {
    return;
  }
  const free = s.bavail * s.bsize;
  const total = s.blocks * s.bsize;
  const min = Math.max((o.diskMinFraction ?? DISK_MIN_FRACTION) * total, o.diskMinBytes ?? DISK_MIN_BYTES);
  const mb = (b: number): number => Math.round(b / 1048576);
  if (free < min) o.board.set('disk-low', 'storage', true, 'critical', `${mb(free)} MiB free of ${mb(total)} MiB in ${o.dir}`);
  else if (free > min * 1.1) o.board.set('disk-low', 'storage', false, 'critical', `${mb(free)} MiB free`);
}
