import type { Config } from '../config/schema.js';

type Hours = NonNullable<Config['hours']>;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The local weekday, date and minutes since midnight of `at` in an IANA time zone. */
export function localTime(at: Date, timeZone?: string): { day: (typeof DAYS)[number]; date: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number];
  return { day, date: `${get('year')}-${get('month')}-${get('day')}`, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** "mon-fri" → the days it covers, wrapping round the week ("fri-mon"). */
function daysOf(spec: string): Set<string> {
  const [a, b] = spec.split('-') as [string, string | undefined];
  if (!b) return new Set([a]);
  const out = new Set<string>();
  let i = DAYS.indexOf(a as (typeof DAYS)[number]);
  const end = DAYS.indexOf(b as (typeof DAYS)[number]);
  for (let n = 0; n < 7; n++, i = (i + 1) % 7) {
    out.add(DAYS[i]!);
    if (i === end) break;
  }
  return out;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Whether the branch is open at `at`. No hours configured means always open. */
export function isOpen(hours: Hours | undefined, timeZone: string | undefined, at: Date = new Date()): boolean {
  if (!hours) return true;
  const now = localTime(at, timeZone);
  if (hours.holidays?.includes(now.date)) return false;
  for (const [days, ranges] of Object.entries(hours.open)) {
    if (!daysOf(days).has(now.day)) continue;
    for (const r of Array.isArray(ranges) ? ranges : [ranges]) {
      const [from, to] = r.split('-') as [string, string];
      if (now.minutes >= minutesOf(from) && now.minutes < minutesOf(to)) return true;
    }
  }
  return false;
}
