import { Worker } from 'node:worker_threads';
import type { Db } from '../store/db.js';
import { computeKpis, type Kpis } from './kpi.js';

/** One KPI computation asked of the worker. */
export interface KpiRequest {
  id: number;
  file: string;
  from: number;
  to: number;
  serviceLevelMs: number;
  fcrWindowMs: number;
}
type KpiReply = { id: number; kpis: Kpis } | { id: number; failure: string };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (k: Kpis) => void; reject: (e: Error) => void }>();
let idleTimer: NodeJS.Timeout | undefined;

/**
 * The worker ends this long after its last answer: a burst (a console KPI page's days, the
 * metrics' two windows) reuses it, while between the minutely metrics the box does not keep a
 * second V8 isolate (about 8 MB; starting one costs a few hundred ms of CPU at low priority).
 */
export const KPI_WORKER_IDLE_MS = 5_000;

/** Whether a KPI worker is running now. */
export function kpiWorkerRunning(): boolean {
  return worker !== undefined;
}

function failAll(w: Worker, err: Error): void {
  if (worker !== w) return; // a worker that was let go; its successor's requests are not its own
  worker = undefined;
  clearTimeout(idleTimer);
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

/** The KPI worker, started on first use and kept while in use (module loading costs more than a computation); it never holds the process open. */
function kpiWorker(): Worker {
  clearTimeout(idleTimer);
  if (worker) return worker;
  const w = new Worker(new URL('./kpi-worker.js', import.meta.url));
  w.on('message', (m: KpiReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if ('kpis' in m) p.resolve(m.kpis);
    else p.reject(new Error(m.failure));
    if (pending.size === 0) {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (worker !== w || pending.size > 0) return;
        worker = undefined;
        void w.terminate(); // idle: nothing is waiting on it
      }, KPI_WORKER_IDLE_MS);
      idleTimer.unref();
    }
  });
  w.on('error', (err) => failAll(w, err));
  w.on('exit', (code) => failAll(w, new Error(`KPI worker exited (${code})`)));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  w.unref();
  worker = w;
  return w;
}

/**
 * computeKpis in a worker thread: over a day or a week of calls its queries return thousands of
 * rows, and turning them into objects and KPIs held the event loop (and so calls' audio) for tens
 * of ms. The worker reads the same database file on its own read-only connection (WAL: it sees
 * what is committed). If the worker cannot run, the KPIs are computed here as before.
 */
export async function kpisOffThread(db: Pick<Db, 'all' | 'file'>, window: { from: Date; to: Date }, serviceLevelMs: number, fcrWindowMs = 24 * 3600_000): Promise<Kpis> {
  try {
    const w = kpiWorker();
    const id = nextId++;
    return await new Promise<Kpis>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const req: KpiRequest = { id, file: db.file, from: window.from.getTime(), to: window.to.getTime(), serviceLevelMs, fcrWindowMs };
      w.postMessage(req);
    });
  } catch {
    return computeKpis(db, window, serviceLevelMs, fcrWindowMs);
  }
}
