import { parseArgs } from 'node:util';
import { campaignResults } from '../campaigns/campaigns.js';
import { toCsv } from '../customers/csv.js';
import { withCliStore, writeOutput } from './box-store.js';

const USAGE = 'usage: frontdesk campaigns export [-c FILE] ID [--out CSV]   one campaign\'s contacts with state, outcome, attempts\n';

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, out: { type: 'string' } }, allowPositionals: true, strict: true });
  if (sub !== 'export' || !positionals[0]) {
    process.stderr.write(USAGE);
    return 2;
  }
  const id = positionals[0];
  return withCliStore(values.config, async (db) => {
    await writeOutput(values.out, toCsv(await campaignResults(db, id)));
    return 0;
  });
}
