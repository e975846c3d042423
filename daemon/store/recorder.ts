import type { Bus } from '../bus/bus.js';
import type { Envelope, EventName } from '../bus/events.js';
import type { Logger } from '../log.js';
import { isStoreFault, needsReopen, sqliteCode, type Db, type Tx } from './db.js';
import type { Journal } from './journal.js';
import { appendOutbox, outboxSignal, type Bound, type PayloadContext, type Route } from './outbox.js';
import { builtinWriters } from './writers.js';

/**
 * The store's listener on the bus. For each event, in ONE transaction, it writes the domain record
 * (through the writers registered for that event type) and, when MQTT reporting is configured,
 * appends the outbox row that reports it: a crash can lose both or neither, never just the report.
 *
 * Nobody waits for it: events queue here in order and are written in the background (several per
 * transaction when they pile up). When the database itself fails (disk full, locked by another
 * process, files read-only: see isStoreFault), nothing is dropped: the events stay queued in order
 * (and in the fallback journal, when configured), the `store-failing` alarm is raised, and the
 * write is retried (on a fresh connection where that can help) until it succeeds; then the backlog
 * is written in order, so outbox seq numbers stay contiguous, and the alarm is cleared. Only when
 * the queue overflows MAX_PENDING are the oldest events dropped, and the outbox seq then skips
 * exactly as many numbers (with a store.gap event) so central IT sees the gap.
 */

export type Writer<K extends EventName = EventName> = (tx: Tx, event: Envelope<K>) => Promise<void>;

/** A feature's record writers: how its bus events become rows (e.g. the call core's CDR). */
export type WriterSet = (register: WriterRegistry['register']) => void;

/**
 * Which writers turn which events into rows: one per app (the App builds it, features add their
 * sets at start, the recorder reads it for every event).
 */
export class WriterRegistry {
  private readonly writers = new Map<EventName, Writer[]>();
  private readonly installed = new WeakSet<WriterSet>();

  /** Add a writer for an event type (several may share a type; they run in registration order). Returns an unregister function. */
  readonly register = <K extends EventName>(type: K, writer: Writer<K>): (() => void) => {
    let list = this.writers.get(type);
    if (!list) this.writers.set(type, (list = []));
    list.push(writer as Writer);
    return () => {
      const l = this.writers.get(type);
      const i = l?.indexOf(writer as Writer) ?? -1;
      if (l && i >= 0) l.splice(i, 1);
    };
  };

  /** Add a feature's set of writers, once (a feature restarted in the same app does not add it twice). */
  install(set: WriterSet): void {
    if (this.installed.has(set)) return;
    this.installed.add(set);
    set(this.register);
  }

  of(type: EventName): readonly Writer[] {
    return this.writers.get(type) ?? [];
  }

  has(type: EventName): boolean {
    return this.of(type).length > 0;
  }
}

export interface OutboxOptions extends PayloadContext {
  bound?: Bound;
}

export interface RecorderOptions {
  db: Db;
  bus: Bus;
  log: Logger;
  /** The writers of this app (builtin ones are added); default: builtin ones only. */
  writers?: WriterRegistry;
  /** Where the recorder reports the store's health; default: its own. */
  state?: StoreState;
  /** null: no MQTT reporting, domain records only. */
  outbox: OutboxOptions | null;
  /** Where events waiting for a failing store are also journaled (storage.fallback_dir). */
  journal?: Journal;
  /** Retry delays while the store fails (ms); defaults suit production. */
  retryMinMs?: number;
  retryMaxMs?: number;
  maxPending?: number;
}

interface WriteResult {
  appended: boolean;
  overBound: boolean;
  /** A replayed journal entry the store already held. */
  skipped?: boolean;
}

function isOwn(e: Envelope): boolean {
  return e.type === 'store.gap' || (e.type === 'alarm' && (e as Envelope<'alarm'>).data.code === 'store-failing');
}

/** Events kept in memory at most while the store fails (~0.5 KB each). */
export const MAX_PENDING = 50_000;
/** Events per transaction when catching up. */
const BATCH = 200;

/** The store's state, per database, for status reports (telemetry reads it; the recorder writes it). */
export interface StoreHealth {
  failing: boolean;
  since?: string;
  error?: string;
  /** Events waiting to be written. */
  pending: number;
  /** Events dropped because the queue overflowed, since start. */
  lost: number;
  journal?: { file: string; ok: boolean };
  /** The store-failing alarm event while it is active (for sinks that start after it was emitted). */
  alarm?: Envelope<'alarm'>;
}

