/** Regenerates the README's config reference from the schema: node dist/scripts/gen-readme.js */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReference } from '../daemon/config/reference.js';

export const START = '<!-- config-reference:start -->';
export const END = '<!-- config-reference:end -->';

export function withReference(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README has no config-reference markers');
  return `${readme.slice(0, a + START.length)}\n${configReference()}\n${readme.slice(b)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../README.md');
  await writeFile(file, withReference(await readFile(file, 'utf8')));
  console.log(`updated ${file}`);
}
