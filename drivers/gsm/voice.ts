import type { ModemPort } from '../modem/port.js';
import { FRAME_BYTES } from '../media/format.js';
import { PacedMediaPort } from '../media/port.js';
import { mediaClock, type MediaClock } from '../media/clock.js';
import type { EchoCanceller } from '../audio/echo.js';

/**
 * Reassembles a raw PCM byte stream (the voice tty delivers whatever the USB stack chunked) into
 * 320-byte frames. Holds at most one partial frame.
 */
export class FrameAssembler {
  private readonly buf = Buffer.alloc(FRAME_BYTES);
  private fill = 0;

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(FRAME_BYTES - this.fill, chunk.length - off);
      chunk.copy(this.buf, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === FRAME_BYTES) {
        onFrame(Buffer.from(this.buf));
        this.fill = 0;
      }
    }
  }

  reset(): void {
    this.fill = 0;
  }
}

/**
 * The MediaPort of one GSM call: s16le 8 kHz on the modem's voice tty, 20 ms frames both ways,
 * outbound paced by the shared drift-free clock with silence when idle (the modems expect a
 * continuous stream and click or drop audio otherwise).
 */
export class GsmVoicePort extends PacedMediaPort {
  private readonly assembler = new FrameAssembler();
  /** The pacing clock (the echo canceller counts the ticks it dropped). */
  private readonly ticks: MediaClock;
  private readonly onData = (chunk: Buffer): void => this.assembler.push(chunk, (f) => this.receive(this.echo ? this.echo.capture(f) : f));

  /** `echo`: the line's echo of what we send is taken out of what we receive (modules with their canceller off). */
  constructor(
    private readonly tty: ModemPort,
    clock?: MediaClock,
    private readonly echo?: EchoCanceller,
  ) {
    super(clock);
    this.ticks = clock ?? mediaClock;
    tty.on('data', this.onData);
    this.startPacing();
  }

  protected sendFrame(frame: Buffer): void {
    // A vanished tty ends the line (and this port) through the driver; until then just skip.
    if (this.tty.isOpen && !this.tty.destroyed) this.tty.write(frame);
    this.echo?.paced(frame, this.ticks);
  }

  protected override onClose(): void {
    this.tty.off('data', this.onData);
    this.echo?.close();
  }
}
