import type { ModemPort } from '../modem/port.js';
import { PacedMediaPort } from '../media/port.js';
import { mediaClock, type MediaClock } from '../media/clock.js';
import type { EchoCanceller } from '../audio/echo.js';
import { shield } from './dle.js';
import { frameBytes, fromS16, toS16, type SampleKind } from './formats.js';

/** Cuts a byte stream into fixed-size frames; holds at most one partial frame. */
export class ChunkAssembler {
  private readonly buf: Buffer;
  private fill = 0;

  constructor(readonly size: number) {
    this.buf = Buffer.alloc(size);
  }

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.size - this.fill, chunk.length - off);
      chunk.copy(this.buf, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === this.size) {
        onFrame(Buffer.from(this.buf));
        this.fill = 0;
      }
    }
  }
}

/**
 * The MediaPort of one analog call: the modem's chosen sample format, DLE-shielded, on the same tty
 * that carries AT commands. The line demultiplexes the tty and hands unshielded voice bytes to
 * pushData(); outbound frames are converted, shielded and paced by the shared clock, with silence
 * when idle (the modem plays a continuous stream and underruns otherwise).
 */
export class AnalogVoicePort extends PacedMediaPort {
  private readonly assembler: ChunkAssembler;
  /** The pacing clock (the echo canceller counts the ticks it dropped). */
  private readonly ticks: MediaClock;

  constructor(
    private readonly tty: ModemPort,
    private readonly kind: SampleKind,
    clock?: MediaClock,
    /** The 2-wire line's echo of what we send is taken out of what we receive. */
    private readonly echo?: EchoCanceller,
  ) {
    super(clock);
    this.ticks = clock ?? mediaClock;
    this.assembler = new ChunkAssembler(frameBytes(kind));
  }

  /** Begin sending (once the modem said CONNECT to AT+VTR). */
  begin(): void {
    this.startPacing();
  }

  /** Unshielded voice bytes from the modem. */
  pushData(bytes: Buffer): void {
    if (this.closed) return;
    this.assembler.push(bytes, (f) => {
      const pcm = toS16(f, this.kind);
      this.receive(this.echo ? this.echo.capture(pcm) : pcm);
    });
  }

  protected sendFrame(frame: Buffer): void {
    // A vanished tty ends the line (and this port) through the driver; until then just skip.
    if (this.tty.isOpen && !this.tty.destroyed) this.tty.write(shield(fromS16(frame, this.kind)));
    this.echo?.paced(frame, this.ticks);
  }

  protected override onClose(): void {
    this.echo?.close();
  }
}
