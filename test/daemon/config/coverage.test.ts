import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonSchema } from '../../../daemon/config/schema.js';
import { repoRoot } from '../../helpers/paths.js';

/**
 * Every option does something, or it is not in the schema: walk every key of the config schema and
 * fail when no code under daemon/ or drivers/ (outside daemon/config, which only validates) reads it. "Reads" means the key used as a property
 * access (`.key`, `?.key`, `['key']`), not as a method call, for the key and every key above it
 * (bot.survey.say needs `.survey` read too, however common `.say` is).
 */

/** Keys read generically, not by property access; each says where. */
const READ_GENERICALLY: Record<string, string> = {
  $schema: 'the editor\'s schema link (yaml-language-server); the daemon ignores it on purpose',
  // feature-codes.ts spreads the section over DEFAULT_FEATURE_CODES and looks codes up by action name.
  'routing.feature_codes.login': 'routing/feature-codes.ts: { ...DEFAULT_FEATURE_CODES, ...feature_codes }',
  'routing.feature_codes.logout': 'as login',
  'routing.feature_codes.pause': 'as login',
  'routing.feature_codes.unpause': 'as login',
};

/**
 * Keys accepted today that other open work builds (issue 11/12): listed so this test passes while
 * that work is in flight. Remove an entry when its feature lands; the test fails if an entry is
 * read already, so the list cannot go stale.
 */
const PENDING: Record<string, string> = {};

interface Node {
  properties?: Record<string, Node>;
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  additionalProperties?: Node | boolean;
  patternProperties?: Record<string, Node>;
}

/** Every key path in the schema, e.g. "lines[].at_port", "bot.menu.*.say" (* = a map's keys). */
function keyPaths(n: Node, path: string[], out: Map<string, string[]>): void {
  for (const m of [...(n.oneOf ?? []), ...(n.anyOf ?? [])]) keyPaths(m, path, out);
  for (const [k, v] of Object.entries(n.properties ?? {})) {
    const p = [...path, k];
    out.set(p.join('.').replace(/\.\[\]/g, '[]'), p.filter((s) => s !== '[]' && s !== '*'));
    // Recursive shapes (menus within menus) end where a key repeats.
    if (!path.includes(k)) keyPaths(v, p, out);
  }
  if (n.items) keyPaths(n.items, [...path, '[]'], out);
  for (const v of Object.values(n.patternProperties ?? {})) keyPaths(v, [...path, '*'], out);
  if (n.additionalProperties && typeof n.additionalProperties === 'object') keyPaths(n.additionalProperties, [...path, '*'], out);
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const f = join(e.parentPath, e.name);
    // daemon/config only validates keys; reading a key there to check it is not doing what it says.
    if (e.isFile() && f.endsWith('.ts') && !f.includes('/daemon/config/')) out.push(await readFile(f, 'utf8'));
  }
  return out;
}

t.test('every config key is read by some code', async (t) => {
  const paths = new Map<string, string[]>();
  keyPaths(jsonSchema(), [], paths);
  t.ok(paths.size > 150, `walked ${paths.size} keys`);
  const code = [...(await sources(join(repoRoot, 'daemon'))), ...(await sources(join(repoRoot, 'drivers')))].join('\n');
  const readCache = new Map<string, boolean>();
  const read = (key: string): boolean => {
    if (!readCache.has(key)) {
      const k = key.replace(/[$]/g, '\\$');
      readCache.set(key, new RegExp(`\\??\\.${k}\\b(?!\\s*\\()|\\[['"]${k}['"]\\]`).test(code));
    }
    return readCache.get(key)!;
  };
  const dead: string[] = [];
  for (const [name, segs] of paths) {
    if (READ_GENERICALLY[name] !== undefined) continue;
    const isRead = segs.every(read);
    if (PENDING[name] !== undefined) {
      t.notOk(isRead, `pending: ${name}, ${PENDING[name]} (fails once code reads it: then remove it from PENDING)`);
      continue;
    }
    if (!isRead) dead.push(`${name} (no read of ${segs.filter((s) => !read(s)).map((s) => `.${s}`).join(', ')})`);
  }
  t.same(dead, [], 'keys no code reads: build them or remove them from the schema');
  for (const name of [...Object.keys(PENDING), ...Object.keys(READ_GENERICALLY)]) t.ok(paths.has(name), `${name} is listed here and in the schema (remove it here when it leaves the schema)`);
});
