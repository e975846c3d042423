/**
 * A config fault found on the call path (the loader should have refused it; a file may also have
 * gone since): the call takes its safe path, and this tells the operator which key to fix — a log
 * line on every occurrence and one `config-error` alarm per config and key (a reload brings a new
 * config object, which raises afresh if the fault is still there).
 */
export interface ConfigFaultSink {
  alarm: (a: { code: 'config-error'; source: string; active: true; severity: 'critical' | 'warning'; message: string }) => void;
  log: { error: (o: object, msg: string) => void };
}

const raised = new WeakMap<object, Set<string>>();

export function reportConfigFault(cfg: object, key: string, problem: string, fallback: string, sink: ConfigFaultSink, severity: 'critical' | 'warning' = 'critical', err?: unknown): void {
  sink.log.error({ key, problem, ...(err ? { err } : {}) }, `config error at run time: fix ${key} in the config file (check-config shows it); ${fallback}`);
  const keys = raised.get(cfg) ?? new Set<string>();
  raised.set(cfg, keys);
  if (keys.has(key)) return;
  keys.add(key);
  sink.alarm({ code: 'config-error', source: key, active: true, severity, message: `${key}: ${problem}; ${fallback}` });
}
