import type { Config } from '../config/schema.js';
import type { Context, Extension, Prepared } from '../extension.js';
import { Campaigns } from './campaigns.js';
import { Originator } from './originate.js';

/** Follow-up campaigns as a daemon feature; off when the config has none. */
export class CampaignsExtension implements Extension {
  readonly name = 'campaigns';
  private campaigns: Campaigns | undefined;

  async start(ctx: Context): Promise<void> {
    const log = ctx.log.child({ component: 'campaigns' });
    const { lines, calls } = ctx.services;
    const originator = new Originator({ bus: ctx.bus, log, config: () => ctx.config(), lines, runBot: (leg) => calls.require().runBot(leg), dialGate: () => calls.require().dialGate });
    this.campaigns = new Campaigns({
      db: ctx.db,
      bus: ctx.bus,
      log,
      config: () => ctx.config(),
      originator,
      lineFree: (id) => {
        const h = lines.get(id)?.health();
        return Boolean(h && h.state === 'ready' && !h.inCall);
      },
    });
    await this.campaigns.start();
  }

  async prepare(next: Config): Promise<Prepared | undefined> {
    const c = this.campaigns;
    if (!c) return undefined;
    const lists = await c.read(next);
    return { commit: () => c.apply(lists) };
  }

  async stop(): Promise<void> {
    this.campaigns?.stop();
  }
}
