const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** "20s" → 20000. The schema has already checked the form; this throws on anything else. */
export function durationMs(d: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w|y)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** durationMs for optional fields, with the default written the way the installer would write it. */
export function durationOr(d: string | undefined, def: string): number {
  return durationMs(d ?? def);
}
