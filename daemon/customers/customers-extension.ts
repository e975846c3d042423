import type { Config } from '../config/schema.js';
import type { Context, Extension } from '../extension.js';
import { registerWriter } from '../store/recorder.js';
import { registerWebhookWriters, WebhookSender } from './webhook.js';

let current: Config | undefined;
let writersRegistered = false;

/**
 * Customer records' outward side: the CRM webhook. Chosen events are queued for the CRM in the
 * same transaction as their record (webhook_outbox) and delivered by the sender, which survives
 * restarts and CRM outages.
 */
export class CustomersExtension implements Extension {
  readonly name = 'customers';
  private sender: WebhookSender | undefined;

  async start(ctx: Context): Promise<void> {
    current = ctx.config();
    if (!writersRegistered) {
      registerWebhookWriters(registerWriter, () => current);
      writersRegistered = true;
    }
    this.sender = new WebhookSender({
      db: ctx.db,
      log: ctx.log.child({ component: 'webhook' }),
      config: () => ctx.config(),
      alarm: (active, message) => {
        ctx.log.warn({ event: 'alarm', code: 'webhook-failing', active, message }, 'alarm');
        ctx.bus.emit('alarm', { code: 'webhook-failing', source: 'webhook', severity: 'warning', active, message });
      },
    });
    this.sender.start();
  }

  async reload(next: Config): Promise<void> {
    current = next;
  }

  async stop(): Promise<void> {
    await this.sender?.stop();
  }
}
