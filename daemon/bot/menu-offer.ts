import type { MenuActionConfig } from '../config/schema.js';

/**
 * Spoken menus (issue 15): the options a menu offers, assembled from their labels in keypad order,
 * and, for a menu with personalise, a known caller's most-chosen option first. Pure functions; the
 * caller's history comes from the store through the call runner.
 */

/** A text the bot says: one string, or zh and en versions. */
export type Text = string | { zh?: string; en?: string };

/** The version for the call's language; the other one when it is missing. */
export function localText(t: Text | undefined, zh: boolean): string {
  if (t === undefined) return '';
  if (typeof t === 'string') return t;
  return (zh ? (t.zh ?? t.en) : (t.en ?? t.zh)) ?? '';
}

type Keys = Record<string, MenuActionConfig>;

/** Keypad order: 1..9, then 0, * and # (what callers expect to hear, whatever the YAML's order). */
const KEYPAD = '1234567890*#';

function keyName(key: string, zh: boolean): string {
  if (key === '*') return zh ? '星号键' : 'star';
  if (key === '#') return zh ? '井号键' : 'hash';
  return key;
}

/** "营业时间请按2。" / "For opening hours, press 2." */
export function offerText(label: string, key: string, zh: boolean): string {
  return zh ? `${label}请按${keyName(key, zh)}。` : `For ${label}, press ${keyName(key, zh)}.`;
}

export interface Offer {
  key: string;
  text: string;
  prompt?: string;
}

/** The labelled options of a menu in keypad order, the favourite (if labelled) moved first. */
export function offers(keys: Keys, zh: boolean, favourite?: string): Offer[] {
  const out: Offer[] = [];
  for (const key of [...KEYPAD]) {
    const a = keys[key];
    if (typeof a !== 'object' || (a.label === undefined && a.label_prompt === undefined)) continue;
    out.push({ key, text: a.label === undefined ? '' : offerText(localText(a.label, zh), key, zh), ...(a.label_prompt ? { prompt: a.label_prompt } : {}) });
  }
  const i = favourite === undefined ? -1 : out.findIndex((o) => o.key === favourite);
  if (i > 0) out.unshift(...out.splice(i, 1));
  return out;
}

/** The menu a key leads into (its sub-menu), if any. */
function subMenu(a: MenuActionConfig | undefined): Keys | undefined {
  return typeof a === 'object' && a.menu ? (a.menu.keys) : undefined;
}

/** A menu's id: the keys that open it from bot.menu through sub-menus ('' for bot.menu, '3', '3>1'). */
export type MenuId = string;

/**
 * Each menu's most-chosen key over a caller's earlier calls. `paths` are those calls' menu paths
 * (the keys that chose menu entries, ">"-joined, newest first). Each call is replayed over today's
 * menus and counts once per menu: the first key the caller chose in it (later keys in the same menu
 * are follow-ups after an answer). Ties go to the most recent choice. Keys that are not options of
 * the menu as configured now are ignored.
 */
export function favourites(root: Keys, paths: readonly string[]): Map<MenuId, string> {
  const counts = new Map<MenuId, Map<string, { n: number; newest: number }>>();
  paths.forEach((path, age) => {
    const stack: { id: MenuId; keys: Keys }[] = [{ id: '', keys: root }];
    const seen = new Set<MenuId>();
    for (const key of path.split('>')) {
      const here = stack[stack.length - 1];
      if (!here || !key) break;
      const action = here.keys[key];
      // A key that is not an option here (the common-questions menu, a menu changed since): stop.
      if (action === undefined) break;
      if (!seen.has(here.id)) {
        seen.add(here.id);
        const m = counts.get(here.id) ?? new Map<string, { n: number; newest: number }>();
        const c = m.get(key) ?? { n: 0, newest: age };
        m.set(key, { n: c.n + 1, newest: Math.min(c.newest, age) });
        counts.set(here.id, m);
      }
      const sub = subMenu(action);
      if (sub) stack.push({ id: here.id ? `${here.id}>${key}` : key, keys: sub });
      else if (action === 'back' || (typeof action === 'object' && action.then === 'back')) {
        if (stack.length > 1) stack.pop();
      } else if (action === 'faq') break;
    }
  });
  const out = new Map<MenuId, string>();
  for (const [id, m] of counts) {
    const best = [...m].sort((a, b) => b[1].n - a[1].n || a[1].newest - b[1].newest)[0];
    if (best) out.set(id, best[0]);
  }
  return out;
}

/** Whether any menu is personalised (then the caller's history is worth reading). */
export function personalised(root: Keys, top: boolean | undefined): boolean {
  if (top) return true;
  return Object.values(root).some((a) => typeof a === 'object' && a.menu !== undefined && (a.menu.personalise === true || personalised(a.menu.keys, false)));
}
