import type { Config } from './config/schema.js';
import type { Extension } from './extension.js';
import { LinesExtension } from './lines/lines.js';
import { CallsExtension } from './calls/calls-extension.js';
import { SpeechExtension } from './speech/speech-extension.js';
import { StoreExtension } from './store/store-extension.js';
import { RetentionExtension } from './store/retention.js';
import { telemetryExtension } from './telemetry/extension.js';
import { ConsoleExtension } from './console/extension.js';
import { SmsExtension } from './sms/sms-extension.js';
import { TicketsExtension } from './tickets/tickets-extension.js';
import { OriginateExtension } from './campaigns/originate-extension.js';
import { CustomersExtension } from './customers/customers-extension.js';
import { CampaignsExtension } from './campaigns/campaigns-extension.js';
import { KnowledgeExtension } from './knowledge/extension.js';
import { QualityExtension } from './quality/extension.js';
import { ConfigFaultsExtension } from './config/faults.js';

/**
 * Which extensions a config gets, in start order: the store's recorder first (so it hears every
 * event), then the speech worker (it loads models while lines come up), then lines, then the
 * call core, then the staff console. Stopped in reverse order. None is handed another: they meet
 * in the services the App puts in their context (services.ts).
 */
export function buildExtensions(_config: Config): Extension[] {
  // SMS hears replies and reports before the lines start; its sender runs only while they are up
  // (after the call core, which must take calls as soon as the lines are up).
  const sms = new SmsExtension();
  return [new StoreExtension(), new RetentionExtension(), telemetryExtension(), new ConfigFaultsExtension(), new KnowledgeExtension(), new QualityExtension(), new SpeechExtension(), new CustomersExtension(), sms, new TicketsExtension(), new LinesExtension(), new CallsExtension(), sms.sender, new OriginateExtension(), new CampaignsExtension(), new ConsoleExtension()];
}
