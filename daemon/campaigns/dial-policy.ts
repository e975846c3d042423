import { mayDialOut } from '../../drivers/sip/dial-policy.js';
import type { Config } from '../config/schema.js';

/**
 * The one place the box's own outbound dials (originate, campaigns) ask the toll-fraud dial
 * policy. The requester has already been authorised (MQTT command token, local CLI user); the
 * number must be under sip.outbound_dialing.allowed_prefixes, as for dial-outs asked from SIP.
 * Kept to this one function so a change of the policy's shape touches nothing else.
 */
export function dialAllowed(cfg: Config, target: string, requester: string): { ok: true } | { ok: false; reason: string } {
  return mayDialOut({ authenticatedUser: requester, target }, { allowedExtensions: [requester], allowedPrefixes: cfg.sip?.outbound_dialing?.allowed_prefixes ?? [] });
}
