import type { DialOptions, Leg, Line } from '../../drivers/line.js';
import { dialCustomer, type DialGate } from '../routing/dial-policy.js';

/**
 * The one place the box's own outbound dials (originate, campaigns) go through the dialing policy
 * (daemon/routing/dial-policy.ts: prefixes, per-line rate, dial-refused alarm). Kept to this one
 * function so a change of the policy's shape touches nothing else here. Throws DialRefused.
 */
export function dialOut(gate: DialGate, line: Line, target: string, options: DialOptions, purpose: 'originate' | 'campaign'): Promise<Leg> {
  return dialCustomer(gate, line, target, options, purpose);
}
