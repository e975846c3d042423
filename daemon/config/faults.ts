import type { Context, Extension, Prepared } from '../extension.js';

/**
 * A config fault found on the call path (the loader should have refused it; a file may also have
 * gone since): the call takes its safe path, and this tells the operator which key to fix — a log
 * line on every occurrence and one `config-error` alarm per config and key. The alarms belong to
 * the config they were found in: a new config (reload, or a restart) clears them, and the next call
 * raises them again if the fault is still there.
 */
export interface ConfigFaultSink {
  alarm: (a: { code: 'config-error'; source: string; active: true; severity: 'critical' | 'warning'; message: string }) => void;
  log: { error: (o: object, msg: string) => void };
}

export const CONFIG_ERROR = 'config-error';

const raised = new WeakMap<object, Set<string>>();
export function reportConfigFault(cfg: object, key: string, problem: string, fallback: string, sink: ConfigFaultSink, severity: 'critical' | 'warning' = 'critical', err?: unknown): void {
  sink.log.error({ key, problem, ...(err ? { err } : {}) }, `config error at run time: fix ${key} in the config file (check-config shows it); ${fallback}`);
  const keys = raised.get(cfg) ?? new Set<string>();
  raised.set(cfg, keys);
  if (keys.has(key)) return;
  keys.add(key);
  sink.alarm({ code: CONFIG_ERROR, source: key, active: true, severity, message: `${key}: ${problem}; ${fallback}` });
}

/** Clears config-error alarms when a new config comes into force: at start (left from the last run) and on reload. */
export class ConfigFaultsExtension implements Extension {
  readonly name = 'config-faults';
  private ctx: Context | undefined;
  /** Keys alarmed since the config in force was applied (heard on the bus), to clear when another one is. */
  private readonly active = new Set<string>();
  private off: (() => void) | undefined;

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    this.off = ctx.bus.on('alarm', (e) => {
      if (e.data.code === CONFIG_ERROR && e.data.active) this.active.add(e.data.source ?? '');
    });
    // A store that cannot be read now (not open yet) must not stop the daemon from starting.
    const left = await ctx.db.all<{ source: string }>('SELECT source FROM alarms WHERE code = ? AND active = 1', [CONFIG_ERROR]).catch(() => []);
    for (const r of left) this.clear(r.source);
  }

  async prepare(): Promise<Prepared> {
    return {
      commit: async () => {
        const keys = [...this.active];
        this.active.clear();
        for (const key of keys) this.clear(key);
      },
    };
  }

  async stop(): Promise<void> {
    this.off?.();
  }

  private clear(source: string): void {
    const data = { code: CONFIG_ERROR, source, active: false, severity: 'warning' as const, message: 'a new config is in force; raised again by the next call if the fault is still there' };
    this.ctx?.log.info({ event: 'alarm', ...data }, 'alarm');
    this.ctx?.bus.emit('alarm', data);
  }
}
