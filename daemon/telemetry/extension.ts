import { readFileSync } from 'node:fs';
import type { MqttClient, IPublishPacket } from 'mqtt';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { dataDir } from '../config/paths.js';
import type { Context, Extension, Prepared } from '../extension.js';
import type { Logger } from '../log.js';
import type { Envelope } from '../bus/events.js';
import { outboxSignal, outboxSize, SCHEMA_VERSION } from '../store/outbox.js';
import { AlarmBoard, checkDisk, checkOutbox, type BoxCheckOptions } from './alarms.js';
import { CommandError, DEFAULT_COMMANDS, type CommandRegistry } from './commands.js';
import { Connection, type Backoff } from './connection.js';
import { computeKpis, startOfDay } from './kpi.js';
import { knowledgeKpis } from '../knowledge/kpi.js';
import { qualityKpis } from '../quality/kpi.js';
import { Publisher } from './publisher.js';
import { RetainedState } from './state.js';

/**
 * Central monitoring over MQTT: the retained status/lines/agents topics, the outbox drain
 * (events, alarms), periodic metrics, and commands (served from the app's command registry; the
 * feature that owns a state registers the command that changes it). It only listens on the bus and
 * reads the store; the one thing it emits is alarms about itself.
 */

export interface TelemetryOptions {
  backoff?: Partial<Backoff>;
  /** How often the outbox and disk are checked for alarms. */
  checkEveryMs?: number;
}

export interface TelemetryExtension extends Extension {
  /** For tests and the console. */
  readonly connection: Connection | undefined;
  readonly publisher: Publisher | undefined;
}

