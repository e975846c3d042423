import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../daemon/bus/bus.js';
import type { Config } from '../../daemon/config/schema.js';
import type { Context, DaemonHandle } from '../../daemon/extension.js';
import { createLogger, type Logger } from '../../daemon/log.js';
import { Db } from '../../daemon/store/db.js';
import { migrate } from '../../daemon/store/migrations.js';
import { Recorder } from '../../daemon/store/recorder.js';
import { createServices } from '../../daemon/services.js';
import type { Backoff } from '../../daemon/telemetry/connection.js';
import { telemetryExtension, type TelemetryExtension } from '../../daemon/telemetry/extension.js';

/**
 * The real reporting pipeline in-process: Bus → Recorder (sqlite file) → outbox → Publisher →
 * mosquitto, with the real telemetry extension. What the daemon runs, minus lines and calls.
 */
export interface Rig {
  bus: Bus;
  db: Db;
  dir: string;
  recorder: Recorder;
  telemetry: TelemetryExtension;
  config: Config;
  log: Logger;
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

export type MqttSection = NonNullable<Config['mqtt']>;

export function rigConfig(dir: string, mqttSection: MqttSection, extra: Partial<Config> = {}): Config {
  return {
    site: 'hq',
    node: 'box1',
    lines: [{ id: 'gsm1', kind: 'gsm', modem: 'huawei', at_port: '/dev/null', voice_port: '/dev/null' }],
    agents: [{ extension: '801', name: 'Alice' }, { extension: '802', name: 'Bob' }],
    bot: { greeting: 'hello' },
    mqtt: mqttSection,
    storage: { dir },
    ...extra,
  };
}

export async function startRig(opts: { url?: string; dir?: string; mqtt?: Partial<MqttSection>; backoff?: Partial<Backoff>; daemon?: DaemonHandle; logLevel?: 'silent' | 'info' | 'debug'; checkEveryMs?: number; logDest?: NodeJS.WritableStream; config?: Partial<Config> }): Promise<Rig> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'fd-rig-')));
  const db = await Db.open(join(dir, 'frontdesk.db'));
  await migrate(db);
  const config = rigConfig(dir, { url: opts.url ?? 'mqtt://127.0.0.1:1', metrics_every: '1h', ...opts.mqtt }, opts.config);
  const log = createLogger({ level: opts.logLevel ?? 'silent', pretty: false, ...(opts.logDest ? { destination: opts.logDest } : {}) });
  const bus = new Bus();
  const services = createServices({ db, config: () => config });
  const recorder = new Recorder({ db, bus, log, writers: services.writers, state: services.store, outbox: { site: config.site, node: config.node, mask: config.storage?.mask_numbers_in_reports ?? true, bound: { maxEvents: config.mqtt?.outbox?.max_events ?? 1_000_000 } } });
  recorder.start();
  const telemetry = telemetryExtension({ backoff: opts.backoff ?? { minMs: 200, maxMs: 1000 }, ...(opts.checkEveryMs ? { checkEveryMs: opts.checkEveryMs } : {}) });
  const ctx: Context = { bus, db, log, config: () => config, accepting: () => true, services, ...(opts.daemon ? { daemon: opts.daemon } : {}) };
  await telemetry.start(ctx);
  return {
    bus,
    db,
    dir,
    recorder,
    telemetry,
    config,
    log,
    close: async (o = {}) => {
      await telemetry.stop();
      await recorder.stop();
      await db.close();
      if (!o.keepDir && !opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
