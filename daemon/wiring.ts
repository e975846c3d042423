import type { Config } from './config/schema.js';
import type { Extension } from './extension.js';
import { LinesExtension } from './lines/lines.js';
import { CallsExtension } from './calls/calls-extension.js';
import { SpeechExtension } from './speech/speech-extension.js';
import { StoreExtension } from './store/store-extension.js';
import { registerCallWriters } from './calls/cdr.js';
import { RetentionExtension } from './store/retention.js';
import { telemetryExtension } from './telemetry/extension.js';
import { ConsoleExtension } from './console/extension.js';
import { WebRtcPhones } from '../drivers/webrtc/phones.js';
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
 * call core, then the staff console (it listens on the bus and is handed the router's agent
 * controls). Stopped in reverse order.
 */
export function buildExtensions(_config: Config): Extension[] {
  const lines = new LinesExtension();
  const speech = new SpeechExtension();
  const knowledge = new KnowledgeExtension();
  const phones = new WebRtcPhones();
  const calls = new CallsExtension(lines, speech, knowledge, phones);
  // SMS hears replies and reports before the lines start; its sender runs only while they are up
  // (after the call core, which must take calls as soon as the lines are up).
  const sms = new SmsExtension(lines);
  const console = new ConsoleExtension({ agentAction: (ext, action, reason) => calls.agentAction(ext, action, reason), transfer: (callId, to) => calls.transfer(callId, to), callBack: (callId) => calls.callBack(callId), listen: (callId, ear, mode) => calls.listen(callId, ear, mode), incoming: (leg, line) => calls.incoming(leg, line), phones, searchKnowledge: (text) => (knowledge.current() ? knowledge.search(text) : undefined) });
  return [new StoreExtension([registerCallWriters]), new RetentionExtension(), telemetryExtension(), new ConfigFaultsExtension(), knowledge, new QualityExtension(), speech, new CustomersExtension(), sms, new TicketsExtension(sms), lines, calls, sms.sender, new OriginateExtension(lines, calls), new CampaignsExtension(lines, calls), console];
}
