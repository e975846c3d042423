import { suggest } from './suggest.js';

/**
 * Values the schema can only check by shape: time zones, weekday specs, times of day, dates and
 * phone numbers. Each parser returns the value or a sentence saying what is wrong (with a
 * did-you-mean where one fits). The same parsers are used at run time (hours.ts, VIP matching), so
 * what check-config accepts is exactly what the box understands.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };
const bad = (message: string): { ok: false; message: string } => ({ ok: false, message });

// ---- time zones ----------------------------------------------------------------------------------

let zones: string[] | undefined;
function knownZones(): string[] {
  zones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC'];
  return zones;
}

/** An IANA zone name the runtime knows ("Asia/Shanghai"; case as the installer likes). */
export function checkTimeZone(tz: string): Checked<string> {
  try {
    return { ok: true, value: new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone };
  } catch {
    const guess = suggest(tz, knownZones());
    return bad(`"${tz}" is not an IANA time zone${guess ? `; did you mean "${guess}"?` : ' (e.g. "Asia/Shanghai", "Europe/Berlin", "UTC")'}`);
  }
}

// ---- weekdays ------------------------------------------------------------------------------------

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

/**
 * A weekday spec: English short day names, any case ("mon", "Mon"); a range "mon-fri", which may
 * wrap round the week ("fri-mon" = fri, sat, sun, mon); or a comma list of those ("mon,wed,fri-sat").
 * Anything else is refused, with the spec as it should have been written when a name is a typo.
 */
export function parseDays(spec: string): Checked<Set<Day>> {
  const days = new Set<Day>();
  const fixed: string[] = [];
  let unknown = false;
  const day = (word: string): Day | undefined => {
    const w = word.trim().toLowerCase();
    // Spaces are refused (the editor schema refuses them too), with the spec written without them.
    if (w === word.toLowerCase() && (DAYS as readonly string[]).includes(w)) {
      fixed.push(w);
      return w as Day;
    }
    unknown = true;
    fixed.push((DAYS as readonly string[]).includes(w) ? w : (suggest(w, DAYS) ?? '?'));
    return undefined;
  };
  const parts = spec.split(',');
  for (let p = 0; p < parts.length; p++) {
    if (p > 0) fixed.push(',');
    const ends = parts[p]!.split('-');
    if (ends.length > 2 || ends.some((e) => e.trim() === '')) return bad(`"${spec}" is not a weekday spec: ${FORMS}`);
    const a = day(ends[0]!);
    if (ends.length === 1) {
      if (a) days.add(a);
      continue;
    }
    fixed.push('-');
    const b = day(ends[1]!);
    if (!a || !b) continue;
    for (let i = DAYS.indexOf(a); ; i = (i + 1) % 7) {
      days.add(DAYS[i]!);
      if (DAYS[i] === b) break;
    }
  }
  if (unknown) {
    const guess = fixed.join('');
    return bad(`"${spec}" is not a weekday spec${guess.includes('?') ? '' : `; did you mean "${guess}"?`} (${FORMS})`);
  }
  return { ok: true, value: days };
}
const FORMS = 'use mon, tue, wed, thu, fri, sat, sun, ranges like "mon-fri" (may wrap: "fri-mon") and comma lists like "mon,wed,fri"';

// ---- times of day and dates ----------------------------------------------------------------------

/** "09:00-18:00" → minutes since midnight [from, to); to may be 24:00. Overnight ranges are refused. */
export function parseTimeRange(r: string): Checked<[number, number]> {
  const m = /^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$/.exec(r);
  if (!m) return bad(`"${r}" is not a time range like "09:00-18:00"`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 > 0)) return bad(`"${r}" has a time of day that does not exist (00:00 to 24:00)`);
  const from = h1 * 60 + m1;
  const to = h2 * 60 + m2;
  if (to <= from) return bad(`"${r}" ends before it starts; write hours past midnight as two ranges ("22:00-24:00" and "00:00-06:00" on the next day)`);
  return { ok: true, value: [from, to] };
}

