import { Bus } from '../../daemon/bus/bus.js';
import { registerCallWriters } from '../../daemon/calls/cdr.js';
import type { Config } from '../../daemon/config/schema.js';
import type { Context, DaemonHandle, Extension } from '../../daemon/extension.js';
import { createLogger } from '../../daemon/log.js';
import { createServices } from '../../daemon/services.js';
import type { Db } from '../../daemon/store/db.js';
import { StoreExtension } from '../../daemon/store/store-extension.js';

/**
 * One feature in process, started the App's way on a real store: the call records' writers and the
 * feature's are installed before the store starts, then the feature starts. When the test ends the
 * feature and the store stop and `db` is closed.
 */
export async function startFeature(
  t: { teardown(fn: () => unknown): void },
  o: { db: Db; config: () => Config; feature: Extension; daemon?: DaemonHandle },
): Promise<{ ctx: Context; bus: Bus; store: StoreExtension }> {
  const { db, config, feature } = o;
  const bus = new Bus();
  const ctx: Context = { bus, db, log: createLogger({ level: 'silent', pretty: false }), config, accepting: () => true, services: createServices({ db, config }), ...(o.daemon ? { daemon: o.daemon } : {}) };
  const store = new StoreExtension();
  ctx.services.writers.install(registerCallWriters);
  if (feature.writers) ctx.services.writers.install(feature.writers);
  await store.start(ctx);
  await feature.start(ctx);
  t.teardown(async () => {
    await feature.stop();
    await store.stop();
    await db.close();
  });
  return { ctx, bus, store };
}
