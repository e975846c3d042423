import { parseArgs } from 'node:util';
import { insertSms } from '../sms/queue.js';
import { withCliStore } from './box-store.js';

export const summary = 'sms send|list ...      queue an SMS / list the send queue';

const USAGE = `usage:
  frontdesk sms send [-c FILE] --to NUMBER --text TEXT [--line ID]   queue an SMS (the running daemon sends it)
  frontdesk sms list [-c FILE] [--limit N]                           the send queue, newest first
`;

/**
 * The SMS queue from the command line. `send` writes the message into the store's queue in one
 * transaction; the running daemon picks it up within a second (it polls the queue), with the same
 * retries, rate and opt-out rules as the daemon's own messages.
 */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, to: { type: 'string' }, text: { type: 'string' }, line: { type: 'string' }, limit: { type: 'string' } }, strict: true });
  return withCliStore(values.config, async (db) => {
    if (sub === 'send') {
      if (!values.to || !/^\+?[0-9]{3,20}$/.test(values.to) || !values.text) {
        process.stderr.write(`sms send needs --to (a phone number) and --text\n${USAGE}`);
        return 2;
      }
      const r = await db.transaction((tx) => insertSms(tx, { to: values.to!, text: values.text!, kind: 'cli', ...(values.line ? { lineId: values.line } : {}) }));
      if (!r.queued) {
        process.stderr.write(`${values.to} opted out of SMS; not queued\n`);
        return 1;
      }
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    if (sub === 'list') {
      const rows = await db.all('SELECT id, to_number AS "to", kind, state, attempts, created_at AS createdAt, sent_at AS sentAt, delivered_at AS deliveredAt, last_error AS lastError FROM sms_out ORDER BY created_at DESC LIMIT ?', [Number(values.limit ?? 50)]);
      for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    process.stderr.write(USAGE);
    return 2;
  });
}
