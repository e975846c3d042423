import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigFile, ConfigError } from '../config/load.js';
import { parseEnvFile } from '../config/env-file.js';
import { knowledgePath, loadKnowledgeFile } from '../knowledge/load.js';

export const summary = 'check-config FILE [--env-file F]   validate a config file as the service would read it (exit 0 valid, 1 invalid; problems on stderr)';

/** The secrets file systemd gives the service (EnvironmentFile= in frontdesk.service), by name. */
export const SECRETS_FILE = 'secrets.env';

export async function run(argv: string[]): Promise<number> {
  let file: string | undefined;
  let envFile: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { 'env-file': { type: 'string' } }, allowPositionals: true });
    file = positionals[0];
    envFile = values['env-file'];
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
  }
  if (!file) {
    process.stderr.write('usage: frontdesk check-config FILE [--env-file FILE]\n  --env-file: the secrets the service gets (default: secrets.env next to FILE, when it exists)\n');
    return 2;
  }
  // The service reads ${VAR}s from the secrets file next to its config; check with the same ones.
  const besideConfig = join(dirname(file), SECRETS_FILE);
  if (envFile === undefined && existsSync(besideConfig)) envFile = besideConfig;
  try {
    let env: NodeJS.ProcessEnv = process.env;
    if (envFile !== undefined) {
      let text: string;
      try {
        text = await readFile(envFile, 'utf8');
      } catch (err) {
        process.stderr.write(`${envFile}: cannot read the secrets file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
        return 1;
      }
      env = { ...process.env, ...parseEnvFile(text) };
    }
    const { config, hash } = await loadConfigFile(file, env, { envFile: envFile ?? besideConfig });
    // Files the config names are checked with it.
    const kb = config.knowledge ? await loadKnowledgeFile(knowledgePath(file, config.knowledge.file), config) : undefined;
    if (kb) process.stderr.write(`${kb.file}: OK (${kb.data.entries.length} knowledge-base entries)\n`);
    process.stderr.write(`${file}: OK (${config.lines.length} line(s), ${config.agents?.length ?? 0} agent(s), ${config.queues?.length ?? 0} queue(s); sha256 ${hash.slice(0, 12)}${envFile ? `; secrets from ${envFile}` : ''})\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.issues.length} problem(s) in ${file}\n`);
      return 1;
    }
    // A bug in a check must still give the installer a sentence, not a stack trace.
    process.stderr.write(`${file}: could not be checked: ${(err as Error).message}\n`);
    return 1;
  }
}
