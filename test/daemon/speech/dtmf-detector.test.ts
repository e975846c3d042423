import t from 'tap';
import { execFileSync } from 'node:child_process';
import { DtmfDetector, DBM0_AMPLITUDE } from '../../../daemon/speech/dtmf-detector.js';
import { DTMF_FREQS, silence } from '../../../drivers/audio/tones.js';
import { parseWav } from '../../../drivers/audio/wav.js';
import { resample } from '../../../drivers/audio/resample.js';
import { ALL_DIGITS as ALL, CMN, concat, EN, gap, gauss, music, rng, toPcm } from '../../../scripts/dtmf-material.js';

interface ToneSpec {
  ms: number;
  lowDbm0?: number;
  highDbm0?: number;
  /** Relative frequency deviation applied to the low / high tone. */
  lowDev?: number;
  highDev?: number;
}

/** One DTMF digit as float samples; each tone at its own level in dBm0 and frequency. */
function digitTone(d: string, spec: ToneSpec): Float64Array {
  const [lo, hi] = DTMF_FREQS[d]!;
  const n = Math.round(spec.ms * 8);
  const al = DBM0_AMPLITUDE * 10 ** ((spec.lowDbm0 ?? -10) / 20);
  const ah = DBM0_AMPLITUDE * 10 ** ((spec.highDbm0 ?? spec.lowDbm0 ?? -10) / 20);
  const fl = lo * (1 + (spec.lowDev ?? 0));
  const fh = hi * (1 + (spec.highDev ?? 0));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = al * Math.sin((2 * Math.PI * fl * i) / 8000) + ah * Math.sin((2 * Math.PI * fh * i + 1) / 8000);
  return out;
}

/** Feed as 20 ms frames (after `lead` samples of silence, to vary alignment) plus trailing silence. */
function detect(x: Float64Array, lead = 0): string[] {
  const pcm = Buffer.concat([toPcm(gap(lead / 8)), toPcm(x), silence(200)]);
  return DtmfDetector.detect(pcm);
}

t.test('all 16 digits at 0, -10, -20 and -28 dBm0 per tone, any frame alignment', async (t) => {
  const r = rng(1);
  for (const level of [0, -10, -20, -28]) {
    for (const d of ALL) {
      const got = detect(digitTone(d, { ms: 60, lowDbm0: level }), Math.floor(r() * 160));
      t.same(got, [d], `${d} at ${level} dBm0`);
    }
  }
  const seq = concat([...ALL].flatMap((d) => [digitTone(d, { ms: 50 }), gap(50)]));
  t.equal(detect(seq).join(''), ALL, 'a 50/50 ms dialled string comes out whole');
});

t.test('floor: -40 dBFS per tone is found, -50 dBm0 ignored, and the floor is configurable', async (t) => {
  const dbfs40 = -40 + 3.14; // -40 dBFS in dBm0
  for (const d of ALL) t.same(detect(digitTone(d, { ms: 60, lowDbm0: dbfs40 })), [d], `${d} at -40 dBFS`);
  for (const d of '159#') t.same(detect(digitTone(d, { ms: 100, lowDbm0: -50 })), [], `${d} at -50 dBm0 is ignored`);
  const strict = DtmfDetector.detect(toPcm(digitTone('5', { ms: 100, lowDbm0: dbfs40 })), { minLevelDbm0: -32 });
  t.same(strict, [], 'with minLevelDbm0 -32, a -40 dBFS tone is ignored');
});

t.test('music with strong harmonics (a note and its octave on a DTMF pair) gives no digit', async (t) => {
  // 752 Hz + 1504 Hz sits inside the tolerance of 770 + 1477 ('6'), 834 + 1668 of 852 + 1633 ('C').
  for (const f of [752, 755, 832, 835, 690]) {
    const x = new Float64Array(8000);
    for (let i = 0; i < x.length; i++) x[i] = 6000 * Math.sin((2 * Math.PI * f * i) / 8000) + 5000 * Math.sin((4 * Math.PI * f * i) / 8000 + 0.3);
    t.same(detect(x), [], `${f} Hz with its octave`);
  }
  const tune = music(90);
  t.same(DtmfDetector.detect(toPcm(tune)), [], '90 s of synthetic music with harmonics');
});

t.test('frequency deviation: ±1.5 % accepted, ±3.5 % rejected', async (t) => {
  for (const d of ALL) {
    for (const dev of [0.015, -0.015]) {
      t.same(detect(digitTone(d, { ms: 60, lowDev: dev, highDev: dev })), [d], `${d} both ${dev * 100}%`);
      t.same(detect(digitTone(d, { ms: 60, lowDev: dev, highDev: -dev })), [d], `${d} opposite ${dev * 100}%`);
    }
    for (const dev of [0.035, -0.035]) {
      t.same(detect(digitTone(d, { ms: 60, lowDev: dev })), [], `${d} low ${dev * 100}%`);
      t.same(detect(digitTone(d, { ms: 60, highDev: dev })), [], `${d} high ${dev * 100}%`);
    }
  }
});

t.test('worst corners together: 40 ms, ±1.5 %, twist near the limits, any alignment', async (t) => {
  let ok = 0;
  let n = 0;
  for (let lead = 0; lead < 160; lead += 17) {
    for (const d of ALL) {
      n += 2;
      if (detect(digitTone(d, { ms: 40, lowDbm0: -13.5, highDbm0: -10, lowDev: 0.015, highDev: 0.015 }), lead).join('') === d) ok++;
      if (detect(digitTone(d, { ms: 40, lowDbm0: -10, highDbm0: -17.5, lowDev: -0.015, highDev: -0.015 }), lead).join('') === d) ok++;
    }
  }
  t.equal(ok, n, `${ok}/${n}`);
});

