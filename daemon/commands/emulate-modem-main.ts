// Stand-alone entry for `frontdesk emulate-modem` until the CLI wires it in (and for tests).
import { run } from './emulate-modem.js';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
