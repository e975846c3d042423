import type { Bus } from '../bus/bus.js';
import type { Envelope, EventName } from '../bus/events.js';
import type { Logger } from '../log.js';
import type { Db, Tx } from './db.js';
import { appendOutbox, outboxSignal, type Bound, type PayloadContext, type Route } from './outbox.js';
import { registerBuiltinWriters } from './writers.js';

/**
 * The store's listener on the bus. For each event, in ONE transaction, it writes the domain record
 * (through the writers registered for that event type) and, when MQTT reporting is configured,
 * appends the outbox row that reports it: a crash can lose both or neither, never just the report.
 */

export type Writer<K extends EventName = EventName> = (tx: Tx, event: Envelope<K>) => Promise<void>;

const writers = new Map<EventName, Writer[]>();

/** Add a writer for an event type (several may share a type; they run in registration order). Returns an unregister function. */
export function registerWriter<K extends EventName>(type: K, writer: Writer<K>): () => void {
  let list = writers.get(type);
  if (!list) writers.set(type, (list = []));
  list.push(writer as Writer);
  return () => {
    const l = writers.get(type);
    const i = l?.indexOf(writer as Writer) ?? -1;
    if (l && i >= 0) l.splice(i, 1);
  };
}

export function hasWriter(type: EventName): boolean {
  return (writers.get(type)?.length ?? 0) > 0;
}

export interface OutboxOptions extends PayloadContext {
  bound?: Bound;
}

export interface RecorderOptions {
  db: Db;
  bus: Bus;
  log: Logger;
  /** null: no MQTT reporting, domain records only. */
  outbox: OutboxOptions | null;
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
    default:
      return { topic: 'events', droppable: false };
  }
}

export class Recorder {
  private off?: () => void;
  private readonly lastLineState = new Map<string, string>();
  private overBoundAlarm = false;
  private idle: Promise<unknown> = Promise.resolve();
  /** Reports not queued because the outbox was at its bound (droppable ones only). */
  dropped = 0;

  constructor(private opts: RecorderOptions) {
    registerBuiltinWriters(registerWriter);
  }

  start(): void {
    this.off = this.opts.bus.onAny((ev) => this.record(ev));
  }

  stop(): Promise<void> {
    this.off?.();
    return this.flushed();
  }

  /** Resolves when everything recorded so far is committed. */
  flushed(): Promise<void> {
    return this.idle.then(() => undefined);
  }

  setOutbox(outbox: OutboxOptions | null): void {
    this.opts = { ...this.opts, outbox };
  }

  record(event: Envelope): Promise<void> {
    const p = this.recordOne(event);
    this.idle = Promise.all([this.idle, p]);
    return p;
  }

  private async recordOne(event: Envelope): Promise<void> {
    const { db, log } = this.opts;
    const outbox = this.opts.outbox;
    const route = outbox ? routeOf(event, this.lastLineState) : undefined;
    const list = writers.get(event.type) ?? [];
    if (!route && list.length === 0) return;
    let appended = false;
    let overBound = false;
    try {
      await db.transaction(async (tx) => {
        for (const w of list) await w(tx, event);
        if (route && outbox) {
          const r = await appendOutbox(tx, event, route, outbox, outbox.bound);
          appended = r.appended;
          if (r.appended) overBound = r.overBound;
          else this.dropped++;
        }
      });
    } catch (err) {
      log.error({ err, event: event.type }, 'could not record event');
      if (!route || !outbox) return;
      // A broken writer must not also silence the report: central IT still hears of the event.
      try {
        await db.transaction(async (tx) => {
          const r = await appendOutbox(tx, { ...event, data: { ...(event.data as object), recordFailed: true } } as unknown as Envelope, route, outbox, outbox.bound);
          appended = r.appended;
        });
      } catch (err2) {
        log.error({ err: err2, event: event.type }, 'could not queue the report of an unrecorded event');
        return;
      }
    }
    const signal = outboxSignal(db);
    if (appended) signal.emit('appended');
    else if (route) signal.emit('dropped');
    if (overBound !== this.overBoundAlarm && outbox && event.type !== 'alarm') {
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
}
