import type { Config } from '../config/schema.js';
import { parseDays, parseTimeRange, type Day } from '../config/values.js';
import { reportConfigFault, type ConfigFaultSink } from '../config/faults.js';

type Hours = Pick<NonNullable<Config['hours']>, 'open' | 'holidays'>;

/** The local weekday, date and minutes since midnight of `at` in an IANA time zone. */
export function localTime(at: Date, timeZone?: string): { day: Day; date: string; minutes: number } {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch (err) {
    throw new ConfigValueError('timezone', (err as Error).message);
  }
  const parts = fmt.formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Day;
  return { day, date: `${get('year')}-${get('month')}-${get('day')}`, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

/**
 * Whether the branch (or a queue) is open at `at`. No hours configured means always open. `key` is
 * where these hours are in the config, for the error should a bad value reach here.
 */
export function isOpen(hours: Hours | undefined, timeZone: string | undefined, at: Date = new Date(), key = 'hours'): boolean {
  if (!hours) return true;
  const now = localTime(at, timeZone);
  if (hours.holidays?.includes(now.date)) return false;
  for (const [days, ranges] of Object.entries(hours.open)) {
    // The loader refused specs these parsers reject; should one slip through, throw rather than guess.
    if (!orThrow(parseDays(days), `${key}.open["${days}"]`).has(now.day)) continue;
    for (const r of Array.isArray(ranges) ? ranges : [ranges]) {
      const [from, to] = orThrow(parseTimeRange(r), `${key}.open["${days}"]`);
      if (now.minutes >= from && now.minutes < to) return true;
    }
  }
  return false;
}

/** A config value the loader should have refused; the error names the key to fix. */
export class ConfigValueError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigValueError';
  }
}

function orThrow<T>(c: { ok: true; value: T } | { ok: false; message: string }, key: string): T {
  if (!c.ok) throw new ConfigValueError(key, c.message);
  return c.value;
}

/**
 * isOpen on the call path. A config error that slipped past the loader (it should not) must not
 * cost a caller: the branch counts as open, so the caller reaches the bot and a person (voicemail
 * when nobody can take it) instead of an internal error; a critical `config-error` alarm names the
 * setting and the log says which key to fix.
 */
export function isOpenSafe(cfg: object, hours: Hours | undefined, timeZone: string | undefined, at: Date, sink: ConfigFaultSink, key = 'hours'): boolean {
  try {
    return isOpen(hours, timeZone, at, key);
  } catch (err) {
    if (!(err instanceof ConfigValueError)) throw err;
    reportConfigFault(cfg, err.key, err.message.slice(err.key.length + 2), 'calls are treated as within business hours until it is fixed', sink);
    return true;
  }
}
