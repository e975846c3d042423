import { parentPort } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../../drivers/os/thread-priority.js';
import type { KpiRequest } from './kpi-off-thread.js';

/**
 * Worker-thread entry for kpisOffThread: the KPI queries and their arithmetic over thousands of
 * calls, on a read-only connection of its own, away from the main event loop (calls' audio).
 */
lowerThisThreadPriority();
const { Db } = await import('../store/db.js');
const { computeKpis } = await import('./kpi.js');
type Reader = Awaited<ReturnType<typeof Db.open>>;
const readers = new Map<string, Reader>();

parentPort!.on('message', (req: KpiRequest) => {
  void (async () => {
    try {
      let db = readers.get(req.file);
      if (!db) {
        db = await Db.open(req.file, { readonly: true, busyTimeoutMs: 1000 });
        readers.set(req.file, db);
      }
      const kpis = await computeKpis(db, { from: new Date(req.from), to: new Date(req.to) }, req.serviceLevelMs, req.fcrWindowMs);
      parentPort!.postMessage({ id: req.id, kpis });
    } catch (err) {
      parentPort!.postMessage({ id: req.id, failure: (err as Error).message });
    }
  })();
});
