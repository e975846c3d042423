import type { Config } from './schema.js';

/** Where records, recordings, voicemail and the TTS cache live when `storage.dir` is not set. */
export const DEFAULT_DATA_DIR = '/var/lib/frontdesk';

/** The data directory a config names (one place for the default). */
export function dataDir(config: Pick<Config, 'storage'>): string {
  return config.storage?.dir ?? DEFAULT_DATA_DIR;
}
