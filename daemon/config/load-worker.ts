import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../../drivers/os/thread-priority.js';
import type { LoadOptions } from './load.js';

/**
 * Worker-thread entry for loadConfigFileOffThread: read, parse, validate and check one config file
 * away from the main event loop (calls' audio), and post the result back as plain data.
 */
// Calls' audio first: this thread only gets the CPU the main thread leaves, from before it loads
// the parser and the schema (a few hundred ms of work themselves).
lowerThisThreadPriority();
const { ConfigError, loadConfigFile, OFF_THREAD_ISSUES } = await import('./load.js');
const { file, env, opts } = workerData as { file: string; env: NodeJS.ProcessEnv; opts: LoadOptions };
try {
  parentPort!.postMessage({ loaded: await loadConfigFile(file, env, opts) });
} catch (err) {
  parentPort!.postMessage(err instanceof ConfigError ? { issues: err.issues.slice(0, OFF_THREAD_ISSUES), more: err.issues.length - Math.min(err.issues.length, OFF_THREAD_ISSUES) } : { failure: (err as Error).message });
}
