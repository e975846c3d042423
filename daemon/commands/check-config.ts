import { loadConfigFile, ConfigError } from '../config/load.js';
import { knowledgePath, loadKnowledgeFile } from '../knowledge/load.js';

export const summary = 'check-config FILE   validate a config file (exit 0 valid, 1 invalid; problems on stderr)';

export async function run(argv: string[]): Promise<number> {
  const file = argv.find((a) => !a.startsWith('-'));
  if (!file) {
    process.stderr.write('usage: frontdesk check-config FILE\n');
    return 2;
  }
  try {
    const { config, hash } = await loadConfigFile(file);
    // Files the config names are checked with it.
    const kb = config.knowledge ? await loadKnowledgeFile(knowledgePath(file, config.knowledge.file), config) : undefined;
    if (kb) process.stderr.write(`${kb.file}: OK (${kb.data.entries.length} knowledge-base entries)\n`);
    process.stderr.write(`${file}: OK (${config.lines.length} line(s), ${config.agents?.length ?? 0} agent(s), ${config.queues?.length ?? 0} queue(s); sha256 ${hash.slice(0, 12)})\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n${err.issues.length} problem(s) in ${file}\n`);
    return 1;
  }
}
