import type { Config } from './config/schema.js';
import type { Extension } from './extension.js';
import { telemetryExtension } from './telemetry/extension.js';

/**
 * Which extensions a config gets, in start order: lines, then the call core, then the listeners
 * (store recorder, telemetry). The features land here as they are built.
 */
export function buildExtensions(_config: Config): Extension[] {
  return [telemetryExtension()];
}
