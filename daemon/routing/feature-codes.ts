import type { Config } from '../config/schema.js';
import type { AgentPool } from './agents.js';

export type AgentAction = 'login' | 'logout' | 'pause' | 'unpause';

export const DEFAULT_FEATURE_CODES: Record<AgentAction, string> = { login: '*51', logout: '*52', pause: '*53', unpause: '*54' };

/** The feature codes in force (config over defaults). */
export function featureCodes(cfg: Config): Record<AgentAction, string> {
  return { ...DEFAULT_FEATURE_CODES, ...(cfg.routing?.feature_codes ?? {}) };
}

/**
 * What a dialled string asks for: an exact code, or the pause code followed by a reason code
 * ("*532" → pause, reason "2"). The longest matching code wins so "*5" and "*53" can coexist.
 */
export function matchFeatureCode(dialled: string | undefined, codes: Record<AgentAction, string>): { action: AgentAction; reason?: string } | undefined {
  if (!dialled) return undefined;
  const d = decodeURIComponent(dialled);
  const byLength = (Object.entries(codes) as [AgentAction, string][]).sort((a, b) => b[1].length - a[1].length);
  for (const [action, code] of byLength) {
    if (d === code) return { action };
    if (action === 'pause' && d.startsWith(code) && /^[0-9]{1,4}$/.test(d.slice(code.length))) return { action, reason: d.slice(code.length) };
  }
  return undefined;
}

/** Apply an agent action (feature code, MQTT). Throws for an unknown extension. */
export function applyAgentAction(agents: AgentPool, ext: string, action: AgentAction, reason?: string): { extension: string; state: string; reason?: string } {
  const a =
    action === 'login' ? agents.login(ext)
    : action === 'logout' ? agents.logout(ext)
    : action === 'pause' ? agents.pause(ext, reason ?? 'paused')
    : agents.unpause(ext);
  return { extension: a.extension, state: a.presence === 'in' ? 'available' : a.presence, ...(a.pauseReason ? { reason: a.pauseReason } : {}) };
}
