import type { Config } from '../config/schema.js';
import { localTime } from '../bot/hours.js';

/**
 * Config values an answer can quote, so it stays true when the installer changes the config:
 * {hours} (the opening hours) and {holidays} (the coming closed days). Filled in per call, in the
 * call's language.
 */
export const PLACEHOLDERS = ['hours', 'holidays'] as const;
const PLACEHOLDER_RE = /\{([a-z_]+)\}/g;

/** Placeholders in a text that are not known (for check-config). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
}

const DAY = {
  en: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
  zh: { mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六', sun: '周日' },
} as const;
type Lang = keyof typeof DAY;

/** "09:00" → "9:00" (read better by TTS). */
const hhmm = (t: string): string => t.replace(/^0(\d)/, '$1');

export function hoursText(hours: Config['hours'], lang: Lang): string {
  if (!hours) return lang === 'zh' ? '全天' : 'every day, all day';
  const parts: string[] = [];
  for (const [days, ranges] of Object.entries(hours.open)) {
    const [a, b] = days.split('-') as [keyof (typeof DAY)['en'], (keyof (typeof DAY)['en'])?];
    const d = b ? (lang === 'zh' ? `${DAY.zh[a]}至${DAY.zh[b]}` : `${DAY.en[a]} to ${DAY.en[b]}`) : DAY[lang][a];
    const times = (Array.isArray(ranges) ? ranges : [ranges]).map((r) => {
      const [from, to] = r.split('-') as [string, string];
      return lang === 'zh' ? `${hhmm(from)}至${hhmm(to)}` : `${hhmm(from)} to ${hhmm(to)}`;
    });
    parts.push(lang === 'zh' ? `${d}${times.join('和')}` : `${d} ${times.join(' and ')}`);
  }
  return parts.join(lang === 'zh' ? ',' : '; ');
}

/** The next (up to three) holidays from today on, in the box's time zone. */
export function holidaysText(hours: Config['hours'], timeZone: string | undefined, lang: Lang, now: Date): string {
  const today = localTime(now, timeZone).date;
  const next = (hours?.holidays ?? []).filter((d) => d >= today).sort().slice(0, 3);
  if (next.length === 0) return lang === 'zh' ? '近期没有休息日' : 'no holidays coming up';
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const fmt = (d: string): string => {
    const [, m, day] = d.split('-').map(Number) as [number, number, number];
    return lang === 'zh' ? `${m}月${day}日` : `${months[m - 1]} ${day}`;
  };
  return lang === 'zh' ? next.map(fmt).join('、') : next.map(fmt).join(', ');
}

export function fillPlaceholders(text: string, cfg: Pick<Config, 'hours' | 'timezone'>, lang: Lang, now = new Date()): string {
  return text.replace(PLACEHOLDER_RE, (m, name: string) => {
    if (name === 'hours') return hoursText(cfg.hours, lang);
    if (name === 'holidays') return holidaysText(cfg.hours, cfg.timezone, lang, now);
    return m;
  });
}