t.test('twist: high up to +4 dB and low up to +8 dB accepted, beyond rejected', async (t) => {
  for (const d of ALL) {
    t.same(detect(digitTone(d, { ms: 60, lowDbm0: -13, highDbm0: -10 })), [d], `${d} reverse 3 dB`);
    t.same(detect(digitTone(d, { ms: 60, lowDbm0: -10, highDbm0: -17 })), [d], `${d} normal 7 dB`);
    t.same(detect(digitTone(d, { ms: 60, lowDbm0: -16, highDbm0: -10 })), [], `${d} reverse 6 dB`);
    t.same(detect(digitTone(d, { ms: 60, lowDbm0: -10, highDbm0: -20 })), [], `${d} normal 10 dB`);
  }
});

t.test('duration: 30 ms rejected, 40 ms accepted, whatever the alignment', async (t) => {
  let short = 0;
  let long = 0;
  let runs = 0;
  for (let lead = 0; lead < 160; lead += 9) {
    for (const d of '1590#D') {
      runs++;
      if (detect(digitTone(d, { ms: 30 }), lead).length) short++;
      if (detect(digitTone(d, { ms: 40 }), lead).join('') === d) long++;
    }
  }
  t.equal(short, 0, `30 ms tones detected ${short}/${runs}`);
  t.equal(long, runs, `40 ms tones detected ${long}/${runs}`);
});

t.test('gap: 40 ms separates two presses of the same key, 20 ms does not', async (t) => {
  for (let lead = 0; lead < 160; lead += 23) {
    for (const d of '5*') {
      const two = concat([digitTone(d, { ms: 60 }), gap(40), digitTone(d, { ms: 60 })]);
      const one = concat([digitTone(d, { ms: 60 }), gap(20), digitTone(d, { ms: 60 })]);
      t.same(detect(two, lead), [d, d], `${d} 40 ms gap, lead ${lead}`);
      t.same(detect(one, lead), [d], `${d} 20 ms gap, lead ${lead}`);
    }
  }
});

t.test('white noise at 15 dB SNR does not stop detection nor invent digits', async (t) => {
  const r = rng(7);
  const seq = concat([...ALL].flatMap((d) => [digitTone(d, { ms: 60, lowDbm0: -15 }), gap(60)]));
  // Signal power of a digit: two tones at -15 dBm0, each A²/2.
  const sig = 2 * ((DBM0_AMPLITUDE * 10 ** (-15 / 20)) ** 2 / 2);
  const sigma = Math.sqrt(sig / 10 ** (15 / 10));
  const noisy = seq.map((v) => v + sigma * gauss(r));
  t.equal(detect(noisy).join(''), ALL);
  const noiseOnly = new Float64Array(8000 * 10).map(() => sigma * 4 * gauss(r));
  t.same(detect(noiseOnly), [], '10 s of loud noise alone gives nothing');
});

function espeak(voice: string, text: string): Int16Array {
  const wav = execFileSync('espeak-ng', ['-v', voice, '-b', '1', '--stdout', text], { maxBuffer: 64 << 20 });
  const pcm = parseWav(wav);
  return resample(pcm.samples, pcm.sampleRate, 8000);
}


t.test('talk-off: espeak-ng speech (en, cmn; male and female voices) produces no digits', async (t) => {
  let seconds = 0;
  let digits: string[] = [];
  for (const [voice, lines] of [['en', EN], ['en+f3', EN], ['cmn', CMN], ['cmn+f4', CMN]] as const) {
    const speech = espeak(voice, lines.join(' '));
    // Loud (clipping a little), normal and quiet callers.
    for (const gainDb of [6, 0, -10]) {
      const g = 10 ** (gainDb / 20);
      const x = Float64Array.from(speech, (v) => v * g);
      seconds += x.length / 8000;
      digits = digits.concat(detect(x));
    }
  }
  t.comment(`talk-off: ${digits.length} digits in ${seconds.toFixed(0)} s of speech`);
  t.same(digits, [], 'no digits from speech');
  t.ok(seconds > 120, 'a long enough sample');
});

t.test('digits mixed into speech are still found', async (t) => {
  const speech = espeak('en', EN[1]!);
  const x = Float64Array.from(speech, (v) => v * 0.3);
  const tones = concat([gap(500), digitTone('7', { ms: 80, lowDbm0: -8 }), gap(600), digitTone('#', { ms: 80, lowDbm0: -8 })]);
  for (let i = 0; i < tones.length && i < x.length; i++) x[i]! += tones[i]!;
  t.same(detect(x), ['7', '#']);
});

t.test('streaming: onDigit reports digit and position; reset() forgets', async (t) => {
  const seen: { d: string; at: number }[] = [];
  const det = new DtmfDetector({ onDigit: (d, info) => seen.push({ d, at: info.atSample }) });
  const pcm = toPcm(concat([gap(100), digitTone('9', { ms: 100 }), gap(100)]));
  const fromPush: string[] = [];
  for (let o = 0; o < pcm.length; o += 320) fromPush.push(...det.push(pcm.subarray(o, o + 320)));
  t.same(fromPush, ['9']);
  t.equal(seen.length, 1);
  const latencyMs = (seen[0]!.at - 800) / 8;
  t.ok(latencyMs >= 30 && latencyMs <= 60, `confirmed ${latencyMs} ms after the tone started`);
  det.reset();
  t.same(det.push(toPcm(digitTone('9', { ms: 20 }))), []);
});
