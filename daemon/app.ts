import { Bus } from './bus/bus.js';
import type { Config } from './config/schema.js';
import { ConfigError, formatIssue } from './config/issues.js';
import type { LoadedConfig } from './config/load.js';
import { loadConfigFileOffThread } from './config/off-thread.js';
import type { Context, Extension, Prepared } from './extension.js';
import { createServices, type Services } from './services.js';
import type { Logger } from './log.js';
import { reportNativeRelay } from './calls/relay-health.js';
import type { Db } from './store/db.js';
import { openStoreOrDefer } from './store/store.js';
import { isStoreFault } from './store/db.js';

export { DEFAULT_DATA_DIR } from './config/paths.js';
import { dataDir } from './config/paths.js';

export interface AppOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** Builds the extensions for a config; the App owns their lifecycle. */
  extensions: (config: Config) => Extension[];
}

/**
 * The daemon: holds the config, the store, the bus and the shared services, and runs the
 * extensions. It knows nothing of phone lines or SIP; those are extensions.
 */
export class App {
  readonly bus: Bus;
  private db!: Db;
  private svc: Services | undefined;
  private loaded: LoadedConfig;
  private exts: Extension[] = [];
  private draining = false;
  private readonly log: Logger;
  readonly startedAt = Date.now();

  constructor(private readonly opts: AppOptions) {
    this.loaded = opts.loaded;
    this.log = opts.log;
    this.bus = new Bus((err, ev) => this.log.error({ err, event: ev.type }, 'event subscriber failed'));
    reportNativeRelay(this.log, this.bus);
  }

  get config(): Config {
    return this.loaded.config;
  }
  get configHash(): string {
    return this.loaded.hash;
  }
  get configFile(): string {
    return this.loaded.file;
  }

  async start(): Promise<void> {
    const dir = dataDir(this.config);
    const store = await openStoreOrDefer(dir);
    this.db = store.db;
    if (store.error) this.log.error({ dir, err: store.error.message }, 'store cannot be opened; calls go on and events are kept until it can');
    else this.log.info({ dir }, 'store open');
    const services = (this.svc = createServices({ db: this.db, config: () => this.loaded.config }));
    const ctx: Context = {
      bus: this.bus,
      db: this.db,
      log: this.log,
      services,
      config: () => this.loaded.config,
      accepting: () => !this.draining,
      daemon: {
        startedAt: this.startedAt,
        configHash: () => this.configHash,
        configFile: () => this.configFile,
        reload: () => this.reload(),
        healthy: () => this.healthy(),
        activeCalls: () => this.activeCalls(),
      },
    };
    this.exts = this.opts.extensions(this.config);
    // Every feature's record writers are in before the store replays its journal or hears an event.
    for (const e of this.exts) if (e.writers) services.writers.install(e.writers);
    for (const e of this.exts) {
      try {
        await e.start(ctx);
      } catch (err) {
        // A feature that needs to write the store at start (campaigns, the SMS sender) must not keep
        // the box from answering calls while the store fails; it stays off until the next start.
        if (!isStoreFault(err)) throw err;
        this.log.error({ err, extension: e.name }, 'extension not started: the store cannot be written; calls go on without it');
        continue;
      }
      this.log.debug({ extension: e.name }, 'started');
    }
  }

  /**
   * Re-read the config file. A valid new config is handed to each extension; an invalid one is
   * logged with its errors and changes nothing.
   */
  async reload(): Promise<{ ok: boolean; errors?: string[] }> {
    let next: LoadedConfig;
    try {
      // Off the main thread: calls' audio keeps its pace while a big file is validated.
      next = await loadConfigFileOffThread(this.loaded.file);
    } catch (err) {
      // A huge broken file can have thousands of problems: the log, event and MQTT reply carry the first 50.
      const all = err instanceof ConfigError ? err.issues.map(formatIssue) : [String(err)];
      const total = all.length + (err instanceof ConfigError ? err.more : 0);
      const errors = total > 50 ? [...all.slice(0, 50), `... and ${total - 50} more (frontdesk check-config ${this.loaded.file} lists them all)`] : all;
      this.log.error({ errors, file: this.loaded.file, keeping: this.loaded.hash.slice(0, 12) }, 'config reload rejected; keeping the running config');
      this.bus.emit('system.reload', { ok: false, errors });
      return { ok: false, errors };
    }
    if (next.hash === this.loaded.hash) {
      this.log.info({ hash: next.hash.slice(0, 12) }, 'config unchanged');
      for (const e of this.exts) await e.reread?.();
      return { ok: true };
    }
    // Two phases: every extension first prepares (checks the new config, builds what it needs,
    // changes nothing); only when all of them could, all commit. A refusal applies nothing anywhere.
    const prev = this.loaded;
    const prepared: { name: string; p: Prepared }[] = [];
    for (const e of this.exts) {
      try {
        const p = await e.prepare?.(next.config, prev.config);
        if (p) prepared.push({ name: e.name, p });
      } catch (err) {
        const errors = [`${e.name}: ${(err as Error).message}`];
        this.log.error({ err, extension: e.name }, 'extension refused the new config; keeping the running config everywhere');
        for (const x of prepared.reverse()) await x.p.abort?.().catch((e2: unknown) => this.log.warn({ err: e2, extension: x.name }, 'could not drop what was prepared'));
        this.bus.emit('system.reload', { ok: false, errors });
        return { ok: false, errors };
      }
    }
    this.loaded = next;
    for (const { name, p } of prepared) {
      try {
        await p.commit();
      } catch (err) {
        // The config is in force for everyone else; this feature runs on as its commit left it.
        this.log.error({ err, extension: name }, 'extension failed to apply the new config');
        this.bus.emit('alarm', { code: 'config-error', source: `reload:${name}`, active: true, severity: 'critical', message: `${name} could not apply the new config: ${(err as Error).message}` });
      }
    }
    this.log.info({ hash: next.hash.slice(0, 12) }, 'config reloaded');
    this.bus.emit('system.reload', { ok: true, configHash: next.hash });
    return { ok: true };
  }

  /** The shared services (after start). */
  get services(): Services | undefined {
    return this.svc;
  }

  activeCalls(): number {
    return this.exts.reduce((n, e) => n + (e.activeCalls?.() ?? 0), 0);
  }

  healthy(): boolean {
    return this.exts.every((e) => e.healthy?.() ?? true);
  }

  status(): string {
    const parts = this.exts.map((e) => e.status?.()).filter((s): s is string => Boolean(s));
    return [`config ${this.loaded.hash.slice(0, 12)}`, `${this.activeCalls()} call(s)`, ...parts].join(', ');
  }

  /** Stop taking calls, let calls in progress finish for up to graceMs, then stop everything. */
  async stop(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (this.activeCalls() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const left = this.activeCalls();
    if (left > 0) this.log.warn({ calls: left }, 'drain grace period over; ending calls in progress');
    for (const e of [...this.exts].reverse()) {
      try {
        await e.stop();
      } catch (err) {
        this.log.error({ err, extension: e.name }, 'extension failed to stop cleanly');
      }
    }
    await this.db?.close();
  }
}
