import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the compiled tree is (dist/ or a helper's own outDir): this file is <dist>/test/helpers/paths.js. */
export const distRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The checkout: sources, fixtures, config examples. */
export const repoRoot = resolve(distRoot, '..');
export const fixtures = (...p: string[]): string => resolve(repoRoot, 'test/fixtures', ...p);
/** The compiled CLI entry. */
export const cliPath = resolve(distRoot, 'daemon/cli.js');
