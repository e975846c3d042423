import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DialOptions, Line, LineAlarm, LineEvents, LineHealth } from '../line.js';
import type { MediaClock } from '../media/clock.js';
import type { ModemLeg, ModemLegHost } from './leg.js';
import type { ModemConnection, ModemSession } from './session.js';

/** A personality's call control: what the leg asks of it, and dialling out. */
export interface ModemCallControl extends ModemLegHost {
  dial(target: string, options?: DialOptions): Promise<ModemLeg>;
}

/** What every personality's call control is built with. */
export interface ModemCallDeps<C extends ModemConnection> {
  lineId: string;
  session: () => ModemSession<C>;
  log: Logger;
  clock: MediaClock | undefined;
  incoming: (leg: ModemLeg) => void;
}

/** The Line face of a modem: the session does the life cycle, the personality's call control the calls. */
export abstract class ModemLine<C extends ModemConnection> extends EventEmitter<LineEvents> implements Line {
  abstract readonly kind: 'gsm' | 'analog';
  protected abstract readonly session: ModemSession<C>;
  protected abstract readonly calls: ModemCallControl;

  constructor(readonly id: string) {
    super();
  }

  /** The session reports health and alarms as this line's events. */
  protected readonly statusEvents = {
    health: (h: LineHealth): void => void this.emit('health', h),
    alarm: (a: LineAlarm): void => void this.emit('alarm', a),
  };

  health(): LineHealth {
    return this.session.status.health();
  }

  /** Alarms currently active. */
  activeAlarms(): LineAlarm[] {
    return this.session.status.activeAlarms();
  }

  /** Resolves after the first connection attempt, whatever its outcome: a down line keeps retrying. */
  start(): Promise<void> {
    return this.session.start();
  }

  stop(): Promise<void> {
    return this.session.stop((leg) => this.calls.hangupLeg(leg, 'line-stopped'));
  }

  dial(target: string, options: DialOptions = {}): Promise<ModemLeg> {
    return this.calls.dial(target, options);
  }
}
