/**
 * Byte stream → AT tokens (response lines and the SMS "> " prompt).
 *
 * Modems frame everything with CR/LF, but real ones also emit NULs, half lines after a reset and
 * line noise. The tokenizer never lets that grow memory: a partial line longer than `maxLine` is
 * dropped (and everything up to the next line end with it), and control bytes are discarded.
 */
export type AtToken = { kind: 'line'; text: string } | { kind: 'prompt' };

export interface TokenizerStats {
  /** Bytes thrown away because they were control characters or part of an over-long line. */
  droppedBytes: number;
  /** Over-long partial lines discarded. */
  overflows: number;
}

const CR = 0x0d;
const LF = 0x0a;

export class AtTokenizer {
  /** The partial line, in a fixed buffer: memory stays at maxLine whatever arrives. */
  private readonly partial: Buffer;
  private fill = 0;
  private discarding = false;
  readonly stats: TokenizerStats = { droppedBytes: 0, overflows: 0 };

  constructor(private readonly maxLine = 2048) {
    this.partial = Buffer.alloc(maxLine);
  }

  /** Feed bytes; returns every complete token they finish. */
  push(chunk: Buffer): AtToken[] {
    const out: AtToken[] = [];
    for (const b of chunk) {
      if (b === CR || b === LF) {
        if (this.discarding) this.discarding = false;
        else if (this.fill > 0) {
          const text = this.partial.toString('latin1', 0, this.fill).trim();
          if (text.length > 0) out.push({ kind: 'line', text });
        }
        this.fill = 0;
        continue;
      }
      if (this.discarding) {
        this.stats.droppedBytes++;
        continue;
      }
      // Control bytes (NUL, XON/XOFF, stray escapes) never belong to a line we can use.
      if (b < 0x20 && b !== 0x09) {
        this.stats.droppedBytes++;
        continue;
      }
      if (this.fill === this.maxLine) {
        this.stats.overflows++;
        this.stats.droppedBytes += this.fill + 1;
        this.fill = 0;
        this.discarding = true;
        continue;
      }
      this.partial[this.fill++] = b;
    }
    // The SMS prompt is "\r\n> " with no line end after it: recognise it as the whole partial line.
    if (this.fill === 2 && this.partial[0] === 0x3e && this.partial[1] === 0x20) {
      this.fill = 0;
      out.push({ kind: 'prompt' });
    }
    return out;
  }

  /** Forget any partial line (after a reopen). */
  reset(): void {
    this.fill = 0;
    this.discarding = false;
  }
}
