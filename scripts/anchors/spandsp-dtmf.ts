/**
 * spandsp's DTMF receiver (Debian libspandsp2) through koffi: the anchor bench-dtmf compares our
 * detector with. Only the bench uses it; the daemon never loads spandsp.
 */
import koffi from 'koffi';

export interface AnchorDetector {
  /** Feed s16le samples; returns the digits reported by this call. */
  push(frame: Buffer): string;
  free(): void;
}

type Fn = (...args: unknown[]) => unknown;
let api: { init: Fn; rx: Fn; get: Fn; free: Fn } | undefined;

/** Loads libspandsp.so.2, or throws with what to install. */
export function loadSpandsp(): void {
  if (api) return;
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load('libspandsp.so.2');
  } catch (e) {
    throw new Error(`spandsp not available (apt-get install libspandsp2): ${(e as Error).message}`);
  }
  api = {
    // dtmf_rx_state_t *dtmf_rx_init(dtmf_rx_state_t *s, digits_rx_callback_t cb, void *user_data)
    init: lib.func('void *dtmf_rx_init(void *s, void *cb, void *user)') as Fn,
    // int dtmf_rx(dtmf_rx_state_t *s, const int16_t amp[], int samples)
    rx: lib.func('int dtmf_rx(void *s, const int16_t *amp, int samples)') as Fn,
    // size_t dtmf_rx_get(dtmf_rx_state_t *s, char *digits, int max)
    get: lib.func('size_t dtmf_rx_get(void *s, _Out_ uint8_t *digits, int max)') as Fn,
    free: lib.func('int dtmf_rx_free(void *s)') as Fn,
  };
}

/** A spandsp DTMF receiver with its default parameters (digits buffered, read back per push). */
export function spandspDtmf(): AnchorDetector {
  loadSpandsp();
  const a = api!;
  const s = a.init(null, null, null);
  const out = Buffer.alloc(128);
  return {
    push(frame: Buffer): string {
      const samples = new Int16Array(frame.buffer, frame.byteOffset, frame.length >> 1);
      a.rx(s, samples, samples.length);
      const n = Number(a.get(s, out, out.length));
      return n > 0 ? out.toString('latin1', 0, n) : '';
    },
    free(): void {
      a.free(s);
    },
  };
}
