import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/**
 * The tree shows the architecture: folders (daemon/<x>, drivers/<x>) import each other without
 * cycles, so data flows one way. Only value imports count (`import type` is erased at run time).
 * KNOWN lists the cycles still to be taken apart (none since the router stopped dialling phones,
 * issue 13); the test fails on any other cycle, and on a known one that is gone, so the list stays true.
 */
const KNOWN: string[][] = [];

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function folder(file: string): string {
  const parts = relative(repoRoot, file).split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Folder → folders it imports values from. */
function graph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of [...sources(join(repoRoot, 'daemon')), ...sources(join(repoRoot, 'drivers'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      if (m[1]) continue;
      const from = folder(file);
      const to = folder(resolve(dirname(file), m[2]!));
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        on.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a.join().localeCompare(b.join()));
}

t.test('no import cycles between source folders beyond the known ones', async (t) => {
  const edges = graph();
  t.ok(edges.size > 10, `read the import graph (${edges.size} folders import others)`);
  t.same(cycles(edges), KNOWN, 'cycles between folders');
});

t.test('the cycle finder finds a cycle', async (t) => {
  const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
  t.same(cycles(g), [['a', 'b', 'c']]);
});

t.test('drivers never import the daemon', async (t) => {
  const bad = [...graph()].filter(([from, to]) => from.startsWith('drivers') && [...to].some((x) => x.startsWith('daemon')));
  t.same(bad, [], 'drivers know nothing of calls');
});