/**
 * The store's state as other features see it: its health (the recorder writes it, telemetry reads
 * it) and a way to wait until what was emitted is written. One per app, handed out as a service.
 */
export class StoreState {
  readonly health: StoreHealth = { failing: false, pending: 0, lost: 0 };
  private flusher: (() => Promise<void>) | undefined;

  /** The recorder that writes this store (one at a time). */
  attach(flusher: (() => Promise<void>) | undefined): void {
    this.flusher = flusher;
  }

  /**
   * Resolves once the events emitted so far are in the store (at most maxMs later): for readers that
   * need what was just emitted (quality inspection after call.ended). Writes are queued in the
   * recorder, not at emit time, so reading right away may miss them.
   */
  flushed(maxMs = 5000): Promise<void> {
    const f = this.flusher;
    if (!f) return Promise.resolve();
    let t: NodeJS.Timeout | undefined;
    return Promise.race([f(), new Promise<void>((r) => (t = setTimeout(r, maxMs)))]).finally(() => clearTimeout(t));
  }
}

interface Item {
  event: Envelope;
  route: Route | undefined;
  writers: Writer[];
  /** Entry in the fallback journal, once written there; replayed: from a previous run (may be in the store already). */
  journal?: { epoch: string; j: number; replayed?: boolean };
  /** Being appended to the journal right now (so it is never appended twice). */
  journaling?: boolean;
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

/** Which topic an event is reported on; undefined: not reported. */
export function routeOf(event: Envelope, lastLineState: Map<string, string>): Route | undefined {
  switch (event.type) {
    case 'alarm':
    case 'line.alarm':
      return { topic: 'alarms', droppable: false };
    case 'line.health': {
      // Signal readings arrive every few seconds; the retained lines/<id> topic carries them. Only a
      // change of state, SIM or registration is an event, and a low-value one (droppable at the bound).
      const h = (event as Envelope<'line.health'>).data;
      const key = `${h.state}|${h.sim ?? ''}|${h.registration ?? ''}|${h.registered ?? ''}|${h.reason ?? ''}`;
      if (lastLineState.get(h.lineId) === key) return undefined;
      lastLineState.set(h.lineId, key);
      return { topic: 'events', droppable: true };
    }
    case 'sip.dialog':
      return undefined; // SIP internals for crash recovery, not news for central IT
    default:
      return { topic: 'events', droppable: false };
  }
}

export class Recorder {
  private off?: () => void;
  private readonly lastLineState = new Map<string, string>();
  private overBoundAlarm = false;
  private readonly queue: Item[] = [];
  private running = false;
  /** Items at the head of the queue inside the transaction being attempted. */
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private failingSince: number | undefined;
  private failedAttempts = 0;
  private writtenWhileFailing = 0;
  /** Events dropped at the queue bound and not yet shown as a seq gap. */
  private gap: { lost: number; reported: number; from: string; to: string } | undefined;
  readonly health: StoreHealth;
  private readonly writers: WriterRegistry;
  /** Reports not queued because the outbox was at its bound (droppable ones only). */
  dropped = 0;

  constructor(private opts: RecorderOptions) {
    this.writers = opts.writers ?? new WriterRegistry();
    this.writers.install(builtinWriters);
    const state = opts.state ?? new StoreState();
    this.health = state.health;
    state.attach(() => this.flushed());
    if (opts.journal) this.health.journal = { file: opts.journal.file, ok: true };
  }

  start(): void {
    this.off = this.opts.bus.onAny((ev) => this.record(ev));
  }

  /** Queue what a previous run journaled and never got into the store, ahead of everything new. Returns how many. */
  async replayJournal(): Promise<number> {
    const j = this.opts.journal;
    if (!j) return 0;
    const left = await j.load();
    if (!left) return 0;
    // Whether an entry is already in the store is decided in the transaction that would write it
    // (journal_applied): the store may not even be readable now.
    const items = left.entries.map((e) => this.itemFor(e.e, { epoch: left.epoch, j: e.j, replayed: true })).filter((i): i is Item => Boolean(i));
    this.queue.unshift(...items);
    this.health.pending = this.queue.length;
    if (items.length > 0) this.opts.log.warn({ journal: j.file, events: items.length }, 'store: replaying events journaled by a previous run');
    this.kick();
    return items.length;
  }

