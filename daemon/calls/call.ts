import { randomUUID } from 'node:crypto';
import type { EndCause, Leg, LegEnd } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { CallOutcome, CallPhase, DomainEvents } from '../bus/events.js';
import type { Logger } from '../log.js';
import type { Bridge } from './bridge.js';

/** A time-sortable call id: base36 milliseconds then random, e.g. "mi8k2x1a-3f9c2d". */
export function newCallId(now = Date.now()): string {
  return `${now.toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** Where a transferred caller goes: a queue, and the agent to ring first (if any). */
export interface TransferTarget {
  queue: string;
  extension?: string;
}

/**
 * One customer call: its legs, its phase, and the events that tell everyone else about it. The
 * phase only moves forward along bot → queued → ringing-agent → connected → (survey) → ended (with
 * voicemail as a side exit); every change is a bus event, which the store turns into the CDR and
 * timeline.
 */
export class Call {
  readonly id: string;
  readonly log: Logger;
  phase: CallPhase | 'offered' = 'offered';
  agentLeg: Leg | undefined;
  agentExt: string | undefined;
  /** Caller ⇄ agent while connected (a supervisor listens in on it). */
  bridge: Bridge | undefined;
  outcome: CallOutcome | undefined;
  /** On priority.vip_numbers, or known to the store as VIP; carried by call.offered / call.ended and the CDR. */
  vip = false;
  private ended = false;
  /** Aborted when the customer leg ends: everything the call is doing stops. */
  readonly gone = new AbortController();
  customerEnd: LegEnd | undefined;
  private transferWanted: ((t: TransferTarget) => void) | undefined;
  /** What the bot captured so far (slot → value); reported with call.ended. */
  slots: Record<string, string> = {};
  /** The bot's menu path (the keys that chose menu entries), the same the agent's phone is shown. */
  menuPath = '';
  /** Set when the call took a safe path after a fault: the config key to fix, or step:<phase>. */
  fault: string | undefined;

  constructor(
    readonly customer: Leg,
    private readonly bus: Bus,
    log: Logger,
    id = newCallId(),
  ) {
    this.id = id;
    // Every line this call logs carries its id.
    this.log = log.child({ callId: id });
    customer.once('ended', (end) => {
      this.customerEnd = end;
      this.gone.abort('call ended'); // a reason: abort() alone builds a DOMException with a stack (~30 µs, per call)
    });
  }

  get caller(): string | undefined {
    return this.customer.remote.number;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves when someone (the agent, from the console) asks to move the connected caller elsewhere. */
  transferRequested(): Promise<TransferTarget> {
    return new Promise((resolve) => (this.transferWanted = resolve));
  }

  /** Ask to move the caller, once connected to an agent, to another queue or agent. False when not connected. */
  requestTransfer(t: TransferTarget): boolean {
    if (this.phase !== 'connected' || !this.transferWanted) return false;
    const go = this.transferWanted;
    this.transferWanted = undefined;
    go(t);
    return true;
  }

  emit<K extends keyof DomainEvents>(type: K, data: DomainEvents[K]): void {
    this.log.info({ event: type, ...(data as object) }, type);
    this.bus.emit(type, data);
  }

  offered(): void {
    this.emit('call.offered', {
      callId: this.id,
      lineId: this.customer.lineId,
      vip: this.vip,
      ...(this.customer.remote.number ? { caller: this.customer.remote.number } : {}),
      ...(this.customer.remote.name ? { callerName: this.customer.remote.name } : {}),
      // Dialled by the box: kept out of the inbound KPIs.
      ...(this.customer.direction === 'outbound' ? { direction: 'outbound' as const } : {}),
    });
  }

  setPhase(phase: CallPhase, detail?: Record<string, unknown>): void {
    if (this.ended) return;
    this.phase = phase;
    this.emit('call.phase', { callId: this.id, phase, ...(detail ? { detail } : {}) });
  }

  /** End the call once: hang up what is still up and report the outcome. */
  async end(outcome: CallOutcome, hungUpBy: 'caller' | 'agent' | 'system', cause?: EndCause): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.outcome = outcome;
    this.phase = 'ended';
    await Promise.allSettled([this.customer.hangup(cause ?? 'normal'), this.agentLeg?.hangup('normal')]);
    const slots = Object.keys(this.slots).length ? { slots: { ...this.slots } } : {};
    this.emit('call.ended', { callId: this.id, outcome, hungUpBy, ...(cause ? { cause } : {}), ...slots, ...(this.menuPath ? { menuPath: this.menuPath } : {}), vip: this.vip, ...(this.fault ? { fault: this.fault } : {}) });
  }
}