/** "2026-10-01": a day that exists in the calendar. */
export function checkDate(d: string): Checked<string> {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(d);
  if (!m) return bad(`"${d}" is not a date like "2026-10-01"`);
  const [y, mo, da] = m.slice(1).map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, da));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== da) return bad(`"${d}" is not a day in the calendar`);
  return { ok: true, value: d };
}

// ---- phone numbers -------------------------------------------------------------------------------

/**
 * A configured phone number → E.164. "+8613900000001" is taken as it is; with a country_code
 * ("86"), national forms are accepted too: "13900000001", "021 5555 0000" (a leading trunk 0 is
 * dropped) and "0086..." (international prefix). Spaces, dashes, dots and brackets are ignored.
 */
export function normaliseConfigured(n: string, countryCode?: string): Checked<string> {
  const digits = n.replace(/[\s().-]/g, '');
  if (/^\+[1-9][0-9]{6,14}$/.test(digits)) return { ok: true, value: digits };
  if (digits.startsWith('+')) return bad(`"${n}" is not an E.164 number (+, country code, 7 to 15 digits in all)`);
  if (!/^[0-9]+$/.test(digits)) return bad(`"${n}" is not a phone number`);
  if (!countryCode) return bad(`"${n}" is not in E.164 form; write it as +<country code><number>, or set country_code so national numbers are understood`);
  const e = toE164(digits, countryCode);
  if (!/^\+[1-9][0-9]{6,14}$/.test(e)) return bad(`"${n}" is not a phone number in country code +${countryCode}`);
  return { ok: true, value: e };
}

function toE164(digits: string, cc: string): string {
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  if (digits.startsWith('0')) return `+${cc}${digits.slice(1)}`;
  // "8613900000001": E.164 without its + (what GSM type-145 caller IDs often look like).
  if (digits.startsWith(cc) && digits.length - cc.length >= 10) return `+${digits}`;
  return `+${cc}${digits}`;
}

/**
 * A caller's number as a line reported it → the form configured numbers are normalised to. Lines
 * report "+8613900000001", "8613900000001" (type 145 without the +) or national "13900000001";
 * without a country_code only a leading "+" is meaningful, so the digits are compared as they are.
 */
export function normaliseCaller(n: string, countryCode?: string): string {
  const digits = n.replace(/[\s().-]/g, '');
  if (!/^\+?[0-9]+$/.test(digits)) return digits;
  if (digits.startsWith('+')) return digits;
  if (!countryCode) return digits;
  return toE164(digits, countryCode);
}

/** The set of configured numbers, normalised (invalid entries are dropped: check-config reports them). */
export function numberSet(list: readonly string[] | undefined, countryCode?: string): Set<string> {
  const out = new Set<string>();
  for (const n of list ?? []) {
    const c = normaliseConfigured(n, countryCode);
    if (c.ok) out.add(c.value);
    // Without a country code a national entry still matches a national caller digit for digit.
    else out.add(n.replace(/[\s().-]/g, ''));
  }
  return out;
}

/** Whether the caller's number is one of the configured numbers, after normalising both. */
export function numberIn(caller: string | undefined, set: ReadonlySet<string>, countryCode?: string): boolean {
  if (!caller) return false;
  const c = normaliseCaller(caller, countryCode);
  if (set.has(c)) return true;
  // Without a country code, "+8613900000001" configured still matches a caller shown as "8613900000001".
  return !countryCode && set.has(c.startsWith('+') ? c.slice(1) : `+${c}`);
}

/**
 * The forms one caller's number may have been stored under (the store keeps numbers as lines
 * reported them): as given, E.164, and with a country_code the national forms with and without the
 * trunk 0 and E.164 without its "+". Without a country_code only "+" on or off.
 */
export function numberVariants(caller: string, countryCode?: string): string[] {
  const out = new Set<string>([caller]);
  const e164 = normaliseCaller(caller, countryCode);
  out.add(e164);
  if (e164.startsWith('+')) out.add(e164.slice(1));
  else if (/^[0-9]+$/.test(e164)) out.add(`+${e164}`);
  if (countryCode && e164.startsWith(`+${countryCode}`)) {
    const national = e164.slice(1 + countryCode.length);
    out.add(national);
    out.add(`0${national}`);
  }
  return [...out];
}
