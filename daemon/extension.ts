import type { Logger } from './log.js';
import type { Bus } from './bus/bus.js';
import type { Db } from './store/db.js';
import type { Config } from './config/schema.js';

/** What every feature of the daemon is handed: the shared bus, store, logger and current config. */
export interface Context {
  readonly bus: Bus;
  readonly db: Db;
  readonly log: Logger;
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

/**
 * One feature of the daemon (lines, call core, telemetry, ...), started and stopped by the App in
 * order, in the manner of zigbee2mqtt's extensions. Extensions talk to each other only through the
 * bus or through interfaces the App hands them, never by reaching into each other.
 */
export interface Extension {
  readonly name: string;
  start(ctx: Context): Promise<void>;
  /** Stop promptly; the App has already drained calls. */
  stop(): Promise<void>;
  /** Apply a new, already-validated config. Throw to keep the old one (the App logs it). */
  reload?(next: Config, prev: Config): Promise<void>;
  /** Re-read files of its own (SIGHUP), also when the config file itself is unchanged. */
  reread?(): Promise<void>;
  /** Calls in progress, for draining. */
  activeCalls?(): number;
  /** False when this feature is stuck; the systemd watchdog is then not fed. */
  healthy?(): boolean;
  /** A short phrase for systemd's STATUS= line. */
  status?(): string | undefined;
}
