import type { Config } from './config/schema.js';
import type { Db } from './store/db.js';

import { localeOf, type Locale } from './config/locale.js';
import { pathsOf, type Paths } from './config/paths.js';
import { CommandRegistry } from './telemetry/commands.js';
import { StoreState, WriterRegistry } from './store/recorder.js';
import { CallRecords } from './store/call-records.js';
import { CaptureHooks } from './calls/capture.js';
import { LineRegistry } from './lines/registry.js';
import { SpeechHub } from './speech/hub.js';
import { WebRtcPhones } from '../drivers/webrtc/phones.js';
import type { CallControl } from './calls/calls-extension.js';
import type { SmsService } from './sms/sms-extension.js';
import type { KnowledgeService } from './knowledge/extension.js';

/**
 * What one feature offers the others, once it runs (the call core's controls, SMS sending, the
 * knowledge base): the owner provides it at start and withdraws it at stop; users look it up when
 * they need it, so nobody holds another extension.
 */
export class Port<T> {
  private impl: T | undefined;

  constructor(readonly name: string) {}

  provide(impl: T): () => void {
    this.impl = impl;
    return () => {
      if (this.impl === impl) this.impl = undefined;
    };
  }

  get(): T | undefined {
    return this.impl;
  }

  /** The provider, or an error that says which feature is not running. */
  require(): T {
    if (this.impl === undefined) throw new Error(`${this.name} is not running`);
    return this.impl;
  }
}

/**
 * The shared services of one daemon: built by the App once its store is open, handed to every
 * extension in its Context. No feature keeps process-wide state; two Apps in one process share
 * nothing.
 */
export interface Services {
  /** The phone lines in service; incoming calls go through it to the call core. */
  readonly lines: LineRegistry;
  /** Speech streams for calls (the speech extension puts the worker in). */
  readonly speech: SpeechHub;
  /** MQTT commands: features add theirs, telemetry serves them. */
  readonly commands: CommandRegistry;
  /** Record writers: features' event → row writers, read by the store's recorder. */
  readonly writers: WriterRegistry;
  /** The store's health and "wait until written". */
  readonly store: StoreState;
  /** What the call core reads back from the store. */
  readonly callRecords: CallRecords;
  /** Hooks run when the bot captures a detail (tickets). */
  readonly captures: CaptureHooks;
  /** Browser phones (agents whose contact is webrtc). */
  readonly phones: WebRtcPhones;
  /** The call core's controls (console, originate, campaigns). */
  readonly calls: Port<CallControl>;
  /** Sending SMS (tickets). */
  readonly sms: Port<SmsService>;
  /** The knowledge base in force (the call core). */
  readonly knowledge: Port<KnowledgeService>;
  /** The language of calls and its text table, under the config in force. */
  readonly locale: Locale;
  /** Data paths under the config in force (storage.dir). */
  readonly paths: Paths;
}

export function createServices(o: { db: Db; config: () => Config }): Services {
  return {
    lines: new LineRegistry(),
    speech: new SpeechHub(),
    commands: new CommandRegistry(),
    writers: new WriterRegistry(),
    store: new StoreState(),
    callRecords: new CallRecords(o.db),
    captures: new CaptureHooks(),
    phones: new WebRtcPhones(),
    calls: new Port('the call core'),
    sms: new Port('SMS'),
    knowledge: new Port('the knowledge base'),
    locale: localeOf(o.config),
    paths: pathsOf(o.config),
  };
}
