import { readFile } from 'node:fs/promises';
import type { Envelope } from '../bus/events.js';
import type { Config, ConsoleConfig } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension, Prepared } from '../extension.js';
import type { AgentAction } from '../routing/feature-codes.js';
import type { WebRtcPhones } from '../../drivers/webrtc/phones.js';
import type { Leg, Line } from '../../drivers/line.js';
import { Sessions } from './auth.js';
import { LiveHub } from './hub.js';
import { LiveState } from './live-state.js';
import type { HttpApp } from './http.js';

/** What the console's server uses of the rest of the box, taken from the app's services. */
export interface ConsoleDeps {
  /** The router's agent controls (the call core's, through the services; the console never reaches into it). */
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

/** The console's view of the services: the call core's controls (looked up when used) and the browser phones. */
function consoleDeps(ctx: Context): ConsoleDeps {
  const { calls, lines, phones, knowledge } = ctx.services;
  return {
    agentAction: (ext, action, reason) => calls.require().agentAction(ext, action, reason),
    transfer: (callId, to) => calls.require().transfer(callId, to),
    callBack: (callId) => calls.require().callBack(callId),
    listen: (callId, ear, mode) => calls.require().listen(callId, ear, mode),
    incoming: (leg, line) => lines.incoming(leg, line),
    phones,
    searchKnowledge: (text) => {
      const kb = knowledge.get();
      return kb?.current() ? kb.search(text) : undefined;
    },
  };
}

/**
 * The staff console (console: in the config): a web server for wallboard and agent workbench, fed
 * by the bus. Off unless configured; a reload applies users and session lifetime, and restarts the
 * server when the address or TLS files change.
 */
export class ConsoleExtension implements Extension {
  readonly name = 'console';
  private ctx!: Context;
  private server: HttpApp | undefined;
  private hub: LiveHub | undefined;
  private sessions: Sessions | undefined;
  private off: (() => void) | undefined;
  private running: ConsoleConfig | undefined;
  private deps!: ConsoleDeps;

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    this.deps = consoleDeps(ctx);
    await this.open(ctx.config());
  }

  /** The TLS files a console config names (read before anything changes: a missing one refuses the config). */
  private static async tlsOf(c: ConsoleConfig): Promise<{ cert: Buffer; key: Buffer } | undefined> {
    return c.tls ? { cert: await readFile(c.tls.cert), key: await readFile(c.tls.key) } : undefined;
  }

  private async open(cfg: Config, tlsRead?: { cert: Buffer; key: Buffer }): Promise<void> {
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
    const tls = tlsRead ?? (await ConsoleExtension.tlsOf(c));
    // The web server and its routes are loaded only on a box whose console is on.
    const { buildServer } = await import('./server.js');
    const server = buildServer({ config: () => ctx.config(), db: ctx.db, log, hub: live, state, sessions, agentAction: this.deps.agentAction, transfer: this.deps.transfer, callBack: this.deps.callBack, listen: this.deps.listen, incoming: this.deps.incoming, phones: this.deps.phones, ...(this.deps.searchKnowledge ? { searchKnowledge: this.deps.searchKnowledge } : {}), ...(tls ? { tls } : {}) });
    const { host, port } = parseListen(c.listen ?? '127.0.0.1:8080');
    await server.listen(host, port);
    Object.assign(this, { server, hub: live, sessions, running: c });
    log.info({ listen: `${host}:${server.address().port}`, tls: Boolean(tls), users: c.users.length }, 'console listening');
  }

  private async close(): Promise<void> {
    this.deps.phones.closeAll();
    this.off?.();
    this.hub?.close();
    await this.server?.close();
    this.server = this.hub = this.sessions = this.off = this.running = undefined;
  }

  async prepare(next: Config): Promise<Prepared> {
    const c = next.console;
    const r = this.running;
    const sessions = this.sessions;
    if (r && c && sessions && r.listen === c.listen && JSON.stringify(r.tls) === JSON.stringify(c.tls)) {
      return {
        commit: async () => {
          sessions.setTtl(durationOr(c.session_ttl, '12h'));
          this.deps.phones.setNetworks(c.webrtc?.networks);
          // Logins of removed users, or users whose role or extension changed, end now.
          const users = new Map(c.users.map((u) => [u.name, u]));
          sessions.retain((u) => users.get(u.name)?.role === u.role && users.get(u.name)?.extension === u.extension);
          this.running = c;
        },
      };
    }
    // A new server: its address is checked and its TLS files read now, before the old one closes.
    if (c) parseListen(c.listen ?? '127.0.0.1:8080');
    const tls = c ? await ConsoleExtension.tlsOf(c) : undefined;
    return {
      commit: async () => {
        await this.close();
        await this.open(next, tls);
      },
    };
  }

  async stop(): Promise<void> {
    await this.close();
  }

  status(): string | undefined {
    return this.hub ? `console ${this.hub.size} stream(s)` : undefined;
  }
}
