import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CsvImportError, customerProfile, exportCustomers, importCustomers } from '../customers/customers.js';
import { withCliStore, writeOutput } from './box-store.js';

const USAGE = `usage:
  frontdesk customers import [-c FILE] CSV      add or update customers (header row: number,name,vip,tags,notes,language)
  frontdesk customers export [-c FILE] [--out CSV]   all customers as CSV (stdout without --out)
  frontdesk customers show [-c FILE] NUMBER      one customer's profile and history (calls, tickets, surveys, SMS) as JSON
`;

/** Customer records (CRM-lite) from the command line; safe while the daemon runs (sqlite WAL). */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, out: { type: 'string' } }, allowPositionals: true, strict: true });
  if (!sub || !['import', 'export', 'show'].includes(sub) || (sub !== 'export' && !positionals[0])) {
    process.stderr.write(USAGE);
    return 2;
  }
  return withCliStore(values.config, async (db) => {
    if (sub === 'import') {
      try {
        const r = await importCustomers(db, await readFile(positionals[0]!, 'utf8'));
        process.stdout.write(`${JSON.stringify(r)}\n`);
        return 0;
      } catch (err) {
        if (!(err instanceof CsvImportError)) throw err;
        process.stderr.write(`${positionals[0]}: ${err.message}\n`);
        return 1;
      }
    }
    if (sub === 'export') {
      await writeOutput(values.out, await exportCustomers(db));
      return 0;
    }
    const p = await customerProfile(db, positionals[0]!);
    if (!p) {
      process.stderr.write(`no customer ${positionals[0]}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
    return 0;
  });
}
