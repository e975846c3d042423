/**
 * Config validation time against file size: node dist/scripts/bench-config.js
 * Builds invalid configs of growing size (every queue with a bad time range, a bad strategy and a
 * misspelt key; agents with unknown keys and bad durations) and times parseConfig on each. Roughly
 * linear is the goal: ms per KB should stay about flat. Issue 12: a 190 KB invalid config took 11-12 s.
 * Then the longest stall of the main event loop (a 5 ms timer's worst lateness) while a running
 * daemon would reload the 190 KB file: validated in this thread, and in a worker (what reload does).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, loadConfigFile, ConfigError } from '../daemon/config/load.js';
import { loadConfigFileOffThread } from '../daemon/config/off-thread.js';
import { invalidConfig } from './lib/big-config.js';

/** CPU time (user + system) of one parse: the machine may be busy, and wall time would measure that. */
function time(text: string): { ms: number; issues: number } {
  const t0 = process.cpuUsage();
  let issues = 0;
  try {
    parseConfig(text, 'bench.yaml', {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues.length;
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, issues };
}

time(invalidConfig(10)); // warm up: schema compilation
for (const kb of [25, 50, 100, 190, 380]) {
  const text = invalidConfig(kb);
  const runs = [time(text), time(text), time(text)].sort((a, b) => a.ms - b.ms);
  const best = runs[0]!;
  console.log(`${(text.length / 1024).toFixed(0).padStart(4)} KB invalid config: ${best.ms.toFixed(0).padStart(5)} ms CPU (best of 3), ${(best.ms / (text.length / 1024)).toFixed(2)} ms/KB, ${best.issues} problems`);
}

/** The worst lateness of a 5 ms timer while `work` runs: what a frame clock on this loop would suffer. */
async function stall(work: () => Promise<unknown>): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  await work().catch(() => undefined); // only the main loop's lag is measured here; the load's result doesn't matter
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(timer);
  return worst;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-config-'));
const file = join(dir, 'frontdesk.yaml');
await writeFile(file, invalidConfig(190));
await loadConfigFileOffThread(file, {}).catch(() => undefined); // warm up the worker path
const best = async (work: () => Promise<unknown>): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < 5; i++) min = Math.min(min, await stall(work));
  return min;
};
const idle = await best(() => new Promise((r) => setTimeout(r, 300)));
const inThread = await best(() => loadConfigFile(file, {}));
const offThread = await best(() => loadConfigFileOffThread(file, {}));
console.log(`reloading the 190 KB invalid config, longest event-loop stall (best of 5): ${inThread.toFixed(0)} ms validated in the main thread, ${offThread.toFixed(0)} ms in a worker (what reload does); ${idle.toFixed(0)} ms with nothing to do`);
await rm(dir, { recursive: true, force: true });
