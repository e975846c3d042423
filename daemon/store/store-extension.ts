import type { Config } from '../config/schema.js';
import type { Context, Extension, Prepared } from '../extension.js';
import { isStoreFault } from './db.js';
import { Journal } from './journal.js';
import { Recorder, type OutboxOptions } from './recorder.js';
import { recoverAfterCrash } from './recovery.js';

/**
 * The store as a daemon feature: the recorder that turns bus events into records (CDR, timeline,
 * SMS, alarms..., through the writers features put in the app's writer registry) and, when MQTT
 * reporting is configured, outbox rows in the same transaction. It starts before the lines and
 * stops after them, so no event is missed. At start it first replays what the fallback journal
 * holds from a previous run, then closes the calls a crashed run left open (the agents it left in
 * a call are the agent pool's to free).
 */
export class StoreExtension implements Extension {
  readonly name = 'store';
  private recorder: Recorder | undefined;
  private journal: Journal | undefined;

  async start(ctx: Context): Promise<void> {
    const dir = ctx.config().storage?.fallback_dir;
    this.journal = dir ? new Journal(dir) : undefined;
    this.recorder = new Recorder({ db: ctx.db, bus: ctx.bus, log: ctx.log, writers: ctx.services.writers, state: ctx.services.store, outbox: outboxOptions(ctx.config()), ...(this.journal ? { journal: this.journal } : {}) });
    this.recorder.start();
    const replayed = await this.recorder.replayJournal().catch((err: unknown) => {
      ctx.log.error({ err }, 'store: cannot read the fallback journal');
      return 0;
    });
    const startedAt = ctx.daemon?.startedAt ?? Date.now();
    // Recovery needs the replayed records in the store (with a failing store it waits for it), and
    // its own events committed before telemetry seeds its retained state from the store.
    const rec = this.recorder;
    const recovery = rec
      .flushed()
      .then(() => recoverWhenReadable(ctx, startedAt, replayed))
      .then(() => rec.flushed())
      .catch((err: unknown) => ctx.log.error({ err }, 'crash recovery failed'));
    // A ref'd timer: with the database not open, nothing else keeps the process alive yet.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([recovery, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
  }

  async prepare(next: Config): Promise<Prepared> {
    const outbox = outboxOptions(next);
    return { commit: async () => this.recorder?.setOutbox(outbox) };
  }

  /** Resolves once every event so far is committed. */
  flushed(): Promise<void> {
    return this.recorder?.flushed() ?? Promise.resolve();
  }

  healthy(): boolean {
    // A failing store does not stop calls; the watchdog must not restart the box for it.
    return true;
  }

  status(): string | undefined {
    const h = this.recorder?.health;
    if (!h?.failing) return undefined;
    return `store failing (${h.pending} event(s) kept${h.journal ? `, journal ${h.journal.ok ? 'ok' : 'failing'}` : ''})`;
  }

  async stop(): Promise<void> {
    await this.recorder?.stop();
    await this.journal?.close();
  }
}

/** Crash recovery reads the store: while it cannot be opened, try again every few seconds. */
async function recoverWhenReadable(ctx: Context, startedAt: number, replayed: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await recoverAfterCrash(ctx, startedAt, replayed);
      return;
    } catch (err) {
      if (!isStoreFault(err) || i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 3000).unref());
    }
  }
}

export function outboxOptions(cfg: Config): OutboxOptions | null {
  if (!cfg.mqtt) return null;
  return {
    site: cfg.site,
    node: cfg.node,
    mask: cfg.storage?.mask_numbers_in_reports ?? true,
    bound: { maxEvents: cfg.mqtt.outbox?.max_events ?? 1_000_000 },
  };
}