  async stop(): Promise<void> {
    this.off?.();
    // Give a healthy store the chance to take what is queued; a failing one keeps it in the journal.
    await Promise.race([this.flushed(), new Promise((r) => setTimeout(r, this.failingSince ? 0 : 5000).unref())]);
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wake?.();
    if (this.queue.length > 0) this.opts.log.error({ events: this.queue.length, journaled: this.queue.filter((i) => i.journal).length }, 'store: stopping with events not written to the store');
  }

  /** Resolves when everything recorded so far is committed (waits for a failing store to recover). */
  flushed(): Promise<void> {
    if (this.queue.length === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  setOutbox(outbox: OutboxOptions | null): void {
    this.opts = { ...this.opts, outbox };
  }

  /** Queue an event; resolves once it is durable (committed, or in the fallback journal). */
  record(event: Envelope): Promise<void> {
    const item = this.itemFor(event);
    if (!item) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => item.waiters.push({ resolve, reject }));
    this.queue.push(item);
    if (this.queue.length > (this.opts.maxPending ?? MAX_PENDING)) this.evictOldest();
    this.health.pending = this.queue.length;
    if (this.failingSince !== undefined) void this.journalItems([item]); // journalItems catches and reports (journal health); the queue keeps the item either way
    this.kick();
    return done;
  }

  private itemFor(event: Envelope, journal?: { epoch: string; j: number; replayed?: boolean }): Item | undefined {
    const route = this.opts.outbox ? routeOf(event, this.lastLineState) : undefined;
    const list = [...this.writers.of(event.type)];
    if (!route && list.length === 0) return undefined;
    return { event, route, writers: list, waiters: [], ...(journal ? { journal } : {}) };
  }

  /** The queue is over its bound: the oldest event not being written goes, and is counted. */
  private evictOldest(): void {
    // The head is in a transaction right now: it stays. So do the store's own reports about the
    // fault (its alarm, the gap): they are what tells central IT what happened.
    let at = this.inflight;
    while (at < this.queue.length && isOwn(this.queue[at]!.event)) at++;
    if (at >= this.queue.length) return;
    const [gone] = this.queue.splice(at, 1);
    if (!gone) return;
    this.health.lost++;
    if (gone.route) {
      this.gap ??= { lost: 0, reported: 0, from: gone.event.at, to: gone.event.at };
      this.gap.lost++;
      this.gap.to = gone.event.at;
    }
    for (const w of gone.waiters) w.reject(new Error('store backlog full; event dropped'));
    if (this.health.lost === 1 || this.health.lost % 1000 === 0) this.opts.log.error({ lost: this.health.lost, type: gone.event.type }, 'store: pending queue full; dropping the oldest events (the outbox seq will show the gap)');
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.drain().finally(() => { // drain handles every failure itself (fault, single-step, log) and never rejects
      this.running = false;
      if (this.queue.length > 0 && !this.stopped) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private async drain(): Promise<void> {
    let single = 0; // after a writer bug in a batch: this many events one at a time
    while (this.queue.length > 0 && !this.stopped) {
      const n = single > 0 ? 1 : Math.min(this.queue.length, BATCH);
      const batch = this.queue.slice(0, n);
      this.inflight = batch.length;
      try {
        const results = await this.write(batch);
        this.inflight = 0;
        this.queue.splice(0, batch.length);
        this.health.pending = this.queue.length;
        if (single > 0) single--;
        this.written(batch, results);
      } catch (err) {
        this.inflight = 0;
        if (isStoreFault(err)) {
          await this.fault(err);
          continue;
        }
        if (batch.length > 1) {
          single = batch.length;
          continue;
        }
        // A writer that throws on this event (a bug, bad data): report it anyway, then move on.
        const item = batch[0]!;
        this.opts.log.error({ err, event: item.event.type }, 'could not record event');
        try {
          this.inflight = 1;
          const appended = await this.writeReportOnly(item).finally(() => (this.inflight = 0));
          this.queue.shift();
          this.health.pending = this.queue.length;
          if (single > 0) single--;
          this.written([item], [{ appended, overBound: false }]);
        } catch (err2) {
          if (isStoreFault(err2)) {
            await this.fault(err2);
            continue;
          }
          this.opts.log.error({ err: err2, event: item.event.type }, 'could not queue the report of an unrecorded event');
          this.queue.shift();
          this.health.pending = this.queue.length;
          for (const w of item.waiters) w.reject(err2 as Error);
        }
      }
    }
    if (this.queue.length === 0 && this.failingSince !== undefined) await this.recovered();
    else if (this.queue.length === 0 && this.opts.journal?.epoch && !this.stopped) {
      // A replay from a previous run is all in the store: start the journal afresh.
      await this.opts.journal.clear().catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'store: could not empty the fallback journal (replays are skipped by journal_applied)'));
    }
  }

  /** One transaction for a batch: each event's records and outbox row, the seq gap if any, the journal mark. */
  private async write(batch: Item[]): Promise<WriteResult[]> {
    const outbox = this.opts.outbox;
    // Taken now: more events may be dropped while the transaction runs; they go into the next one.
    const gap = this.gap && outbox && this.gap.lost > this.gap.reported ? { skip: this.gap.lost - this.gap.reported, from: this.gap.from, to: this.gap.to } : undefined;
    const out = await this.opts.db.transaction(async (tx) => {
      const res: WriteResult[] = [];
      // The dropped events never got a seq: skip as many numbers, so the hole is visible.
      if (gap) await tx.run("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'outbox'", [gap.skip]);
      const applied = new Map<string, number>();
      for (const item of batch) {
        if (item.journal?.replayed) {
          const { epoch, j } = item.journal;
          if (!applied.has(epoch)) applied.set(epoch, (await tx.get<{ last: number }>('SELECT last FROM journal_applied WHERE epoch = ?', [epoch]))?.last ?? 0);
          if (j <= applied.get(epoch)!) {
            res.push({ appended: false, overBound: false, skipped: true }); // written before the crash
            continue;
          }
        }
        for (const w of item.writers) await w(tx, item.event);
        let appended = false;
        let overBound = false;
        if (item.route && outbox) {
          const r = await appendOutbox(tx, item.event, item.route, outbox, outbox.bound);
          appended = r.appended;
          if (r.appended) overBound = r.overBound;
          else this.dropped++;
        }
        res.push({ appended, overBound });
      }
      await this.markJournal(tx, batch);
      return res;
    });
    if (gap && this.gap) {
      this.gap.reported += gap.skip;
      if (this.gap.reported >= this.gap.lost) this.gap = undefined;
      else this.gap.from = this.gap.to;
      this.opts.bus.emit('store.gap', { lost: gap.skip, from: gap.from, to: gap.to });
    }
    return out;
  }

  private async writeReportOnly(item: Item): Promise<boolean> {
    const outbox = this.opts.outbox;
    if (!item.route || !outbox) {
      await this.opts.db.transaction((tx) => this.markJournal(tx, [item]));
      return false;
    }
    return this.opts.db.transaction(async (tx) => {
      // A broken writer must not also silence the report: central IT still hears of the event.
      const r = await appendOutbox(tx, { ...item.event, data: { ...(item.event.data as object), recordFailed: true } } as unknown as Envelope, item.route!, outbox, outbox.bound);
      await this.markJournal(tx, [item]);
      return r.appended;
    });
  }

  private async markJournal(tx: Tx, batch: Item[]): Promise<void> {
    const last = new Map<string, number>();
    for (const i of batch) if (i.journal) last.set(i.journal.epoch, Math.max(last.get(i.journal.epoch) ?? 0, i.journal.j));
    for (const [epoch, j] of last) await tx.run('INSERT INTO journal_applied (epoch, last) VALUES (?, ?) ON CONFLICT(epoch) DO UPDATE SET last = MAX(last, excluded.last)', [epoch, j]);
  }

  private written(batch: Item[], results: WriteResult[]): void {
    const signal = outboxSignal(this.opts.db);
    let appended = false;
    let overBound: boolean | undefined;
    batch.forEach((item, i) => {
      for (const w of item.waiters) w.resolve();
      const r = results[i]!;
      if (r.appended) {
        appended = true;
        if (item.event.type !== 'alarm') overBound = r.overBound;
      } else if (item.route && !r.skipped) signal.emit('dropped');
    });
    if (this.failingSince !== undefined) this.writtenWhileFailing += batch.length;
    if (appended) signal.emit('appended');
    const outbox = this.opts.outbox;
    if (overBound !== undefined && overBound !== this.overBoundAlarm && outbox) {
      this.overBoundAlarm = overBound;
      this.opts.bus.emit('alarm', {
        code: 'outbox-full',
        source: 'outbox',
        severity: 'critical',
        active: overBound,
        message: overBound ? `outbox bound (${outbox.bound?.maxEvents} events) reached with nothing left to drop; call events are still kept and the bound is exceeded` : 'outbox back under its bound',
      });
    }
  }

  /** The database failed: keep everything, journal it, alarm once, wait, maybe reopen, and let drain() retry. */
  private async fault(err: unknown): Promise<void> {
    const code = sqliteCode(err) ?? 'unknown';
    const message = (err as Error).message;
    this.failedAttempts++;
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.writtenWhileFailing = 0;
      Object.assign(this.health, { failing: true, since: new Date().toISOString(), error: `${code}: ${message}` });
      this.opts.log.error({ code, err: message, pending: this.queue.length, journal: this.opts.journal?.file ?? null }, 'store: the database cannot be written; keeping events in order until it can');
      const where = this.opts.journal ? `kept in memory and journaled to ${this.opts.journal.file}` : 'kept in memory only (no storage.fallback_dir)';
      // Emitted on the bus like every alarm: telemetry publishes it at once (directly, not through
      // this store) and it is queued here behind the events it is about.
      this.health.alarm = this.opts.bus.emit('alarm', { code: 'store-failing', source: 'store', severity: 'critical', active: true, message: `the store cannot write (${code}: ${message}); events are ${where} and will be written when it recovers` });
    } else {
      this.health.error = `${code}: ${message}`;
    }
    await this.journalItems(this.queue);
    const min = this.opts.retryMinMs ?? 250;
    const max = this.opts.retryMaxMs ?? 2000;
    const delay = Math.min(max, min * 2 ** Math.min(this.failedAttempts - 1, 10));
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, delay);
    });
    this.wake = undefined;
    if (needsReopen(err) && !this.stopped) {
      await this.opts.db.reopen().catch((e: unknown) => this.opts.log.debug({ err: (e as Error).message }, 'store: reopen failed'));
    }
  }

  private async journalItems(items: Item[]): Promise<void> {
    const j = this.opts.journal;
    const todo = items.filter((i) => !i.journal && !i.journaling);
    if (!j || todo.length === 0) return;
    for (const i of todo) i.journaling = true;
    try {
      const { epoch, js } = await j.append(todo.map((i) => i.event));
      todo.forEach((item, k) => {
        item.journal = { epoch, j: js[k]! };
        // Durable now: whoever waits (an SMS about to be deleted from the SIM) may go on.
        for (const w of item.waiters.splice(0)) w.resolve();
      });
      if (this.health.journal && !this.health.journal.ok) {
        this.health.journal.ok = true;
        this.opts.log.info({ journal: j.file }, 'store: fallback journal writable again');
      }
    } catch (err) {
      if (this.health.journal?.ok) this.opts.log.error({ err: (err as Error).message, journal: j.file }, 'store: the fallback journal cannot be written either; events are kept in memory only');
      if (this.health.journal) this.health.journal.ok = false;
    } finally {
      for (const i of todo) i.journaling = false;
    }
  }

  private async recovered(): Promise<void> {
    const ms = Date.now() - (this.failingSince ?? Date.now());
    this.failingSince = undefined;
    this.failedAttempts = 0;
    Object.assign(this.health, { failing: false, error: undefined, since: undefined, alarm: undefined });
    if (this.opts.journal?.epoch) await this.opts.journal.clear().catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'store: could not empty the fallback journal (replays are skipped by journal_applied)'));
    this.opts.log.warn({ downMs: ms, written: this.writtenWhileFailing, lost: this.health.lost }, 'store: writing again; every kept event is in the store');
    this.opts.bus.emit('alarm', { code: 'store-failing', source: 'store', severity: 'critical', active: false, message: `the store writes again after ${Math.round(ms / 1000)} s; ${this.writtenWhileFailing} kept event(s) written in order` });
  }
}
