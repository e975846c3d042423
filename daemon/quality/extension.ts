import type { Context, Extension } from '../extension.js';
import { gatherFacts } from './facts.js';
import { scoreCall } from './rules.js';
import { registerQualityWriters } from './writers.js';

/**
 * Quality inspection as a daemon feature: when a call that an agent answered ends, it is measured
 * (two-leg recording, CDR, timeline, survey, emotion, transcript) and scored by the rules in
 * `quality`; `quality.scored` carries the score and evidence (stored, published on MQTT),
 * `quality.flagged` follows for calls that need a supervisor's look.
 */
export class QualityExtension implements Extension {
  readonly name = 'quality';
  readonly writers = registerQualityWriters;
  private ctx!: Context;
  private off: (() => void) | undefined;
  private readonly pending = new Set<Promise<void>>();

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    this.off = ctx.bus.on('call.ended', (e) => {
      if (ctx.config().quality?.enabled === false) return;
      const p = this.inspect(e.data.callId).finally(() => this.pending.delete(p));
      this.pending.add(p);
    });
  }

  /** Score one ended call; resolves when its events are emitted (or it was not an agent call). */
  async inspect(callId: string): Promise<void> {
    // Let the store commit the call's last events first (the recorder queues them; see StoreState.flushed).
    await this.ctx.services.store.flushed();
    try {
      const facts = await gatherFacts(this.ctx.db, callId);
      if (!facts) return;
      const s = scoreCall(facts, this.ctx.config().quality);
      const agent = facts.agent ? { agent: facts.agent } : {};
      this.ctx.log.info({ callId, ...agent, score: s.score, flagged: s.flagged, rules: s.findings.map((f) => f.rule) }, 'quality.scored');
      this.ctx.bus.emit('quality.scored', { callId, ...agent, score: s.score, flagged: s.flagged, findings: s.findings, metrics: s.metrics });
      if (s.flagged) this.ctx.bus.emit('quality.flagged', { callId, ...agent, score: s.score, findings: s.findings });
    } catch (err) {
      this.ctx.log.error({ err, callId }, 'quality inspection failed');
    }
  }

  async stop(): Promise<void> {
    this.off?.();
    await Promise.allSettled([...this.pending]);
  }
}
