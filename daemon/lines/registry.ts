import type { Leg, Line } from '../../drivers/line.js';
import type { LineConfig } from '../config/schema.js';
import { SipTrunkLine } from '../../drivers/sip/trunk-line.js';

export type IncomingHandler = (leg: Leg, line: Line) => void;

/**
 * The phone lines in service, as a service of the app: the lines extension puts the lines it runs
 * here, the call core takes incoming calls from it, SMS, originate and campaigns find lines in it.
 * Nobody holds the lines extension itself.
 */
export class LineRegistry {
  private readonly lines = new Map<string, { line: Line; config: LineConfig | undefined }>();
  private handler: IncomingHandler | undefined;

  /** Where incoming calls go (the call core, at its start). Returns a function that removes it. */
  onIncoming(h: IncomingHandler): () => void {
    this.handler = h;
    return () => {
      if (this.handler === h) this.handler = undefined;
    };
  }

  /** A line (or the console's web callers) hands over a new incoming leg; with no call core, it is refused. */
  incoming(leg: Leg, line: Line): void {
    if (this.handler) this.handler(leg, line);
    else void leg.hangup('busy'); // a lines-only process (tests, tools) takes no calls
  }

  add(line: Line, config: LineConfig | undefined): void {
    this.lines.set(line.id, { line, config });
  }

  remove(id: string): void {
    this.lines.delete(id);
  }

  has(id: string): boolean {
    return this.lines.has(id);
  }

  get(id: string): Line | undefined {
    return this.lines.get(id)?.line;
  }

  /** The config a line was started with (undefined: the built-in desk-phone endpoint). */
  configOf(id: string): LineConfig | undefined {
    return this.lines.get(id)?.config;
  }

  ids(): string[] {
    return [...this.lines.keys()];
  }

  all(): Line[] {
    return [...this.lines.values()].map((l) => l.line);
  }

  get size(): number {
    return this.lines.size;
  }

  /** The SIP endpoint for reaching desk phones: the first SIP line that reaches extensions, else the first SIP line, else the built-in one. */
  sipEndpoint(): SipTrunkLine | undefined {
    let first: SipTrunkLine | undefined;
    for (const { line, config } of this.lines.values()) {
      if (!(line instanceof SipTrunkLine)) continue;
      if (config?.kind === 'sip' && config.extensions_via_trunk !== false) return line;
      first ??= line;
    }
    return first;
  }
}
