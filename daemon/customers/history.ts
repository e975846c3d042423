import type { Config } from '../config/schema.js';
import { numberVariants } from '../config/values.js';
import type { Db } from '../store/db.js';

/** How many earlier calls a personalised menu learns from. */
export const MENU_HISTORY_CALLS = 20;
/** The greeting waits at most this long for the store; then the menu is offered in its configured order. */
const BUDGET_MS = 300;

/**
 * The menu paths of a caller's latest earlier calls, newest first (personalised menus): read on the
 * store's read connection, the caller in every form the store may hold them in; a slow or failing
 * store gives no history rather than holding the greeting.
 */
export function menuHistory(store: Db, config: () => Pick<Config, 'country_code'>): (caller: string, callId: string) => Promise<string[]> {
  const db = store.reader();
  return async (caller, callId) => {
    const forms = numberVariants(caller, config().country_code);
    const query = db.all<{ p: string }>(
      `SELECT menu_path AS p FROM calls WHERE caller IN (${forms.map(() => '?').join(', ')}) AND id != ? AND menu_path IS NOT NULL AND menu_path != '' ORDER BY offered_at DESC LIMIT ${MENU_HISTORY_CALLS}`,
      [...forms, callId],
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<[]>((resolve) => (timer = setTimeout(() => resolve([]), BUDGET_MS)));
    try {
      const rows = await Promise.race([query.catch(() => []), late]);
      return rows.map((r) => r.p);
    } finally {
      clearTimeout(timer);
    }
  };
}
