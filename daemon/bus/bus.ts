import { randomUUID } from 'node:crypto';
import type { DomainEvents, Envelope, EventName } from './events.js';

type Listener<K extends EventName> = (event: Envelope<K>) => void | Promise<void>;
type AnyListener = (event: Envelope) => void | Promise<void>;

/**
 * The in-process event bus. Producers emit; subscribers listen and never reach back into the
 * producer. A throwing or rejecting subscriber is reported through onError and never stops delivery
 * to the others (a broken telemetry sink must not break a call).
 */
export class Bus {
  private readonly byType = new Map<EventName, Set<Listener<EventName>>>();
  private readonly all = new Set<AnyListener>();

  constructor(private readonly onError: (err: unknown, event: Envelope) => void = () => {}) {}

  emit<K extends EventName>(type: K, data: DomainEvents[K], at: Date = new Date()): Envelope<K> {
    const event: Envelope<K> = { type, at: at.toISOString(), id: randomUUID(), data };
    for (const l of this.byType.get(type) ?? []) this.deliver(l, event);
    for (const l of this.all) this.deliver(l, event);
    return event;
  }

  /**
   * Emit and wait until every subscriber has finished with the event (e.g. the store committed or
   * journaled it; with a failing store that can take until it recovers). For producers that must
   * not let go of data before it is durable, like an SMS about to be deleted from the SIM; never
   * for call handling. Rejects if a subscriber fails.
   */
  async emitAndWait<K extends EventName>(type: K, data: DomainEvents[K], at: Date = new Date()): Promise<Envelope<K>> {
    const event: Envelope<K> = { type, at: at.toISOString(), id: randomUUID(), data };
    const results = [...(this.byType.get(type) ?? []), ...this.all].map((l) => {
      try {
        return Promise.resolve((l as Listener<K>)(event));
      } catch (err) {
        return Promise.reject(err);
      }
    });
    const failed = (await Promise.allSettled(results)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.onError(failed.reason, event);
      throw failed.reason;
    }
    return event;
  }

  on<K extends EventName>(type: K, listener: Listener<K>): () => void {
    let set = this.byType.get(type);
    if (!set) this.byType.set(type, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Every event, for sinks like the store and telemetry. */
  onAny(listener: AnyListener): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }

  private deliver<K extends EventName>(listener: Listener<K>, event: Envelope<K>): void {
    try {
      const r = listener(event);
      if (r && typeof r.catch === 'function') r.catch((err) => this.onError(err, event));
    } catch (err) {
      this.onError(err, event);
    }
  }
}
