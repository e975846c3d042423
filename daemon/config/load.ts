import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ConfigSchema, jsonSchema, type Config } from './schema.js';
import { crossCheck } from './cross-check.js';
import { suggest } from './suggest.js';

/** One problem in a config file, located for a person to find and fix. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Where in the config, e.g. `lines[1].at_port`; empty for the whole file. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

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

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

/**
 * YAML text → validated config, or a ConfigError listing every problem with file:line:col.
 * Steps: parse (keeping positions) → expand ${VAR} → schema → cross-references.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; col: number } => lc.linePos(offset);

  const yamlIssues = [...doc.errors, ...doc.warnings].map((e) => {
    const p = at(e.pos[0]);
    return { file, line: p.line, col: p.col, path: '', message: `YAML: ${firstLine(e.message)}` };
  });
  if (yamlIssues.length) throw new ConfigError(yamlIssues);

  const issues: ConfigIssue[] = [];
  expandEnv(doc, env, (node, path, name) => {
    const p = at(node.range?.[0] ?? 0);
    issues.push({ file, line: p.line, col: p.col, path: formatPath(path), message: `environment variable ${name} is not set` });
  });

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: 'expected a mapping of sections (site, node, lines, bot, ...)' }]);
  }

  const v = validate();
  if (!v(data)) {
    for (const e of simplify(v.errors ?? [])) issues.push(locate(doc, e, file, at));
  }
  if (issues.length === 0) {
    for (const c of crossCheck(data as Config)) {
      const { line, col } = positionOf(doc, c.path, at, c.onKey ?? false);
      issues.push({ file, line, col, path: formatPath(c.path), message: c.message });
    }
  }
  if (issues.length) throw new ConfigError(sortIssues(issues));
  return { config: data as Config, file, hash: createHash('sha256').update(text).digest('hex') };
}

// ---- ${VAR} --------------------------------------------------------------------------------------

/** ${NAME} or ${NAME:-default}; a leading $$ escapes it. */
const VAR_RE = /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace ${VAR} (and ${VAR:-default}) in every scalar string, in place. $${X} stays literal. */
function expandEnv(doc: Document, env: NodeJS.ProcessEnv, missing: (node: YamlNode, path: PathSeg[], name: string) => void): void {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = pathOf(ancestors, node);
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

/** The config path of a node from the visitor's ancestor chain. */
function pathOf(ancestors: readonly unknown[], node: unknown): PathSeg[] {
  const path: PathSeg[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
    else if (isMap(parent)) {
      // child is a Pair; the next element is its value
      const pair = child as { key?: unknown };
      if (pair && isScalar(pair.key)) path.push(String(pair.key.value));
    }
  }
  return path;
}

// ---- locating schema errors ----------------------------------------------------------------------

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

export function positionOf(doc: Document, path: PathSeg[], at: (o: number) => { line: number; col: number }, onKey: boolean): { line: number; col: number } {
  // Walk down as far as the document goes; report the deepest node that exists.
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
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
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
        const guess = suggest(key, allowed);
        path.push(key);
        onKey = true;
        message = `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}${allowed.length && allowed.length <= 16 ? ` (expected one of: ${allowed.join(', ')})` : ''}`;
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
      out.push({ path, message, onKey });
    }
  }
  // Drop anyOf summaries where a more specific error sits at or below the same path.
  return out.filter(
    (x) => !x.message.includes('is not a valid value') || !out.some((y) => y !== x && !y.message.includes('is not a valid value') && startsWith(y.path, x.path)),
  );
}

function startsWith(a: PathSeg[], prefix: PathSeg[]): boolean {
  return prefix.length <= a.length && prefix.every((s, i) => s === a[i]);
}

function patternHint(e: ErrorObject): string {
  const d = (e.parentSchema as { description?: string } | undefined)?.description;
  return d ?? `must match ${String((e.params as { pattern?: string }).pattern)}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

function locate(doc: Document, e: Located, file: string, at: (o: number) => { line: number; col: number }): ConfigIssue {
  const { line, col } = positionOf(doc, e.path, at, e.onKey);
  return { file, line, col, path: formatPath(e.path), message: e.message };
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

export { ConfigSchema };
