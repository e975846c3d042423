import { writeFile } from 'node:fs/promises';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { dataDir } from '../config/paths.js';
import type { Db } from '../store/db.js';
import { openStore } from '../store/store.js';
import { DEFAULT_CONFIG } from './run.js';

/** The box's config for a CLI command (-c, FRONTDESK_CONFIG, or the default); a bad one is a clear message, not a stack. */
export async function cliConfig(file: string | undefined): Promise<Config | undefined> {
  try {
    return (await loadConfigFile(file ?? process.env.FRONTDESK_CONFIG ?? DEFAULT_CONFIG)).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return undefined;
  }
}

/** Config and the store it names, for CLI commands that read or write the daemon's records (WAL: safe while it runs). */
export async function cliStore(file: string | undefined): Promise<{ config: Config; db: Db } | undefined> {
  const config = await cliConfig(file);
  return config ? { config, db: await openStore(dataDir(config)) } : undefined;
}

/** Run `fn` on the box's store and close it whatever happens; 1 when the config is bad (already reported). */
export async function withCliStore(file: string | undefined, fn: (db: Db, config: Config) => Promise<number>): Promise<number> {
  const box = await cliStore(file);
  if (!box) return 1;
  try {
    return await fn(box.db, box.config);
  } finally {
    await box.db.close();
  }
}

/** A command's text output: to the file given with --out, else to stdout. */
export async function writeOutput(out: string | undefined, text: string): Promise<void> {
  if (out) await writeFile(out, text);
  else process.stdout.write(text);
}
