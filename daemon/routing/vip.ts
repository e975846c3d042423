import type { Config } from '../config/schema.js';
import { numberIn, numberSet } from '../config/values.js';

// One normalised set per config object (a reload brings a new object, and a new set).
const sets = new WeakMap<object, Set<string>>();

/**
 * Whether a caller is on priority.vip_numbers. Both sides are normalised first (country_code turns
 * national forms into E.164), so "+8613900000001" configured matches a GSM caller ID of
 * "13900000001" or "8613900000001".
 */
export function isVipNumber(cfg: Config, caller: string | undefined): boolean {
  const list = cfg.priority?.vip_numbers;
  if (!caller || !list?.length) return false;
  let set = sets.get(list);
  if (!set) {
    set = numberSet(list, cfg.country_code);
    sets.set(list, set);
  }
  return numberIn(caller, set, cfg.country_code);
}
