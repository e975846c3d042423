import { EventEmitter } from 'node:events';
import { LineError, type DialOptions, type Leg, type Line, type LineEvents, type LineHealth } from '../line.js';

/**
 * Web callers (the console's public call page) as a line of their own: its id is in every CDR
 * and report like a GSM line's. It only receives calls.
 */
export class WebCallerLine extends EventEmitter<LineEvents> implements Line {
  readonly kind = 'webrtc' as const;
  active = 0;

  constructor(readonly id: string) {
    super();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  health(): LineHealth {
    return { lineId: this.id, kind: this.kind, state: 'ready', inCall: this.active > 0 };
  }

  async dial(_target: string, _options?: DialOptions): Promise<Leg> {
    throw new LineError('not-routable', 'web callers cannot be dialled');
  }
}
