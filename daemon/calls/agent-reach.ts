import type { Leg, LegEnd } from '../../drivers/line.js';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../log.js';

/** Leg ends that are the agent's choice or absence, not a fault: no alarm for these. */
const NOT_A_FAULT = new Set(['busy', 'no-answer', 'cancelled', 'normal']);
/** SIP statuses by which the agent (or their phone) declined: 600 Busy Everywhere, 603 Decline. */
const DECLINED = /^60[03]\b/;

/** Whether an outbound leg to an agent ended for a reason an installer must fix (auth, 4xx/5xx, timeout). */
export function isReachFault(end: LegEnd): boolean {
  if (NOT_A_FAULT.has(end.cause)) return false;
  return !(end.detail && DECLINED.test(end.detail));
}

/**
 * Watches the calls the box places to agents' desk phones. A failure other than busy or no answer
 * (digest refused after the retry, any other 4xx/5xx, no response) is logged at warn with the SIP
 * status and raises the `agent-unreachable` alarm naming the extension; the agent's next answered
 * call clears it. Alarms still active from before a restart are cleared the same way.
 */
export class AgentReach {
  private readonly failing = new Set<string>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Extensions whose alarm is active in the store (from before a restart). */
  seed(extensions: readonly string[]): void {
    for (const e of extensions) this.failing.add(e);
  }

  watch(extension: string, leg: Leg): void {
    leg.once('answered', () => this.reached(extension));
    leg.once('ended', (end) => {
      if (isReachFault(end)) this.failed(extension, `${end.cause}${end.detail ? ` (${end.detail})` : ''}`, end.detail);
    });
  }

  /** The call could not even be placed (no SIP endpoint, extension not dialable ...). */
  failed(extension: string, why: string, status?: string): void {
    this.log.warn({ extension, status, cause: why }, `agent ${extension} unreachable: ${why}`);
    if (this.failing.has(extension)) return;
    this.failing.add(extension);
    this.bus.emit('alarm', { code: 'agent-unreachable', source: `agent:${extension}`, active: true, severity: 'warning', message: `extension ${extension} cannot be reached: ${why}` });
  }

  private reached(extension: string): void {
    if (!this.failing.delete(extension)) return;
    this.log.info({ extension }, `agent ${extension} reached again`);
    this.bus.emit('alarm', { code: 'agent-unreachable', source: `agent:${extension}`, active: false, severity: 'warning', message: `extension ${extension} reached again` });
  }
}
