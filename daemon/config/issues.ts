/**
 * A config's problems, as the daemon's main thread needs them: the parser, the schema and its
 * validator stay in the loader (load.ts), which the running daemon only loads in a worker.
 */

/** One problem in a config file, located for a person to find and fix. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Where in the config, e.g. `lines[1].at_port`; empty for the whole file. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  /**
   * @param more problems found but not carried here (a reload caps what crosses from its worker:
   * thousands of them would cost the main thread what the worker saved it).
   */
  constructor(
    readonly issues: ConfigIssue[],
    readonly more = 0,
  ) {
    super([...issues.map(formatIssue), ...(more ? [`... and ${more} more problem(s)`] : [])].join('\n'));
    this.name = 'ConfigError';
  }
}

/** Problems a reload's worker hands back; the rest are counted. */
export const OFF_THREAD_ISSUES = 100;
export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}
