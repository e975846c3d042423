import { EventEmitter } from 'node:events';
import type { MediaPort } from '../../drivers/media/port.js';
import { DtmfDetector, type DigitInfo, type DtmfOptions } from './dtmf-detector.js';

export interface PortDtmfEvents {
  digit: [digit: string, info: DigitInfo];
}

/**
 * In-band DTMF on a MediaPort: feeds every inbound frame to a DtmfDetector and emits 'digit'.
 * The call core keeps one per leg for the whole call; prompts borrow it for barge-in. It detaches
 * itself when the port closes.
 */
export class PortDtmf extends EventEmitter<PortDtmfEvents> {
  readonly detector: DtmfDetector;
  private readonly onFrame = (frame: Buffer): void => void this.detector.push(frame);
  private readonly onClose = (): void => this.close();
  private attached = true;

  constructor(
    private readonly port: MediaPort,
    opts: DtmfOptions = {},
  ) {
    super();
    const user = opts.onDigit;
    this.detector = new DtmfDetector({
      ...opts,
      onDigit: (d, info) => {
        user?.(d, info);
        this.emit('digit', d, info);
      },
    });
    port.on('frame', this.onFrame);
    port.once('close', this.onClose);
  }

  /** Stop listening (idempotent). */
  close(): void {
    if (!this.attached) return;
    this.attached = false;
    this.port.off('frame', this.onFrame);
    this.port.off('close', this.onClose);
  }
}
