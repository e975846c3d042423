import { isIP } from 'node:net';
import { parseUri } from '../../drivers/sip/uri.js';
import type { Config } from './schema.js';
import { durationMs } from './duration.js';
import type { CrossIssue } from './cross-check.js';
import { checkDate, checkTimeZone, normaliseConfigured, parseDays, parseTimeRange } from './values.js';

type Path = (string | number)[];
type HoursLike = { open?: Record<string, unknown>; holidays?: unknown[] };

/**
 * Values whose form the schema checks but whose meaning it cannot: the time zone exists, weekday
 * specs name real days, time ranges are real times in order, holidays are calendar days, phone
 * numbers are E.164 (or national with country_code), ports are usable. Uses the same parsers the
 * box uses at run time.
 */
export function valueCheck(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const add = (path: Path, r: { ok: boolean; message?: string }, onKey = false): void => {
    if (!r.ok) issues.push({ path, message: r.message!, ...(onKey ? { onKey } : {}) });
  };

  if (c.timezone !== undefined) add(['timezone'], checkTimeZone(c.timezone));

  const hours = (h: HoursLike | undefined, at: Path): void => {
    for (const [days, ranges] of Object.entries(h?.open ?? {})) {
      add([...at, 'open', days], parseDays(days), true);
      if (typeof ranges === 'string') add([...at, 'open', days], parseTimeRange(ranges));
      else if (Array.isArray(ranges)) ranges.forEach((r, i) => typeof r === 'string' && add([...at, 'open', days, i], parseTimeRange(r)));
    }
    (h?.holidays ?? []).forEach((d, i) => typeof d === 'string' && add([...at, 'holidays', i], checkDate(d)));
  };
  hours(c.hours, ['hours']);
  (c.queues ?? []).forEach((q, i) => hours(q.hours, ['queues', i, 'hours']));

  (c.priority?.vip_numbers ?? []).forEach((n, i) => add(['priority', 'vip_numbers', i], normaliseConfigured(n, c.country_code)));

  (c.agents ?? []).forEach((a, i) => {
    // "webrtc": the agent's phone is their console workbench (no SIP address).
    if (!a.contact || a.contact === 'webrtc') return;
    try {
      const u = parseUri(a.contact);
      if (!u.host) throw new Error('no host');
    } catch (err) {
      issues.push({ path: ['agents', i, 'contact'], message: `"${a.contact}" is not a SIP URI the box can call (${(err as Error).message}); e.g. "sip:801@192.168.10.21:5060"` });
    }
  });
  (c.sip?.allow_from ?? []).forEach((cidr, i) => {
    const [addr, bits] = cidr.split('/') as [string, string | undefined];
    const v = isIP(addr);
    if (v === 0) issues.push({ path: ['sip', 'allow_from', i], message: `"${addr}" is not an IP address` });
    else if (bits !== undefined && Number(bits) > (v === 4 ? 32 : 128)) issues.push({ path: ['sip', 'allow_from', i], message: `"/${bits}" is longer than an IPv${v} address` });
  });

  // A voice modem's ringback timers: AT+VRA counts 0.1 s up to 25.5 s, AT+VRN seconds up to 25.
  c.lines.forEach((l, i) => {
    if (l.kind !== 'analog') return;
    const atMost = (key: 'ringback_gone' | 'ringback_never', ms: number, cmd: string): void => {
      const v = l[key];
      if (v !== undefined && durationMs(v) > ms) issues.push({ path: ['lines', i, key], message: `"${v}" is longer than a voice modem's ${cmd} timer goes (at most ${ms / 1000}s)` });
    };
    atMost('ringback_gone', 25_500, 'AT+VRA');
    atMost('ringback_never', 25_000, 'AT+VRN');
  });

  // Modem lines' echo canceller tail (speexdsp's filter: too short misses the echo, too long adapts
  // slowly and costs CPU) and the silent-caller backstop ("0s" would end every call at once).
  c.lines.forEach((l, i) => {
    if (l.kind === 'sip') return;
    if (l.echo_cancel !== undefined && l.echo_cancel !== 'off') {
      const ms = durationMs(l.echo_cancel);
      if (ms < 20 || ms > 500) issues.push({ path: ['lines', i, 'echo_cancel'], message: `"${l.echo_cancel}" is not an echo tail the canceller takes (20ms-500ms; 64ms-256ms for phone lines), or "off"` });
    }
    if (l.silent_caller_hangup !== undefined && l.silent_caller_hangup !== 'off' && durationMs(l.silent_caller_hangup) < 1000) {
      issues.push({ path: ['lines', i, 'silent_caller_hangup'], message: `"${l.silent_caller_hangup}" is too short to tell a silent caller from a pause (at least 1s), or "off"` });
    }
  });

  const listen = c.sip?.listen ? Number(c.sip.listen.slice(c.sip.listen.lastIndexOf(':') + 1)) : undefined;
  if (listen !== undefined && (listen < 1 || listen > 65535)) issues.push({ path: ['sip', 'listen'], message: `port ${listen} is outside 1-65535` });
  const ranges = c.sip?.rtp_ports?.split('-').map(Number);
  if (ranges) {
    const [lo, hi] = ranges as [number, number];
    if (lo < 1024 || lo >= hi || hi > 65535 || hi - lo < 2) issues.push({ path: ['sip', 'rtp_ports'], message: `"${c.sip?.rtp_ports}" is not a usable port range (low-high, within 1024-65535, at least 2 ports)` });
    else if (listen !== undefined && listen >= lo && listen <= hi) issues.push({ path: ['sip', 'rtp_ports'], message: `"${c.sip?.rtp_ports}" includes the SIP port ${listen} (sip.listen)` });
  }
  return issues;
}
