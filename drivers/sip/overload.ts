import { freeRtpPorts, type PortRange } from '../rtp/session.js';

import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * Admission control for new inbound calls: a configured call limit, free RTP ports and CPU. CPU is read
 * two ways: event-loop lag (a blocked loop makes every call's audio late) and event-loop utilisation
 * (a loop that is never idle cannot drain its sockets: requests queue in the kernel, then are lost). An INVITE over any of
 * them gets 503 + Retry-After (RFC 3261 §21.5.4) before a leg exists, so calls already up keep their
 * ports and CPU; the PBX retries or routes elsewhere.
 */

export interface OverloadOptions {
  rtpPorts: PortRange;
  /** Most legs (inbound + outbound) at once; undefined: only ports and CPU limit. */
  maxCalls?: number;
  /** Smoothed event-loop lag above which new calls are refused. */
  maxLagMs?: number;
  /** Event-loop utilisation (0..1, over the last second) above which new calls are refused. */
  maxUtilization?: number;
  /** Retry-After seconds on the 503. */
  retryAfterS?: number;
}

/** Ports a new inbound call needs: its own, and one for the agent leg it may be handed to. */
const PORTS_PER_CALL = 2;
const SAMPLE_MS = 100;
const ELU_EVERY = 10; // samples: utilisation over a second, so a short busy spell does not refuse calls

export class Overload {
  readonly retryAfterS: number;
  private readonly maxLagMs: number;
  private lagMs = 0;
  private busy = 0;
  private readonly maxUtilization: number;
  private timer: NodeJS.Timeout | undefined;
  /** INVITEs refused since start, by reason: for health and logs. */
  readonly refused = { calls: 0, ports: 0, cpu: 0 };

  constructor(private readonly o: OverloadOptions) {
    this.retryAfterS = o.retryAfterS ?? 5;
    this.maxLagMs = o.maxLagMs ?? 250;
    this.maxUtilization = o.maxUtilization ?? 0.95;
  }

  /** Sample the event loop's lateness; an EWMA over about a second rides out one GC pause. */
  start(): void {
    let expected = performance.now() + SAMPLE_MS;
    let n = 0;
    let elu: EventLoopUtilization = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lagMs = this.lagMs * 0.8 + Math.max(0, now - expected) * 0.2;
      expected = now + SAMPLE_MS;
      if (++n % ELU_EVERY === 0) {
        const next = performance.eventLoopUtilization();
        this.busy = performance.eventLoopUtilization(next, elu).utilization;
        elu = next;
      }
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get lag(): number {
    return this.lagMs;
  }

  /**
   * Why a new call must be refused now, or undefined when it may come in. `ringing`: calls admitted
   * but not answered yet, each about to take a port: in a burst, all of them pass before the first
   * takes its port, and the ones the range cannot hold would only be refused after ringing.
   */
  check(activeLegs: number, ringing = 0): { kind: 'calls' | 'ports' | 'cpu'; message: string } | undefined {
    const max = this.o.maxCalls;
    if (max !== undefined && activeLegs >= max) return { kind: 'calls', message: `call limit reached (${activeLegs}/${max})` };
    const free = freeRtpPorts(this.o.rtpPorts);
    if (free - ringing < PORTS_PER_CALL) return { kind: 'ports', message: `RTP ports exhausted (${free} free in ${this.o.rtpPorts.min}-${this.o.rtpPorts.max}${ringing ? `, ${ringing} of them for calls being answered` : ''})` };
    if (this.lagMs > this.maxLagMs) return { kind: 'cpu', message: `CPU overloaded (event loop ${Math.round(this.lagMs)} ms late)` };
    if (this.busy > this.maxUtilization) return { kind: 'cpu', message: `CPU overloaded (event loop busy ${Math.round(this.busy * 100)} % of the time)` };
    return undefined;
  }
}
