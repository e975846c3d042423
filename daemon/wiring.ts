import type { Config } from './config/schema.js';
import type { Extension } from './extension.js';
import { LinesExtension } from './lines/lines.js';
import { CallsExtension } from './calls/calls-extension.js';
import { SpeechExtension } from './speech/speech-extension.js';
import { StoreExtension } from './store/store-extension.js';
import { RetentionExtension } from './store/retention.js';
import { telemetryExtension } from './telemetry/extension.js';
import { KnowledgeExtension } from './knowledge/extension.js';
import { QualityExtension } from './quality/extension.js';
import { ConfigFaultsExtension } from './config/faults.js';

/**
 * Which extensions a config gets, in start order: the store's recorder first (so it hears every
 * event), then the speech worker (it loads models while lines come up), then lines, then the
 * call core. Stopped in reverse order.
 */
export function buildExtensions(_config: Config): Extension[] {
  const lines = new LinesExtension();
  const speech = new SpeechExtension();
  const knowledge = new KnowledgeExtension();
  const calls = new CallsExtension(lines, speech, knowledge);
  return [new StoreExtension(), new RetentionExtension(), telemetryExtension(), new ConfigFaultsExtension(), knowledge, new QualityExtension(), speech, lines, calls];
}
