import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigSchema, jsonSchema, type Config } from './schema.js';
import { crossCheck, type CrossIssue } from './cross-check.js';
import { valueCheck } from './value-check.js';
import { hostCheck } from './host-check.js';
import { suggest } from './suggest.js';

export { ConfigError, formatIssue, OFF_THREAD_ISSUES, type ConfigIssue } from './issues.js';
import { ConfigError, type ConfigIssue } from './issues.js';

export interface LoadedConfig {
  config: Config;
  file: string;
  /** sha256 of the file text (before ${VAR} expansion, so secrets do not leak through it). */
  hash: string;
}

type PathSeg = string | number;

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2019({ allErrors: true, discriminator: true, strict: false, verbose: true, useDefaults: false });
    validator = ajv.compile(jsonSchema());
  }
  return validator;
}

/** Larger files are refused unread: a branch office's config is a few KB (the biggest seen: 200 KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Mappings and lists nested deeper than this are refused (the schema's deepest is about 12). */
export const MAX_DEPTH = 64;
/** Alias expansions allowed per anchor (yaml's guard against "billion laughs" bombs). */
const MAX_ALIAS_COUNT = 100;

export interface LoadOptions {
  /** Also check what lies outside the file (prompt and TLS files, espeak-ng voices). Default true. */
  host?: boolean;
  /** Where the secrets are meant to come from, for the "not set" message. */
  envFile?: string;
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `the file is ${st.size} bytes; a config may be at most ${MAX_CONFIG_BYTES} bytes` }]);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  const a = analyse(text, file, env, opts);
  if (a.config && opts.host !== false) {
    for (const h of await hostCheck(a.config)) a.issues.push(a.locate(h));
  }
  if (a.issues.length || !a.config) throw new ConfigError(sortIssues(a.issues));
  return { config: a.config, file, hash: a.hash };
}

/**
 * YAML text → validated config, or a ConfigError listing every problem with file:line:col.
 * Only what the text itself says is checked (no files, no voices): see loadConfigFile for those.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): LoadedConfig {
  const a = analyse(text, file, env, opts);
  if (a.issues.length || !a.config) throw new ConfigError(sortIssues(a.issues));
  return { config: a.config, file, hash: a.hash };
}

interface Analysis {
  issues: ConfigIssue[];
  /** Set when the file parsed to a mapping; trustworthy only when issues is empty. */
  config?: Config;
  hash: string;
  locate: (c: CrossIssue) => ConfigIssue;
}

/**
 * Steps: parse (keeping positions) → bounds (depth, aliases) → expand ${VAR} → schema, value rules
 * and cross-references, all reported together. Each step costs about linear time in the file size.
 */
