import { Worker } from 'node:worker_threads';
import { ConfigError, type ConfigIssue } from './issues.js';
import type { LoadedConfig, LoadOptions } from './load.js';

/**
 * loadConfigFile in a worker thread, for the running daemon (at start and on every reload). The
 * YAML parser, the schema and its compiled validator (several MB of heap, and about 20 MB of
 * garbage while the validator compiles) live and die with the worker, so the daemon's main thread
 * never holds them; and a big (or hostile) file costs the main event loop, where calls' audio is
 * paced, nothing but the hand-over of the result. Same result and errors as loadConfigFile (the
 * first OFF_THREAD_ISSUES problems, and how many more); when no worker can run, it loads here.
 */
export async function loadConfigFileOffThread(file: string, env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { file, env: { ...env }, opts } });
    } catch {
      resolve(import('./load.js').then((m) => m.loadConfigFile(file, env, opts)));
      return;
    }
    let settled = false;
    worker.once('message', (m: { loaded?: LoadedConfig; issues?: ConfigIssue[]; more?: number; failure?: string }) => {
      settled = true;
      if (m.loaded) resolve(m.loaded);
      else if (m.issues) reject(new ConfigError(m.issues, m.more ?? 0));
      else reject(new Error(m.failure ?? 'config loader failed'));
      void worker.terminate(); // the answer is in; the worker's exit code tells nothing more
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`config loader exited with code ${code}`));
      settled = true;
    });
  });
}
