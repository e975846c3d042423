import type { Config } from '../config/schema.js';
import type { Context, Extension } from '../extension.js';
import { featureAlarm } from '../bus/alarm.js';
import type { WriterSet } from '../store/recorder.js';
import { registerWebhookWriters, WebhookSender } from './webhook.js';

/**
 * Customer records' outward side: the CRM webhook. Chosen events are queued for the CRM in the
 * same transaction as their record (webhook_outbox) and delivered by the sender, which survives
 * restarts and CRM outages.
 */
export class CustomersExtension implements Extension {
  readonly name = 'customers';
  private sender: WebhookSender | undefined;
  private config: (() => Config) | undefined;
  /** Which events the CRM hears is read from the config in force when each event is written. */
  readonly writers: WriterSet = (register) => registerWebhookWriters(register, () => this.config?.());

  async start(ctx: Context): Promise<void> {
    this.config = () => ctx.config();
    this.sender = new WebhookSender({
      db: ctx.db,
      log: ctx.log.child({ component: 'webhook' }),
      config: () => ctx.config(),
      alarm: featureAlarm(ctx, 'webhook-failing', 'webhook'),
    });
    this.sender.start();
  }

  async stop(): Promise<void> {
    await this.sender?.stop();
  }
}
