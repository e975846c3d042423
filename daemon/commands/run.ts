import { parseArgs } from 'node:util';
import { App } from '../app.js';
import { ConfigError } from '../config/issues.js';
import { loadConfigFileOffThread } from '../config/off-thread.js';
import { createLogger } from '../log.js';
import { runUnderSupervisor } from '../service/lifecycle.js';
import { installSafetyNet } from '../service/safety-net.js';
import { buildExtensions } from '../wiring.js';

export const DEFAULT_CONFIG = '/etc/frontdesk/frontdesk.yaml';
export const summary = `run [-c FILE]        run the daemon (default config ${DEFAULT_CONFIG})`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, pretty: { type: 'boolean' } }, allowPositionals: false });
  const file = values.config ?? process.env.FRONTDESK_CONFIG ?? DEFAULT_CONFIG;
  let loaded;
  try {
    loaded = await loadConfigFileOffThread(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nfrontdesk: not starting: ${err.issues.length} problem(s) in ${file}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger({ level: loaded.config.logging?.level ?? 'info', ...(values.pretty ? { pretty: true } : {}) });
  const app = new App({ loaded, log, extensions: buildExtensions });
  installSafetyNet({ log, bus: app.bus, activeCalls: () => app.activeCalls() });
  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'could not start');
    await app.stop(0).catch(() => undefined); // the start failure is logged above and is the exit status
    return 1;
  }
  return runUnderSupervisor(app, log);
}
