import t from 'tap';
import { EchoCanceller } from '../../../drivers/audio/echo.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { FRAME_BYTES } from '../../../drivers/media/format.js';

/** Noise shaped like speech (low-passed, syllable-rate envelope), deterministic. */
function speechLike(ms: number): Int16Array {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const out = new Int16Array(ms * 8);
  let lp = 0;
  for (let i = 0; i < out.length; i++) {
    lp = 0.7 * lp + 0.3 * rnd();
    out[i] = Math.round(lp * (0.5 + 0.5 * Math.sin((2 * Math.PI * 3 * i) / 8000)) * 12000);
  }
  return out;
}

/** A hybrid: 60 ms of delay, a short smear, -12 dB. */
function lineEcho(x: Int16Array): Int16Array {
  const taps: [number, number][] = [[480, 1], [481, -0.45], [484, 0.2], [505, -0.1]];
  const y = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let v = 0;
    for (const [d, h] of taps) if (i - d >= 0) v += h * x[i - d]!;
    y[i] = Math.round(v * 0.251);
  }
  return y;
}

const frame = (x: Int16Array, f: number): Buffer => Buffer.from(x.buffer, f * FRAME_BYTES, FRAME_BYTES);

t.test('speexdsp through koffi: >= 20 dB less echo after convergence, and double talk keeps the near voice', async (t) => {
  const far = speechLike(14_000);
  const echo = lineEcho(far);
  const near = new Int16Array(tone([1000], 14_000, -20).buffer.slice(0));
  const ec = new EchoCanceller({ tailMs: 128 });
  t.teardown(() => ec.close());
  let eIn = 0;
  let eOut = 0;
  const doubleTalkIn: Buffer[] = [];
  const doubleTalkOut: Buffer[] = [];
  for (let f = 0; f < 700; f++) {
    ec.playback(frame(far, f));
    const rec = Buffer.from(frame(echo, f));
    const doubleTalk = f >= 550 && f < 650;
    if (doubleTalk) for (let i = 0; i < 160; i++) rec.writeInt16LE(Math.max(-32768, Math.min(32767, rec.readInt16LE(i * 2) + near[f * 160 + i]!)), i * 2);
    const out = ec.capture(rec);
    if (f >= 300 && f < 550) {
      for (let i = 0; i < 160; i++) {
        eIn += rec.readInt16LE(i * 2) ** 2;
        eOut += out.readInt16LE(i * 2) ** 2;
      }
    }
    if (doubleTalk && f >= 560) {
      doubleTalkIn.push(rec);
      doubleTalkOut.push(out);
    }
  }
  const erle = 10 * Math.log10(eIn / eOut);
  t.ok(erle >= 20, `ERLE ${erle.toFixed(1)} dB (bulk delay found: ${ec.bulkDelayFrames} frames)`);
  const before = toneLevel(Buffer.concat(doubleTalkIn), 1000);
  const after = toneLevel(Buffer.concat(doubleTalkOut), 1000);
  t.ok(after > before * 0.7, `the near voice passes during double talk (1 kHz level ${before.toFixed(3)} → ${after.toFixed(3)})`);
});

/** ERLE (dB) over frames [from, to) of a run: echo in vs what the canceller let through. */
function erleOver(recs: Buffer[], outs: Buffer[], from: number, to: number): number {
  let eIn = 0;
  let eOut = 0;
  for (let f = from; f < to; f++) {
    for (let i = 0; i < 160; i++) {
      eIn += recs[f]!.readInt16LE(i * 2) ** 2;
      eOut += outs[f]!.readInt16LE(i * 2) ** 2;
    }
  }
  return 10 * Math.log10(eIn / eOut);
}

t.test('the echo delay moves mid-call (the modem played 4 frames of silence): the canceller follows within a second, its filter kept', async (t) => {
  const far = speechLike(30_000);
  // Frames 0-499 echo 60 ms later; from frame 500 on the modem's playout ran dry for 4 frames: 80 ms more.
  const before = lineEcho(far);
  const after = lineEcho(new Int16Array(far.length).fill(0).map((_, i) => (i >= 4 * 160 ? far[i - 4 * 160]! : 0)));
  const ec = new EchoCanceller({ tailMs: 128 });
  t.teardown(() => ec.close());
  const recs: Buffer[] = [];
  const outs: Buffer[] = [];
  for (let f = 0; f < 1100; f++) {
    ec.playback(frame(far, f));
    const rec = Buffer.from(frame(f < 500 ? before : after, f));
    recs.push(rec);
    outs.push(ec.capture(rec));
  }
  t.ok(erleOver(recs, outs, 400, 500) >= 20, `converged before the move: ERLE ${erleOver(recs, outs, 400, 500).toFixed(1)} dB`);
  t.ok(ec.retracked >= 1, `the pairing followed the move (${ec.retracked}x, bulk delay ${ec.bulkDelayFrames} frames)`);
  const settled = erleOver(recs, outs, 550, 1100);
  t.ok(settled >= 20, `from 1 s after the move: ERLE ${settled.toFixed(1)} dB`);
});

t.test("the line's stream starts before ours (the modem talks from CONNECT on): the pairing moves and the echo is cancelled", async (t) => {
  const far = speechLike(20_000);
  const echo = lineEcho(far);
  const ec = new EchoCanceller({ tailMs: 128 });
  t.teardown(() => ec.close());
  const silent = Buffer.alloc(320);
  // 8 frames received before we send our first: every later frame arrives 8 frames "early".
  for (let i = 0; i < 8; i++) ec.capture(silent);
  const recs: Buffer[] = [];
  const outs: Buffer[] = [];
  for (let f = 0; f < 1000; f++) {
    ec.playback(frame(far, f));
    const rec = Buffer.from(frame(echo, f));
    recs.push(rec);
    outs.push(ec.capture(rec));
  }
  t.ok(ec.realigned >= 1, `paired anew (${ec.realigned}x)`);
  const erle = erleOver(recs, outs, 500, 1000);
  t.ok(erle >= 20, `ERLE ${erle.toFixed(1)} dB`);
});
