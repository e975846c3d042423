import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Envelope } from '../bus/events.js';
import type { Config, ConsoleConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension } from '../extension.js';
import type { AgentAction } from '../routing/feature-codes.js';
import type { WebRtcPhones } from '../../drivers/webrtc/phones.js';
import type { Leg, Line } from '../../drivers/line.js';
import { Sessions } from './auth.js';
import { LiveHub } from './hub.js';
import { LiveState } from './live-state.js';

export interface ConsoleDeps {
  /** The router's agent controls, handed over by the wiring (the console never reaches into the call core). */
  agentAction: (extension: string, action: AgentAction, reason?: string) => unknown;
  /** The call core's transfer: move a connected caller to another queue or agent. */
  transfer: (callId: string, to: { queue?: string; extension?: string }) => unknown;
  /** The call core's callback policy: ring an agent, then dial the caller. */
  callBack: (callId: string) => Promise<string>;
  /** A supervisor's browser phone joins a connected call: listen, whisper (to the agent) or barge. */
  listen: (callId: string, ear: Leg, mode: 'listen' | 'whisper' | 'barge') => void;
  /** Hand a web caller's leg to the call core, as a line would. */
  incoming: (leg: Leg, line: Line) => void;
  /** Browser phones: the workbench rings, answers and talks through them. */
  phones: WebRtcPhones;
  /** Knowledge-base entries matching a text, best first (the workbench's search); undefined: no knowledge base. */
  searchKnowledge?: (text: string) => { id: string; title: string; answer: string; score: number }[] | undefined;
}

/** "127.0.0.1:8080", "[::1]:8443" → host and port. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`console.listen "${s}" is not address:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * The staff console (console: in the config): a web server for wallboard and agent workbench, fed
 * by the bus. Off unless configured; a reload applies users and session lifetime, and restarts the
 * server when the address or TLS files change.
 */
export class ConsoleExtension implements Extension {
  readonly name = 'console';
  private ctx!: Context;
  private server: FastifyInstance | undefined;
  private hub: LiveHub | undefined;
  private sessions: Sessions | undefined;
  private off: (() => void) | undefined;
  private running: ConsoleConfig | undefined;

  constructor(private readonly deps: ConsoleDeps) {}

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    await this.open(ctx.config());
  }

  private async open(cfg: Config): Promise<void> {
    const c = cfg.console;
    if (!c) return;
    const ctx = this.ctx;
    const log = ctx.log.child({ component: 'console' });
    // Events arriving while the state is seeded from the store are applied after it, in order.
    const early: Envelope[] = [];
    let hub: LiveHub | undefined;
    this.off = ctx.bus.onAny((ev) => void (hub ? hub.onEvent(ev) : early.push(ev)));
    const state = new LiveState();
    await state.seed(cfg, ctx.db);
    const live = new LiveHub(state, { db: ctx.db, config: () => ctx.config(), log });
    await live.start();
    hub = live;
    for (const ev of early.splice(0)) live.onEvent(ev);
    const sessions = new Sessions(durationOr(c.session_ttl, '12h'));
    sessions.onDropped((s) => live.closeSession(s.id));
    this.deps.phones.setNetworks(c.webrtc?.networks);
    const tls = c.tls ? { cert: await readFile(c.tls.cert), key: await readFile(c.tls.key) } : undefined;
    // The web stack (fastify and its plugins) is loaded only on a box whose console is on.
    const { buildServer } = await import('./server.js');
    const server = await buildServer({ config: () => ctx.config(), db: ctx.db, log, hub: live, state, sessions, agentAction: this.deps.agentAction, transfer: this.deps.transfer, callBack: this.deps.callBack, listen: this.deps.listen, incoming: this.deps.incoming, phones: this.deps.phones, ...(this.deps.searchKnowledge ? { searchKnowledge: this.deps.searchKnowledge } : {}), ...(tls ? { tls } : {}) });
    const { host, port } = parseListen(c.listen ?? '127.0.0.1:8080');
    await server.listen({ host, port });
    Object.assign(this, { server, hub: live, sessions, running: c });
    log.info({ listen: `${host}:${(server.server.address() as { port: number }).port}`, tls: Boolean(tls), users: c.users.length }, 'console listening');
  }

  private async close(): Promise<void> {
    this.deps.phones.closeAll();
    this.off?.();
    this.hub?.close();
    await this.server?.close();
    this.server = this.hub = this.sessions = this.off = this.running = undefined;
  }

  async reload(next: Config): Promise<void> {
    const c = next.console;
    const r = this.running;
    if (r && c && r.listen === c.listen && JSON.stringify(r.tls) === JSON.stringify(c.tls)) {
      this.sessions!.setTtl(durationOr(c.session_ttl, '12h'));
      this.deps.phones.setNetworks(c.webrtc?.networks);
      // Logins of removed users, or users whose role or extension changed, end now.
      const users = new Map(c.users.map((u) => [u.name, u]));
      this.sessions!.retain((u) => users.get(u.name)?.role === u.role && users.get(u.name)?.extension === u.extension);
      this.running = c;
      return;
    }
    await this.close();
    await this.open(next);
  }

  async stop(): Promise<void> {
    await this.close();
  }

  status(): string | undefined {
    return this.hub ? `console ${this.hub.size} stream(s)` : undefined;
  }
}
