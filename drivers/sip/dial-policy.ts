/**
 * Toll-fraud guard: the call core asks this before a SIP-originated request makes the box dial out on
 * a GSM or analog line. Deny by default: only an authenticated extension that the config names, dialling
 * a number under an allowed prefix, may do it. Pure function, no I/O.
 */

export interface DialOutRequest {
  /** The digest-authenticated SIP user, if the request was authenticated. Peer trust is not enough. */
  authenticatedUser?: string;
  /** The extension the request claims to come from (From user). Must match authenticatedUser. */
  extension?: string;
  /** The number to dial on the GSM/analog line. */
  target: string;
}

export interface DialOutPolicy {
  /** Extensions allowed to dial out at all. Empty: nobody. */
  allowedExtensions: string[];
  /** Number prefixes they may dial (e.g. '0', '+4930'); empty: none. '*' allows any number. */
  allowedPrefixes: string[];
}

export type DialOutDecision = { ok: true } | { ok: false; reason: string };

export function mayDialOut(req: DialOutRequest, policy: DialOutPolicy): DialOutDecision {
  if (!req.authenticatedUser) return { ok: false, reason: 'not authenticated' };
  if (req.extension !== undefined && req.extension !== req.authenticatedUser) return { ok: false, reason: 'extension does not match authenticated user' };
  if (!policy.allowedExtensions.includes(req.authenticatedUser)) return { ok: false, reason: `extension ${req.authenticatedUser} may not dial out` };
  const target = req.target.replace(/[\s\-().]/g, '');
  if (!/^\+?[0-9]{1,20}$/.test(target)) return { ok: false, reason: 'target is not a plain number' };
  const allowed = policy.allowedPrefixes.some((p) => p === '*' || target.startsWith(p));
  if (!allowed) return { ok: false, reason: `number ${target} not under an allowed prefix` };
  return { ok: true };
}
