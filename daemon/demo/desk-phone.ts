import { pino } from 'pino';
import type { Leg } from '../../drivers/line.js';
import { tone } from '../../drivers/audio/tones.js';
import { toFrames } from '../../drivers/media/format.js';
import { createSipLine, type SipTrunkLine } from '../../drivers/sip/trunk-line.js';

/**
 * The demo desk phone: Frontdesk's own SIP stack in auto-answer mode, standing in for an agent's
 * phone so the demo needs no hardware and no third-party softphone. It answers at once, "speaks" a
 * 600 Hz tone and keeps what it hears, so the demo can check audio in both directions.
 */
export class DemoDeskPhone {
  private readonly line: SipTrunkLine;
  /** Frames heard on the current call, with arrival times (ms since the phone answered). */
  heard: Buffer[] = [];
  calls = 0;
  lastCaller: { number?: string; name?: string } = {};
  current: Leg | undefined;

  constructor(
    readonly port: number,
    rtp: { min: number; max: number },
  ) {
    this.line = createSipLine({
      id: 'demo-desk-phone',
      listen: { host: '127.0.0.1', port },
      allowFrom: ['127.0.0.1/32'],
      rtpPorts: rtp,
      userAgent: 'Frontdesk demo desk phone',
      logger: pino({ level: 'silent' }),
    });
    this.line.on('incoming', (leg) => void this.answer(leg));
  }

  get uri(): string {
    return `sip:801@127.0.0.1:${this.port}`;
  }

  start(): Promise<void> {
    return this.line.start();
  }

  stop(): Promise<void> {
    return this.line.stop();
  }

  private async answer(leg: Leg): Promise<void> {
    this.calls++;
    this.current = leg;
    this.heard = [];
    this.lastCaller = { ...(leg.remote.number ? { number: leg.remote.number } : {}), ...(leg.remote.name ? { name: leg.remote.name } : {}) };
    await leg.answer();
    const media = leg.media!;
    media.on('frame', (f) => this.heard.push(f));
    for (const f of toFrames(tone([600], 30_000, -12))) media.write(f);
  }
}
