/**
 * Phone numbers in reports that leave the box (MQTT) are masked when
 * storage.mask_numbers_in_reports is on: 13812345678 → 138****5678. The store keeps them whole.
 */

/** Fields whose string values carry phone numbers or URIs with numbers in them. */
const NUMBER_KEYS = new Set(['caller', 'callerNumber', 'from', 'to', 'peer', 'number', 'remote', 'target', 'uri', 'contact', 'msisdn']);
/** Fields too personal to report at all when masking (the SMS body). */
const DROP_KEYS = new Set(['text']);

/** Mask every run of 7+ digits in s: first 3 and last 4 kept for 8+ digits, last 2 for 7. */
export function maskNumber(s: string): string {
  return s.replace(/\d{7,}/g, (d) => (d.length >= 8 ? `${d.slice(0, 3)}${'*'.repeat(d.length - 7)}${d.slice(-4)}` : `${'*'.repeat(d.length - 2)}${d.slice(-2)}`));
}

/** A copy of a JSON value with numbers masked under NUMBER_KEYS and DROP_KEYS replaced by their length. */
export function maskReport(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskReport);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (DROP_KEYS.has(k) && typeof v === 'string') out[`${k}Length`] = v.length;
    else if (NUMBER_KEYS.has(k) && typeof v === 'string') out[k] = maskNumber(v);
    else out[k] = maskReport(v);
  }
  return out;
}
