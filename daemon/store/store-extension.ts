import type { Config } from '../config/schema.js';
import type { Context, Extension } from '../extension.js';
import { registerCallWriters } from '../calls/cdr.js';
import { Recorder, registerWriter, type OutboxOptions } from './recorder.js';

let callWritersRegistered = false;

/**
 * The store as a daemon feature: the recorder that turns bus events into records (CDR, timeline,
 * SMS, alarms...) and, when MQTT reporting is configured, outbox rows in the same transaction.
 * It starts before the lines and stops after them, so no event is missed.
 */
export class StoreExtension implements Extension {
  readonly name = 'store';
  private recorder: Recorder | undefined;

  async start(ctx: Context): Promise<void> {
    if (!callWritersRegistered) {
      registerCallWriters(registerWriter);
      callWritersRegistered = true;
    }
    this.recorder = new Recorder({ db: ctx.db, bus: ctx.bus, log: ctx.log, outbox: outboxOptions(ctx.config()) });
    this.recorder.start();
  }

  async reload(next: Config): Promise<void> {
    this.recorder?.setOutbox(outboxOptions(next));
  }

  /** Resolves once every event so far is committed. */
  flushed(): Promise<void> {
    return this.recorder?.flushed() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.recorder?.stop();
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
