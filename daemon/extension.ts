import type { Logger } from './log.js';
import type { Bus } from './bus/bus.js';
import type { Db } from './store/db.js';
import type { Config } from './config/schema.js';
import type { Services } from './services.js';
import type { WriterSet } from './store/recorder.js';

/** What every feature of the daemon is handed: the shared bus, store, logger, services and current config. */
export interface Context {
  readonly bus: Bus;
  readonly db: Db;
  readonly log: Logger;
  /** The shared services the App built (lines, speech, commands, writers, ...); see services.ts. */
  readonly services: Services;
  /** The config in force; replaced on a successful reload. */
  config(): Config;
  /** Whether new calls may be accepted (false while draining). */
  accepting(): boolean;
  /** The daemon as a whole, for features that report on it or act on it (telemetry, console). */
  readonly daemon?: DaemonHandle;
}

export interface DaemonHandle {
  /** ms since the epoch. */
  readonly startedAt: number;
  /** sha256 of the config file in force. */
  configHash(): string;
  /** The config file in force (files it names are relative to it). */
  configFile(): string;
  /** Re-read the config file, as SIGHUP does. */
  reload(): Promise<{ ok: boolean; errors?: string[] }>;
  healthy(): boolean;
  activeCalls(): number;
}

/** What a feature built for a new config in the first phase of a reload, to apply in the second. */
export interface Prepared {
  /** Put the new config in force. Runs only once every feature has prepared; should not fail. */
  commit(): Promise<void>;
  /** Another feature refused the config: drop what was built (nothing was applied). */
  abort?(): Promise<void>;
}

/**
 * One feature of the daemon (lines, call core, telemetry, ...), started and stopped by the App in
 * order, in the manner of zigbee2mqtt's extensions. Extensions talk to each other only through the
 * bus or through the services in their Context, never by holding each other.
 */
export interface Extension {
  readonly name: string;
  start(ctx: Context): Promise<void>;
  /** Stop promptly; the App has already drained calls. */
  stop(): Promise<void>;
  /** Its record writers (event → rows); the App adds them to the store's registry before anything starts. */
  readonly writers?: WriterSet;
  /**
   * First phase of a reload: check an already-validated config against what this feature needs
   * (files it names, ...) and build what it can in advance, changing nothing in force. Throw to
   * refuse it: then no feature applies it. The returned commit runs once every feature prepared.
   */
  prepare?(next: Config, prev: Config): Promise<Prepared | undefined>;
  /** Re-read files of its own (SIGHUP), also when the config file itself is unchanged. */
  reread?(): Promise<void>;
  /** Calls in progress, for draining. */
  activeCalls?(): number;
  /** False when this feature is stuck; the systemd watchdog is then not fed. */
  healthy?(): boolean;
  /** A short phrase for systemd's STATUS= line. */
  status?(): string | undefined;
}
