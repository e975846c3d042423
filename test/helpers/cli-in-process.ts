/**
 * Run a CLI command's own run(argv) in this process, capturing what it prints: the command's real
 * code path without a node start per call (seconds each on a loaded machine).
 */
export async function runInProcess(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((c: string) => ((stdout += c), true));
  process.stderr.write = ((c: string) => ((stderr += c), true));
  try {
    return { code: await run(argv), stdout, stderr };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}