let cachedVersion: string | undefined;
export function frontdeskVersion(): string {
  if (!cachedVersion) {
    try {
      // <dist>/daemon/telemetry/extension.js → the package root beside <dist>.
      cachedVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

export const topicPrefix = (c: Pick<Config, 'site' | 'node'>): string => `frontdesk/${c.site}/${c.node}`;
export const defaultClientId = (c: Pick<Config, 'site' | 'node'>): string => `frontdesk-${c.site}-${c.node}`;

/** Settings whose change needs a new connection. */
function connectionKey(c: Config): string {
  const m = c.mqtt;
  return JSON.stringify([c.site, c.node, m?.url, m?.ca, m?.cert, m?.key, m?.username, m?.password, m?.client_id]);
}

class Telemetry {
  readonly conn: Connection;
  readonly publisher: Publisher;
  private readonly state = new RetainedState();
  private readonly board: AlarmBoard;
  private readonly offs: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private enabled: Set<string>;
  private readonly prefix: string;
  private readonly log: Logger;
  private lastOutboxCheck = 0;

  constructor(
    private readonly ctx: Context,
    private config: Config,
    private readonly opts: TelemetryOptions,
  ) {
    const m = config.mqtt!;
    this.prefix = topicPrefix(config);
    this.log = ctx.log.child({ ext: 'telemetry' });
    this.enabled = new Set(m.commands ?? DEFAULT_COMMANDS);
    this.board = new AlarmBoard(ctx.bus);
    this.conn = new Connection({
      url: m.url,
      clientId: m.client_id ?? defaultClientId(config),
      ...(m.ca ? { ca: m.ca } : {}),
      ...(m.cert ? { cert: m.cert } : {}),
      ...(m.key ? { key: m.key } : {}),
      ...(m.username !== undefined ? { username: m.username } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
      will: { topic: `${this.prefix}/status`, payload: JSON.stringify({ schema: SCHEMA_VERSION, state: 'offline', reason: 'connection-lost', site: config.site, node: config.node }) },
      log: this.log,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
    });
    this.publisher = new Publisher({ db: ctx.db, prefix: this.prefix, log: this.log, onRefused: (r) => this.conn.recycle(r) });
  }

  private get registry(): CommandRegistry {
    return this.ctx.services.commands;
  }

  async start(): Promise<void> {
    const { bus, db } = this.ctx;
    // A store that cannot be read now (not open) must not keep reporting from starting.
    await this.state.seed(this.config, db);
    await this.board.seed(db).catch((err: unknown) => this.log.warn({ err }, 'telemetry: cannot read the active alarms'));
    this.offs.push(
      bus.on('line.health', (e) => this.state.onLineHealth(e.data, e.at)),
      bus.on('agent.state', (e) => this.state.onAgentState(e.data.extension, e.data.state, e.data.reason, e.at)),
      bus.on('alarm', (e) => {
        this.board.note(e.data.code, e.data.source ?? '', e.data.active, e.data.severity ?? 'warning', e.data.message, e.at);
        if (e.data.code === 'store-failing' || this.ctx.services.store.health.failing) this.publishAlarmDirectly(e);
        void this.publishStatus();
      }),
      bus.on('line.alarm', (e) => {
        this.board.note(e.data.code, e.data.lineId, e.data.active, 'warning', e.data.message, e.at);
        void this.publishStatus();
      }),
      bus.on('system.reload', () => void this.publishStatus()),
    );
    this.registerCommands();
    // The store may have failed before we listened (a read-only database at start).
    const failing = this.ctx.services.store.health.alarm;
    if (failing) this.board.note(failing.data.code, failing.data.source ?? '', true, 'critical', failing.data.message, failing.at);
    const signal = outboxSignal(db);
    const onAppend = (): void => {
      // Alarm checks on the write path at most once a second.
      if (Date.now() - this.lastOutboxCheck > 1000) void this.checkOutbox();
    };
    signal.on('appended', onAppend);
    signal.on('drained', onAppend);
    this.offs.push(() => signal.off('appended', onAppend), () => signal.off('drained', onAppend));

    this.conn.on('up', (client) => this.onUp(client));
    this.conn.on('down', () => {
      this.publisher.detach();
      this.state.setPublisher(undefined);
    });
    this.conn.on('auth-failed', (reason, nextMs) =>
      this.board.set('mqtt-auth', 'mqtt', true, 'critical', `the broker refused this box's credentials (${reason}); next try in ${Math.round(nextMs / 1000)} s`),
    );
    this.conn.on('auth-ok', () => this.board.set('mqtt-auth', 'mqtt', false, 'critical', 'credentials accepted'));
    // Recorded locally (and reported once the broker is back): central IT learns how long it was blind.
    this.conn.on('unreachable', (reason) => this.board.set('broker-unreachable', 'mqtt', true, 'warning', `the broker cannot be reached (${reason}); reports wait in the outbox`));
    this.startTimers();
    this.conn.start();
  }

  private startTimers(): void {
    for (const t of this.timers) clearInterval(t);
    const m = this.config.mqtt!;
    const every = durationOr(m.metrics_every, '60s');
    const check = this.opts.checkEveryMs ?? 10_000;
    this.timers = [
      setInterval(() => {
        void this.publishMetrics();
        void this.publishStatus();
      }, every),
      setInterval(() => {
        void this.checkOutbox();
        void checkDisk(this.checkOptions()).catch((err: unknown) => this.log.warn({ err }, 'disk check failed'));
      }, check),
    ];
    for (const t of this.timers) t.unref();
  }

  private checkOptions(): BoxCheckOptions {
    const m = this.config.mqtt!;
    return { db: this.ctx.db, board: this.board, maxEvents: m.outbox?.max_events ?? 1_000_000, alarmAt: m.outbox?.alarm_at ?? 0.8, dir: dataDir(this.config) };
  }

  /** Never rejects (the check's failure is logged): timers and the write path fire and forget it. */
  private async checkOutbox(): Promise<void> {
    this.lastOutboxCheck = Date.now();
    await checkOutbox(this.checkOptions()).catch((err: unknown) => this.log.warn({ err }, 'outbox check failed'));
  }

  private onUp(client: MqttClient): void {
    if (this.board.isActive('broker-unreachable', 'mqtt')) this.board.set('broker-unreachable', 'mqtt', false, 'warning', 'the broker is reachable again');
    const publish = (topic: string, payload: string, retain: boolean): void => {
      if (client.connected) client.publish(`${this.prefix}/${topic}`, payload, { qos: 1, retain });
    };
    this.state.setPublisher(publish);
    const failing = this.ctx.services.store.health.alarm;
    if (failing) this.publishAlarmDirectly(failing);
    void this.publishStatus();
    this.state.publishAll();
    client.on('message', (topic, payload, packet) => void this.onCommand(client, topic, payload, packet));
    client.subscribe(`${this.prefix}/cmd/+`, { qos: 1 }, (err) => {
      if (err) this.log.error({ err: err.message }, 'mqtt: cannot subscribe to commands');
    });
    this.publisher.attach(client);
    void this.publishMetrics();
  }

  async statusPayload(state: 'online' | 'offline' = 'online', reason?: string): Promise<Record<string, unknown>> {
    const d = this.ctx.daemon;
    const startedAt = d?.startedAt ?? Date.now();
    return {
      schema: SCHEMA_VERSION,
      state,
      ...(reason ? { reason } : {}),
      site: this.config.site,
      node: this.config.node,
      version: frontdeskVersion(),
      startedAt: new Date(startedAt).toISOString(),
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
      configHash: d?.configHash() ?? null,
      healthy: d?.healthy() ?? true,
      activeCalls: d?.activeCalls() ?? 0,
      outbox: { pending: await withinMs(outboxSize(this.ctx.db.reader()), 500).catch(() => null) },
      store: storeStatus(this.ctx),
      mqtt: this.conn.state(),
      alarms: this.board.list(),
      at: new Date().toISOString(),
    };
  }

  /**
   * An alarm that cannot wait for the store (it is about the store, or the store is failing): sent
   * now, beside the outbox, with the event's id and no seq. The same alarm follows through the
   * outbox (same id, with its seq) once the store has it; consumers de-duplicate by id.
   */
  private publishAlarmDirectly(e: Envelope<'alarm'>): void {
    const client = this.conn.current;
    if (!client) return;
    const payload = { schema: SCHEMA_VERSION, id: e.id, type: e.type, at: e.at, site: this.config.site, node: this.config.node, direct: true, data: e.data };
    client.publish(`${this.prefix}/alarms`, JSON.stringify(payload), { qos: 1 });
  }

  /**
   * Never rejects (the one store read is bounded and caught), so bus handlers and timers fire and
   * forget it; a status lost to a dropped connection is replaced by the next one (it is retained).
   */
  private async publishStatus(): Promise<void> {
    const client = this.conn.current;
    if (!client) return;
    const p = await this.statusPayload();
    if (client.connected) client.publish(`${this.prefix}/status`, JSON.stringify(p), { qos: 1, retain: true });
  }

  async metricsPayload(now = new Date()): Promise<Record<string, unknown>> {
    const m = this.config.mqtt!;
    const sl = durationOr(m.service_level, '20s');
    const w15 = { from: new Date(now.getTime() - 15 * 60_000), to: now };
    const today = { from: startOfDay(now, this.config.timezone), to: now };
    const fcr = durationOr(m.fcr_window, '24h');
    // The call KPIs, the knowledge base's (FAQ hit rate, containment) and quality scores per agent.
    const kpis = async (w: { from: Date; to: Date }): Promise<Record<string, unknown>> => ({ ...(await computeKpis(this.ctx.db, w, sl, fcr)), ...(await knowledgeKpis(this.ctx.db, w)), quality: await qualityKpis(this.ctx.db, w) });
    const [k15, kToday] = await Promise.all([kpis(w15), kpis(today)]);
    return {
      schema: SCHEMA_VERSION,
      site: this.config.site,
      node: this.config.node,
      at: now.toISOString(),
      serviceLevelS: sl / 1000,
      windows: {
        '15m': { from: w15.from.toISOString(), to: w15.to.toISOString(), ...k15 },
        today: { from: today.from.toISOString(), to: today.to.toISOString(), ...kToday },
      },
      outbox: { pending: await outboxSize(this.ctx.db) },
    };
  }

  /** Never rejects (KPI failures are logged): timers fire and forget it; the next tick publishes again. */
  private async publishMetrics(): Promise<void> {
    const client = this.conn.current;
    if (!client) return;
    try {
      const p = await this.metricsPayload();
      // QoS 0 and retained: a fresher value follows shortly, and a new dashboard sees the last one at once.
      if (client.connected) client.publish(`${this.prefix}/metrics`, JSON.stringify(p), { qos: 0, retain: true });
    } catch (err) {
      this.log.warn({ err }, 'metrics: could not compute KPIs');
    }
  }

  private async onCommand(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const base = `${this.prefix}/cmd/`;
    if (!topic.startsWith(base)) return;
    const name = topic.slice(base.length);
    if (packet.retain) {
      // A retained command would run again on every reconnect.
      this.log.warn({ command: name }, 'mqtt: ignoring a retained command');
      return;
    }
    const reply = await this.registry.handle(name, payload, this.enabled, this.config.mqtt?.command_tokens ?? {});
    const responseTopic = packet.properties?.responseTopic ?? `${base}${name}/reply`;
    const correlationData = packet.properties?.correlationData;
    this.log.info({ command: name, ok: reply.ok, ...(reply.ok ? {} : { error: reply.error.code }) }, 'mqtt: command');
    if (client.connected) client.publish(responseTopic, JSON.stringify(reply), { qos: 1, ...(correlationData ? { properties: { correlationData } } : {}) });
  }

  private registerCommands(): void {
    const r = this.registry;
    this.offs.push(
      r.register('status', {
        summary: 'the status payload plus every line and agent',
        schema: (Type) => Type.Object({}),
        handler: async () => ({ status: await this.statusPayload(), lines: [...this.state.lines.values()], agents: [...this.state.agents.values()] }),
      }, { fallback: true }),
      r.register('reload', {
        summary: 're-read the config file, as systemctl reload does',
        schema: (Type) => Type.Object({}),
        handler: async () => {
          const d = this.ctx.daemon;
          if (!d) throw new CommandError('reload is not available in this process');
          const res = await d.reload();
          if (!res.ok) throw new CommandError('the new config was rejected; the running config stays in force', res.errors);
          return { ok: true, configHash: d.configHash() };
        },
      }, { fallback: true }),
    );
  }

  /** Apply a config that needs no new connection. */
  async update(next: Config): Promise<void> {
    this.config = next;
    this.enabled = new Set(next.mqtt?.commands ?? DEFAULT_COMMANDS);
    const removed = await this.state.seed(next, this.ctx.db).catch(() => [] as string[]);
    const client = this.conn.current;
    // Lines or agents gone from the config: clear their retained topics.
    for (const t of removed) client?.publish(`${this.prefix}/${t}`, '', { qos: 1, retain: true });
    this.startTimers();
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    for (const t of this.timers) clearInterval(t);
    await this.publisher.close();
    this.state.setPublisher(undefined);
    const final = await this.statusPayload('offline', 'stopped').catch(() => ({ schema: SCHEMA_VERSION, state: 'offline', reason: 'stopped' }));
    await this.conn.stop({ topic: `${this.prefix}/status`, payload: JSON.stringify(final) });
    this.conn.removeAllListeners();
  }

  status(): string {
    const l = this.conn.state();
    if (l.state === 'connected') return `mqtt up, ${this.publisher.sent} sent`;
    return `mqtt ${l.state} since ${l.since.slice(11, 19)}${l.lastError ? ` (${l.lastError})` : ''}`;
  }
}

/** The store's state for the status payload: failing or not, since when, what is kept. */
function storeStatus(ctx: Context): Record<string, unknown> {
  const { alarm: _alarm, ...rest } = ctx.services.store.health;
  return rest;
}

/** p, or a rejection after ms (a status report must not hang on a stuck store). */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (err: unknown) => (clearTimeout(t), reject(err as Error)));
  });
}

