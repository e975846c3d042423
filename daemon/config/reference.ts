import { jsonSchema } from './schema.js';

/**
 * The config reference in the README, generated from the schema so the two never disagree
 * (a test compares them). One row per key: path, type, default, description.
 */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  const?: unknown;
  pattern?: string;
  patternProperties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  $ref?: string;
  $id?: string;
}

export function configReference(): string {
  const rows: string[] = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  const root = jsonSchema() as Node;
  walk(root, '', rows, root);
  return rows.join('\n');
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.anyOf) return n.anyOf.map(typeOf).join(' or ');
  if (n.oneOf) return 'one of the kinds below';
  if (n.$ref) return 'menu action';
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'items'}`;
  if (n.type === 'object' && n.patternProperties) return 'map';
  if (n.type === 'string' && n.pattern?.includes('(ms|s|m|h|d|w|y)')) return 'duration';
  return Array.isArray(n.type) ? n.type.join('\\|') : (n.type ?? 'any');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function walk(n: Node, path: string, rows: string[], root: Node): void {
  for (const [key, child] of Object.entries(n.properties ?? {})) {
    if (key === '$schema') continue;
    const p = path ? `${path}.${key}` : key;
    const req = n.required?.includes(key) ? ' (required)' : '';
    const def = child.default !== undefined ? `\`${JSON.stringify(child.default)}\`` : '';
    rows.push(`| \`${p}\`${req} | ${cell(typeOf(child))} | ${def} | ${cell(child.description ?? '')} |`);
    descend(child, p, rows, root);
  }
}

function descend(child: Node, p: string, rows: string[], root: Node): void {
  if (child.type === 'object' && child.properties) walk(child, p, rows, root);
  if (child.type === 'array' && child.items) {
    const it = child.items;
    if (it.oneOf) {
      for (const kind of it.oneOf) {
        const k = kind.properties?.kind?.const;
        rows.push(`| \`${p}[]\` kind ${JSON.stringify(k)} | | | ${cell(kind.description ?? '')} |`);
        walk(kind, `${p}[]`, rows, root);
      }
    } else if (it.properties) walk(it, `${p}[]`, rows, root);
  }
  if (child.type === 'object' && child.patternProperties) {
    const v = Object.values(child.patternProperties)[0];
    if (v?.properties) walk(v, `${p}.<name>`, rows, root);
  }
}
