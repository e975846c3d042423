import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { campaignResults } from '../campaigns/campaigns.js';
import { toCsv } from '../customers/csv.js';
import { cliStore } from './box-store.js';

const USAGE = 'usage: frontdesk campaigns export [-c FILE] ID [--out CSV]   one campaign\'s contacts with state, outcome, attempts\n';

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, out: { type: 'string' } }, allowPositionals: true, strict: true });
  if (sub !== 'export' || !positionals[0]) {
    process.stderr.write(USAGE);
    return 2;
  }
  const box = await cliStore(values.config);
  if (!box) return 1;
  const { db } = box;
  try {
    const csv = toCsv(await campaignResults(db, positionals[0]));
    if (values.out) await writeFile(values.out, csv);
    else process.stdout.write(csv);
    return 0;
  } finally {
    await db.close();
  }
}
