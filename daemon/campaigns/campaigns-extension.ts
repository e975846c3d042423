import type { Leg, Line } from '../../drivers/line.js';
import type { Config } from '../config/schema.js';
import type { Context, Extension } from '../extension.js';
import { Campaigns } from './campaigns.js';
import { Originator } from './originate.js';
import type { DialGate } from '../routing/dial-policy.js';

/** Follow-up campaigns as a daemon feature; off when the config has none. */
export class CampaignsExtension implements Extension {
  readonly name = 'campaigns';
  private campaigns: Campaigns | undefined;

  constructor(
    private readonly lines: { get(id: string): Line | undefined; all(): Line[]; sipEndpoint(): Line | undefined },
    private readonly calls: { runBot(leg: Leg): void; readonly dialGate: DialGate },
  ) {}

  async start(ctx: Context): Promise<void> {
    const log = ctx.log.child({ component: 'campaigns' });
    const originator = new Originator({ bus: ctx.bus, log, config: () => ctx.config(), lines: this.lines, runBot: (leg) => this.calls.runBot(leg), dialGate: () => this.calls.dialGate });
    this.campaigns = new Campaigns({
      db: ctx.db,
      bus: ctx.bus,
      log,
      config: () => ctx.config(),
      originator,
      lineFree: (id) => {
        const h = this.lines.get(id)?.health();
        return Boolean(h && h.state === 'ready' && !h.inCall);
      },
    });
    await this.campaigns.start();
  }

  async reload(next: Config): Promise<void> {
    await this.campaigns?.load(next);
  }

  async stop(): Promise<void> {
    this.campaigns?.stop();
  }
}
