import { join } from 'node:path';
import type { Leg, Line } from '../../drivers/line.js';
import type { Config } from '../config/schema.js';
import type { Context, Extension } from '../extension.js';
import { AgentPool } from '../routing/agents.js';
import { PromptResolver } from '../speech/prompts.js';
import { TtsEngine } from '../speech/tts.js';
import { DEFAULT_DATA_DIR } from '../app.js';
import type { LinesExtension } from '../lines/lines.js';
import { runInboundCall } from './runner.js';
import type { Call } from './call.js';

/**
 * The call core as a daemon feature: takes every incoming leg from the lines, runs it through the
 * bot and handoff, and keeps count of calls in progress (for draining and the watchdog).
 */
export class CallsExtension implements Extension {
  readonly name = 'calls';
  private readonly active = new Set<Promise<Call>>();
  private ctx!: Context;
  private agents!: AgentPool;
  private prompts!: PromptResolver;

  constructor(private readonly lines: LinesExtension) {
    lines.setIncomingHandler((leg, line) => this.onIncoming(leg, line));
  }

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    const cfg = ctx.config();
    this.agents = new AgentPool(cfg.agents ?? [], (a) => ctx.bus.emit('agent.state', { extension: a.extension, state: a.state }));
    for (const a of this.agents.all()) ctx.bus.emit('agent.state', { extension: a.extension, state: a.state });
    this.prompts = makePrompts(cfg, ctx);
  }

  private onIncoming(leg: Leg, line: Line): void {
    if (!this.ctx || !this.ctx.accepting()) {
      this.ctx?.log.warn({ lineId: line.id }, 'not accepting calls (stopping); rejecting');
      void leg.hangup('draining');
      return;
    }
    const cfg = this.ctx.config();
    const dataDir = cfg.storage?.dir ?? DEFAULT_DATA_DIR;
    const p = runInboundCall(leg, {
      bus: this.ctx.bus,
      log: this.ctx.log,
      config: () => this.ctx.config(),
      prompts: this.prompts,
      agents: this.agents,
      voicemailDir: join(dataDir, 'voicemail'),
      dialAgent: async (agent, opts) => {
        const sip = this.lines.sipEndpoint();
        if (!sip) throw new Error('no SIP endpoint to reach desk phones');
        return sip.dial(agent.contact ?? agent.extension, opts);
      },
    });
    this.active.add(p);
    void p.finally(() => this.active.delete(p));
  }

  activeCalls(): number {
    return this.active.size;
  }

  async reload(next: Config): Promise<void> {
    this.prompts = makePrompts(next, this.ctx);
  }

  async stop(): Promise<void> {
    this.agents?.close();
  }
}

function makePrompts(cfg: Config, ctx: Context): PromptResolver {
  const dataDir = cfg.storage?.dir ?? DEFAULT_DATA_DIR;
  const tts = new TtsEngine({ cacheDir: join(dataDir, 'tts-cache') });
  return new PromptResolver({ ...(cfg.speech?.prompts_dir ? { promptsDir: cfg.speech.prompts_dir } : {}), tts, log: ctx.log });
}