function analyse(text: string, file: string, env: NodeJS.ProcessEnv, opts: LoadOptions): Analysis {
  const hash = createHash('sha256').update(text).digest('hex');
  const lc = new LineCounter();
  const issues: ConfigIssue[] = [];
  const at = (offset: number): { line: number; col: number } => lc.linePos(offset);
  const issueAt = (offset: number, path: string, message: string): ConfigIssue => ({ file, ...at(offset), path, message });
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const index = new NodeIndex();
  const locate = (c: CrossIssue): ConfigIssue => {
    const { line, col } = positionOf(doc, c.path, at, c.onKey ?? false, index);
    return { file, line, col, path: formatPath(c.path), message: c.message };
  };
  const fail = (): Analysis => ({ issues, hash, locate });

  for (const e of [...doc.errors, ...doc.warnings]) {
    const msg = e.code === 'RESOURCE_EXHAUSTION' ? `nested too deeply to read (at most ${MAX_DEPTH} levels)` : firstLine(e.message);
    issues.push(issueAt(e.pos[0], '', `YAML: ${msg}`));
  }
  if (issues.length) return fail();

  bounds(doc, (node, message) => issues.push(issueAt(node.range?.[0] ?? 0, '', `YAML: ${message}`)));
  if (issues.length) return fail();

  // A path whose ${VAR} is unset is reported once, as that; its now-empty value's other errors would be noise.
  const unset = new Set<string>();
  expandEnv(doc, env, (node, path, name) => {
    unset.add(formatPath(path));
    const where = opts.envFile ? `; the service reads secrets from ${opts.envFile} (EnvironmentFile= in frontdesk.service): add ${name}=... there` : `; set it in the environment (the service reads /etc/frontdesk/secrets.env; check-config --env-file FILE reads another file)`;
    issues.push(issueAt(node.range?.[0] ?? 0, formatPath(path), `environment variable ${name} is not set${where}`));
  });

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // Only alias trouble reaches here (unresolved ones are caught by bounds()).
    const first = firstAlias(doc);
    issues.push(issueAt(first?.range?.[0] ?? 0, '', `YAML: ${(err as Error).message.includes('Excessive alias') ? `aliases expand too often (more than ${MAX_ALIAS_COUNT} uses of one anchor): an alias bomb?` : (err as Error).message}`));
    return fail();
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    issues.push({ file, line: 1, col: 1, path: '', message: 'expected a mapping of sections (site, node, lines, bot, ...)' });
    return fail();
  }

  const v = validate();
  const schemaPaths = new Set<string>();
  if (!v(data)) {
    for (const e of simplify(v.errors ?? [])) {
      e.path = typedPath(data, e.path);
      schemaPaths.add(formatPath(e.path));
      if (!unset.has(formatPath(e.path))) issues.push(locate(e));
    }
  }
  // Value rules and cross-references run even when the schema failed, so one pass shows every
  // problem. On a config the schema refused, a rule may meet a value of the wrong type: it is
  // skipped (the schema error already says what is wrong), never allowed to crash the check.
  const schemaOk = schemaPaths.size === 0 && issues.length === 0;
  for (const rule of RULES) {
    let found: CrossIssue[];
    try {
      found = rule(data as Config);
    } catch (err) {
      if (schemaOk) throw err;
      continue;
    }
    // Not where the schema (or an unset variable) already said what is wrong, nor below it.
    const said = (path: PathSeg[]): boolean => path.some((_, n) => schemaPaths.has(formatPath(path.slice(0, n + 1))) || unset.has(formatPath(path.slice(0, n + 1))));
    for (const c of found) if (!said(c.path)) issues.push(locate(c));
  }
  return { issues, config: data as Config, hash, locate };
}

const RULES: ((c: Config) => CrossIssue[])[] = [valueCheck, crossCheck];

