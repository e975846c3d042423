import type { DialOptions, Leg, Line } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Logger } from '../log.js';

/**
 * The one toll-fraud gate for calls the box places to customers: callbacks, originate, campaigns.
 * A number is dialled only if it is a plain number, passes the prefix rules (the longest matching
 * prefix, allowed or blocked, decides) and its line has not dialled too often lately. Refusals are
 * logged and raise a `dial-refused` alarm for the line (cleared by its next permitted dial).
 */

export interface DialRules {
  /** Empty: any number not blocked. */
  allowedPrefixes: string[];
  blockedPrefixes: string[];
  maxPerLine: number;
  windowMs: number;
}

export type DialDecision = { ok: true; number: string } | { ok: false; kind: 'number' | 'rate'; reason: string };

export function dialRules(cfg: Config): DialRules {
  const d = cfg.dialing;
  return {
    allowedPrefixes: d?.allowed_prefixes ?? [],
    blockedPrefixes: d?.blocked_prefixes ?? ['00'],
    maxPerLine: d?.max_per_line ?? 30,
    windowMs: durationOr(d?.per_line_window, '1h'),
  };
}

/** The prefix rules alone (pure): may `target` be dialled at all? */
export function checkNumber(target: string, rules: Pick<DialRules, 'allowedPrefixes' | 'blockedPrefixes'>): DialDecision {
  const number = target.replace(/[\s\-().]/g, '');
  if (!/^\+?[0-9]{1,20}$/.test(number)) return { ok: false, kind: 'number', reason: `"${target.slice(0, 40)}" is not a plain phone number` };
  const longest = (prefixes: string[]): number => Math.max(-1, ...prefixes.filter((p) => number.startsWith(p)).map((p) => p.length));
  const allowed = longest(rules.allowedPrefixes);
  const blocked = longest(rules.blockedPrefixes);
  if (blocked >= 0 && blocked >= allowed) return { ok: false, kind: 'number', reason: `${number} is in a blocked range (${rules.blockedPrefixes.find((p) => p.length === blocked && number.startsWith(p))}...)` };
  if (rules.allowedPrefixes.length > 0 && allowed < 0) return { ok: false, kind: 'number', reason: `${number} is not under an allowed prefix` };
  return { ok: true, number };
}

/** Thrown by DialGate.dial when the policy refuses; nothing was dialled. */
export class DialRefused extends Error {
  constructor(
    readonly kind: 'number' | 'rate',
    reason: string,
  ) {
    super(`dial refused: ${reason}`);
  }
}

export interface DialGateDeps {
  bus: Bus;
  log: Logger;
  config: () => Config;
  now?: () => number;
}

export class DialGate {
  /** Per line: when its recent dials were placed (ms), oldest first. */
  private readonly recent = new Map<string, number[]>();
  private readonly alarmed = new Set<string>();

  constructor(private readonly deps: DialGateDeps) {}

  /** Decide without dialling (rate counted only by dial()). */
  check(lineId: string, target: string): DialDecision {
    const rules = dialRules(this.deps.config());
    const n = checkNumber(target, rules);
    if (!n.ok) return n;
    const now = (this.deps.now ?? Date.now)();
    const times = (this.recent.get(lineId) ?? []).filter((at) => now - at < rules.windowMs);
    this.recent.set(lineId, times);
    if (times.length >= rules.maxPerLine) return { ok: false, kind: 'rate', reason: `line ${lineId} already dialled ${times.length} times within ${Math.round(rules.windowMs / 60_000)} min (dialing.max_per_line)` };
    return n;
  }

  /** Whether the number alone may be dialled (silent: no log, no alarm), e.g. before a callback is offered. */
  allows(target: string): boolean {
    return checkNumber(target, dialRules(this.deps.config())).ok;
  }

  /**
   * Early check of the number alone, before anyone is disturbed (a callback's agent is rung before the
   * customer is dialled): false, logged and alarmed, when the number would be refused anyway.
   */
  screen(lineId: string, target: string, purpose: string): boolean {
    const d = checkNumber(target, dialRules(this.deps.config()));
    if (!d.ok) this.refused(lineId, target, purpose, d.reason);
    return d.ok;
  }

  private refused(lineId: string, target: string, purpose: string, reason: string): void {
    this.deps.log.warn({ event: 'dial.refused', lineId, number: target, purpose, reason }, 'dial refused by the dialing policy');
    this.alarmed.add(lineId);
    this.deps.bus.emit('alarm', { code: 'dial-refused', source: lineId, active: true, severity: 'warning', message: `${purpose} to ${target} refused: ${reason}` });
  }

  /**
   * The whole decision for one dial attempt: refused ones are logged and alarmed; a permitted one counts
   * against its line's rate and clears the line's alarm.
   */
  permit(lineId: string, target: string, purpose: string): DialDecision {
    const d = this.check(lineId, target);
    if (!d.ok) {
      this.refused(lineId, target, purpose, d.reason);
      return d;
    }
    this.recent.get(lineId)!.push((this.deps.now ?? Date.now)());
    if (this.alarmed.delete(lineId)) {
      this.deps.bus.emit('alarm', { code: 'dial-refused', source: lineId, active: false, severity: 'warning', message: `${purpose} to ${d.number} permitted again` });
    }
    return d;
  }

  /** Dial `target` on `line` for `purpose` (callback, originate, campaign) if the policy allows. */
  async dial(line: Line, target: string, options: DialOptions, purpose: string): Promise<Leg> {
    const d = this.permit(line.id, target, purpose);
    if (!d.ok) throw new DialRefused(d.kind, d.reason);
    return line.dial(d.number, options);
  }
}

/**
 * Every path that dials a customer calls this (never line.dial directly): the policy check, the
 * log and alarm on refusal, then the dial. Throws DialRefused when refused.
 */
export function dialCustomer(gate: DialGate, line: Line, target: string, options: DialOptions, purpose: 'callback' | 'originate' | 'campaign' | string): Promise<Leg> {
  return gate.dial(line, target, options, purpose);
}
