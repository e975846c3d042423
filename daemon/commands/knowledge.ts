import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile, ConfigError } from '../config/load.js';
import { Db } from '../store/db.js';
import { DB_FILE } from '../store/store.js';
import { dataDir } from '../config/paths.js';
import { DEFAULT_CONFIG } from './run.js';

export const summary = 'knowledge unanswered|hits [-c FILE] [--json]   questions the knowledge base missed, or its hit counts';

/**
 * For the installer reviewing the knowledge base: what callers asked that it could not answer
 * (no-match utterances, common-questions menu misses), most frequent first; or how often each entry
 * was used (the order of the common-questions menu). Reads the box's store.
 */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, limit: { type: 'string' } }, allowPositionals: true });
  const what = positionals[0];
  if (what !== 'unanswered' && what !== 'hits') {
    process.stderr.write(`usage: frontdesk ${summary}\n`);
    return 2;
  }
  const file = values.config ?? process.env.FRONTDESK_CONFIG ?? DEFAULT_CONFIG;
  let dir: string;
  try {
    dir = dataDir((await loadConfigFile(file)).config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const limit = Math.max(1, Number(values.limit ?? 100) || 100);
  const db = await Db.open(join(dir, DB_FILE), { readonly: true });
  try {
    const rows =
      what === 'unanswered'
        ? await db.all<Record<string, string | number>>('SELECT via, text, count, first_at AS firstAt, last_at AS lastAt, last_call_id AS lastCallId FROM kb_unanswered ORDER BY count DESC, last_at DESC LIMIT ?', [limit])
        : await db.all<Record<string, string | number>>('SELECT entry_id AS entry, hits, last_at AS lastAt FROM kb_hits ORDER BY hits DESC, entry_id LIMIT ?', [limit]);
    if (values.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
    else if (rows.length === 0) process.stdout.write(what === 'unanswered' ? 'no unanswered questions\n' : 'no knowledge-base answers yet\n');
    else if (what === 'unanswered') for (const r of rows) process.stdout.write(`${String(r.count).padStart(5)}  ${String(r.via).padEnd(6)}  ${r.text}  (last ${r.lastAt}, call ${r.lastCallId})\n`);
    else for (const r of rows) process.stdout.write(`${String(r.hits).padStart(5)}  ${r.entry}  (last ${r.lastAt})\n`);
    return 0;
  } finally {
    await db.close();
  }
}
