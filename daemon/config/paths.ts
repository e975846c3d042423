import { join } from 'node:path';
import type { Config } from './schema.js';

/** Where records, recordings, voicemail and the TTS cache live when `storage.dir` is not set. */
export const DEFAULT_DATA_DIR = '/var/lib/frontdesk';

type Storage = Pick<Config, 'storage'>;

/** The data directory a config names (one place for the default). */
export function dataDir(config: Storage): string {
  return config.storage?.dir ?? DEFAULT_DATA_DIR;
}

/** Call recordings (storage.record_calls). */
export const recordingsDir = (config: Storage): string => join(dataDir(config), 'recordings');
/** Voicemail messages. */
export const voicemailDir = (config: Storage): string => join(dataDir(config), 'voicemail');
/** Synthesised prompts kept between calls. */
export const ttsCacheDir = (config: Storage): string => join(dataDir(config), 'tts-cache');
/** Where relative speech model paths are looked up. */
export const modelsDir = (config: Storage): string => join(dataDir(config), 'models');

/** The data paths under the config in force (handed to extensions as a service). */
export interface Paths {
  data(): string;
  recordings(): string;
  voicemail(): string;
  ttsCache(): string;
  models(): string;
}

export function pathsOf(config: () => Storage): Paths {
  return { data: () => dataDir(config()), recordings: () => recordingsDir(config()), voicemail: () => voicemailDir(config()), ttsCache: () => ttsCacheDir(config()), models: () => modelsDir(config()) };
}