/** Refuse nesting deeper than MAX_DEPTH and aliases without an anchor, walking without recursion. */
function bounds(doc: Document, problem: (node: YamlNode, message: string) => void): void {
  const stack: [unknown, number][] = [[doc.contents, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (isAlias(node)) {
      if (!node.resolve(doc)) problem(node, `alias *${node.source} has no anchor &${node.source} before it`);
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) {
      problem(node, `nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    for (const item of node.items) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
}

function firstAlias(doc: Document): YamlNode | undefined {
  let found: YamlNode | undefined;
  visit(doc, {
    Alias(_k, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

// ---- ${VAR} --------------------------------------------------------------------------------------

/** ${NAME} or ${NAME:-default}; a leading $$ escapes it. */
const VAR_RE = /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace ${VAR} (and ${VAR:-default}) in every scalar string, in place. $${X} stays literal. */
function expandEnv(doc: Document, env: NodeJS.ProcessEnv, missing: (node: YamlNode, path: PathSeg[], name: string) => void): void {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = pathOf(ancestors, node, key);
      node.value = node.value.replace(VAR_RE, (m: string, name: string, def?: string) => {
        if (m.startsWith('$$')) return m.slice(1);
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (def !== undefined) return def;
        missing(node, path, name);
        return '';
      });
    },
  });
}

/**
 * The config path of a node from the visitor's ancestor chain. `key` is the visitor's index of the
 * node in its parent (a number in a sequence), so long lists cost no search.
 */
function pathOf(ancestors: readonly unknown[], node: unknown, key: number | 'key' | 'value' | null): PathSeg[] {
  const path: PathSeg[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(i === chain.length - 2 && typeof key === 'number' ? key : parent.items.indexOf(child));
    else if (isMap(parent)) {
      // child is a Pair; the next element is its value
      const pair = child as { key?: unknown };
      if (pair && isScalar(pair.key)) path.push(String(pair.key.value));
    }
  }
  return path;
}

// ---- locating schema errors ----------------------------------------------------------------------

/** A pointer's segments typed by the data they walk: list indexes as numbers, map keys (menu key "1") as strings. */
function typedPath(data: unknown, path: PathSeg[]): PathSeg[] {
  let node = data;
  return path.map((seg) => {
    const typed = Array.isArray(node) ? Number(seg) : String(seg);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[typed] : undefined;
    return typed;
  });
}

function parsePointer(p: string): PathSeg[] {
  if (!p) return [];
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Key → pair of each mapping, built on first use, so locating many errors in a big map stays linear. */
export class NodeIndex {
  private readonly maps = new WeakMap<object, Map<string, Pair<unknown, unknown>>>();
  pair(map: YAMLMap<unknown, unknown>, key: string): Pair<unknown, unknown> | undefined {
    let m = this.maps.get(map);
    if (!m) {
      m = new Map();
      for (const p of map.items) if (isScalar(p.key) && !m.has(String(p.key.value))) m.set(String(p.key.value), p);
      this.maps.set(map, m);
    }
    return m.get(key);
  }
}

export function positionOf(doc: Document, path: PathSeg[], at: (o: number) => { line: number; col: number }, onKey: boolean, index: NodeIndex): { line: number; col: number } {
  // Walk down as far as the document goes; report the deepest node that exists.
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = index.pair(node, String(seg));
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      keyNode = undefined;
      node = node.items[seg];
    } else break;
  }
  const target = (onKey && keyNode) || node || keyNode;
  const range = (target as { range?: [number, number, number] } | undefined)?.range;
  return at(range?.[0] ?? 0);
}

export interface Located {
  path: PathSeg[];
  message: string;
  onKey: boolean;
  /** The Ajv keyword, to merge the per-branch errors of one union. */
  keyword?: string;
  allowed?: unknown[];
}

/** Turn Ajv's errors into one plain sentence each, dropping the noise that unions produce. */
export function simplify(errors: ErrorObject[]): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  // With anyOf, Ajv reports each branch's failure and then "must match a schema in anyOf". Keep the
  // most specific: if a branch error exists deeper in the same place, the anyOf line adds nothing.
  for (const e of errors) {
    const path = parsePointer(e.instancePath);
    let message: string;
    let onKey = false;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        const patterns = Object.keys((e.parentSchema as { patternProperties?: object } | undefined)?.patternProperties ?? {});
        if (patterns.length) {
          // A map (menu keys, skills, slots...): the key itself has a form.
          path.push(key);
          onKey = true;
          message = `${JSON.stringify(key)} is not a valid key here: ${patterns.map((x) => KEY_FORMS[x] ?? `it must match ${x}`).join(' or ')}`;
          break;
        }
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
        const guess = suggest(key, allowed);
        const moved = MOVED_KEYS[[...path, key].join('.')];
        path.push(key);
        onKey = true;
        message = moved ? `"${key}" has moved: ${moved}` : `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}${allowed.length && allowed.length <= 16 ? ` (expected one of: ${allowed.join(', ')})` : ''}`;
        break;
      }
      case 'required':
        message = `missing required key "${String(p.missingProperty)}"`;
        break;
      case 'type':
        message = `expected ${String(p.type)}, got ${describe(e.data)}`;
        break;
      case 'pattern':
        message = `${describe(e.data)} is not valid: ${patternHint(e)}`;
        break;
      case 'const':
      case 'enum': {
        const allowed = (p.allowedValues as unknown[] | undefined) ?? [p.allowedValue];
        message = `expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${describe(e.data)}`;
        break;
      }
      case 'discriminator':
        message =
          p.error === 'mapping'
            ? `unknown kind ${describe(e.data && (e.data as Record<string, unknown>).kind)}; expected "gsm", "analog" or "sip"`
            : `missing "kind" (gsm, analog or sip)`;
        if (p.error === 'mapping') path.push('kind');
        break;
      case 'anyOf':
        message = `${describe(e.data)} is not a valid value: ${(e.parentSchema as { description?: string } | undefined)?.description ?? 'see the schema'}`;
        break;
      case 'minItems':
        message = `needs at least ${String(p.limit)} item(s)`;
        break;
      case 'minimum':
      case 'maximum':
        message = `must be ${e.keyword === 'minimum' ? '≥' : '≤'} ${String(p.limit)}, got ${describe(e.data)}`;
        break;
      case 'propertyNames':
        continue; // reported more usefully by the pattern error on the key itself
      default:
        message = e.message ?? e.keyword;
    }
    const k = `${path.join('/')}|${message}`;
    if (!seen.has(k)) {
      seen.add(k);
      const allowed = e.keyword === 'const' || e.keyword === 'enum' ? ((p.allowedValues as unknown[] | undefined) ?? [p.allowedValue]) : undefined;
      out.push({ path, message, onKey, keyword: e.keyword, ...(allowed ? { allowed } : {}) });
    }
  }
  return mergeUnions(dropSummaries(out));
}

/**
 * A union of words (strategy: longest-idle | round-robin | ...) fails once per branch: one sentence
 * listing them all instead. A union of shapes (a time range or a list of them) fails with a type
 * error for the branch the value is not: dropped when a branch of its own type said more.
 */
function mergeUnions(out: Located[]): Located[] {
  const byPath = new Map<string, Located[]>();
  for (const x of out) {
    const k = x.path.join('\u0000');
    const list = byPath.get(k);
    if (list) list.push(x);
    else byPath.set(k, [x]);
  }
  const result: Located[] = [];
  for (const list of byPath.values()) {
    const words = list.filter((x) => x.allowed);
    const types = list.filter((x) => x.keyword === 'type');
    const summaries = list.filter((x) => x.keyword === 'anyOf');
    const others = list.filter((x) => !x.allowed && x.keyword !== 'type' && x.keyword !== 'anyOf');
    const got = (x: Located): string => x.message.slice(x.message.lastIndexOf(', got ') + 6);
    // The most specific sentence wins: words the value could have been, what else failed, the
    // types the value could have had, and only then the union's summary.
    if (words.length > 1) result.push({ ...words[0]!, message: `expected ${words.flatMap((w) => w.allowed!).map((a) => JSON.stringify(a)).join(' or ')}, got ${got(words[0]!)}` });
    else result.push(...words);
    result.push(...others);
    if (words.length || others.length) continue;
    if (types.length > 1) result.push({ ...types[0]!, message: `expected ${types.map((x) => x.message.slice(9, x.message.lastIndexOf(', got '))).join(' or ')}, got ${got(types[0]!)}` });
    else if (types.length) result.push(...types);
    else result.push(...summaries);
  }
  return result;
}

function dropSummaries(out: Located[]): Located[] {
  // Drop anyOf summaries where a more specific error sits at or below the same path. Every prefix of
  // every specific error's path goes in one set: this was a scan of all errors per summary, which
  // made a big invalid file (thousands of errors) take seconds.
  // The same goes for a union branch's type error (a menu action is a word or a mapping: a mapping
  // with a bad key inside is not "expected string").
  const isSummary = (x: Located): boolean => x.keyword === 'anyOf' || x.keyword === 'type';
  if (!out.some(isSummary)) return out;
  const covered = new Set<string>();
  for (const y of out) {
    if (isSummary(y)) continue;
    let key = '';
    covered.add(key);
    for (const seg of y.path) covered.add((key += `\u0000${seg}`));
  }
  return out.filter((x) => !isSummary(x) || !covered.has(x.path.map((seg) => `\u0000${seg}`).join('')));
}

/** What the key patterns of the schema's maps mean, in words. */
/** Keys an earlier release accepted, and where they live now (said instead of "unknown key"). */
const MOVED_KEYS: Record<string, string> = {
  'sms.survey.low_score': 'set bot.survey.low_score ({ at_most, then: callback | alarm }); it now applies to keyed and SMS scores alike',
};

const KEY_FORMS: Record<string, string> = {
  '^[0-9*#]$': 'one DTMF key: 0-9, * or #',
  '^[A-Za-z0-9_-]+$': 'letters, digits, _ and -',
  '^[0-9A-Za-z*#+]{1,32}$': 'an extension: digits, letters, *, # or +, at most 32',
  '^[a-z]{2,3}(-[A-Z]{2})?$': 'a language tag like "zh-CN" or "en"',
};

function patternHint(e: ErrorObject): string {
  const d = (e.parentSchema as { description?: string } | undefined)?.description;
  return d ?? `must match ${String((e.params as { pattern?: string }).pattern)}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return typeof v;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

export { ConfigSchema };
