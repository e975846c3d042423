/**
 * DLE shielding of V.253 voice data. In the byte stream between DTE and modem while voice is on,
 * 0x10 (DLE) introduces a two-byte code: <DLE><DLE> is one literal 0x10 data byte, anything else is
 * an event (received) or a command (sent).
 */
export const DLE = 0x10;
export const ETX = 0x03;

/** Data → shielded bytes: every 0x10 doubled. Returns the input itself when it holds no DLE. */
export function shield(data: Buffer): Buffer {
  let n = 0;
  for (let i = data.indexOf(DLE); i >= 0; i = data.indexOf(DLE, i + 1)) n++;
  if (n === 0) return data;
  const out = Buffer.allocUnsafe(data.length + n);
  let o = 0;
  let from = 0;
  for (let i = data.indexOf(DLE); i >= 0; i = data.indexOf(DLE, i + 1)) {
    o += data.copy(out, o, from, i + 1);
    out[o++] = DLE;
    from = i + 1;
  }
  data.copy(out, o, from);
  return out;
}

export interface DleSink {
  /** Unshielded data bytes (may be any length; the caller reassembles frames). */
  data(bytes: Buffer): void;
  /** <DLE><code>, code not DLE. <DLE><ETX> is reported here too, as 0x03. */
  event(code: number): void;
}

/**
 * Shielded stream → data and events. Holds at most the one DLE that ended a chunk. push() returns
 * the offset just past an end code such as <DLE><ETX> (voice mode is over; what follows is
 * command-mode text), or -1 when the whole chunk was voice.
 */
export class DleDecoder {
  private pendingDle = false;

  /** `endCodes`: the codes that end voice mode in this direction (the modem side also takes <DLE>!). */
  constructor(
    private readonly sink: DleSink,
    private readonly endCodes: readonly number[] = [ETX],
  ) {}

  push(chunk: Buffer): number {
    let i = 0;
    if (this.pendingDle && chunk.length > 0) {
      this.pendingDle = false;
      const end = this.code(chunk[0]!);
      i = 1;
      if (end) return i;
    }
    while (i < chunk.length) {
      const d = chunk.indexOf(DLE, i);
      if (d < 0) {
        this.sink.data(chunk.subarray(i));
        return -1;
      }
      if (d > i) this.sink.data(chunk.subarray(i, d));
      if (d + 1 >= chunk.length) {
        this.pendingDle = true;
        return -1;
      }
      i = d + 2;
      if (this.code(chunk[d + 1]!)) return i;
    }
    return -1;
  }

  reset(): void {
    this.pendingDle = false;
  }

  /** Handle the byte after a DLE; true when it ended voice mode. */
  private code(c: number): boolean {
    if (c === DLE) {
      this.sink.data(Buffer.of(DLE));
      return false;
    }
    this.sink.event(c);
    return this.endCodes.includes(c);
  }
}