/** The telemetry extension; does nothing when the config has no mqtt section. */
export function telemetryExtension(opts: TelemetryOptions = {}): TelemetryExtension {
  let t: Telemetry | undefined;
  let ctx: Context | undefined;
  const startWith = async (c: Context, config: Config): Promise<void> => {
    if (!config.mqtt) {
      c.log.info('mqtt: not configured; central reporting off');
      return;
    }
    t = new Telemetry(c, config, opts);
    await t.start();
  };
  return {
    name: 'telemetry',
    get connection() {
      return t?.conn;
    },
    get publisher() {
      return t?.publisher;
    },
    async start(c) {
      ctx = c;
      await startWith(c, c.config());
    },
    async prepare(next, prev): Promise<Prepared | undefined> {
      const c = ctx;
      if (!c) return undefined;
      const running = t;
      if (running && next.mqtt && connectionKey(next) === connectionKey(prev)) return { commit: () => running.update(next) };
      // A new connection (the publisher subscribes as it is built, so it is built at commit).
      return {
        commit: async () => {
          await t?.stop();
          t = undefined;
          await startWith(c, next);
        },
      };
    },
    async stop() {
      await t?.stop();
      t = undefined;
    },
    healthy: () => true, // a broker outage must not make systemd restart the box
    status: () => t?.status(),
  };
}
