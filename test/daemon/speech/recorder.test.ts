import t from 'tap';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaClock } from '../../../drivers/media/clock.js';
import { PacedMediaPort } from '../../../drivers/media/port.js';
import { FRAME_BYTES } from '../../../drivers/media/format.js';
import { dtmfTones, silence, tone, toneLevel } from '../../../drivers/audio/tones.js';
import { parseWav } from '../../../drivers/audio/wav.js';
import { record } from '../../../daemon/speech/recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-rec-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Inbound frames are injected directly: the recorder needs no real-time pacing. */
class InPort extends PacedMediaPort {
  protected sendFrame(): void {}
  feed(pcm: Buffer): void {
    for (let o = 0; o < pcm.length; o += FRAME_BYTES) {
      const f = Buffer.alloc(FRAME_BYTES);
      pcm.copy(f, 0, o, Math.min(pcm.length, o + FRAME_BYTES));
      this.receive(f);
    }
  }
}

const voice = (ms: number): Buffer => tone([300, 700], ms, -20);

function wavOf(path: string): { rate: number; samples: Int16Array; raw: Buffer } {
  const raw = readFileSync(path);
  const { sampleRate, samples } = parseWav(raw);
  return { rate: sampleRate, samples, raw };
}

t.test('voicemail ends on #, without the # tone, as an 8 kHz mono 16-bit WAV', async (t) => {
  const port = new InPort(new MediaClock());
  const path = join(dir, 'vm1.wav');
  const p = record(port, { path, silenceMs: 3000 });
  port.feed(voice(2000));
  t.notOk(existsSync(path), 'no file under the final name while recording');
  port.feed(dtmfTones('#', 100, 100, -10));
  port.feed(voice(1000)); // after the stop: not recorded
  const rec = await p;
  t.equal(rec.reason, 'digit');
  t.equal(rec.digit, '#');
  t.ok(Math.abs(rec.durationMs - 2000) <= 40, `duration ${rec.durationMs} ms`);
  t.equal(rec.speechMs, rec.durationMs, "all of it speech");
  const w = wavOf(path);
  t.equal(w.rate, 8000);
  t.equal(w.raw.readUInt16LE(22), 1, 'mono');
  t.equal(w.raw.readUInt16LE(34), 16, '16-bit');
  t.equal(w.raw.readUInt32LE(40), w.raw.length - 44, 'data size patched in the header');
  t.equal(w.samples.length, (rec.durationMs / 1000) * 8000);
  const end = w.samples.subarray(w.samples.length - 800);
  t.ok(toneLevel(end, 1477) < 0.01, 'the # tone is not in the file');
  t.notOk(existsSync(`${path}.part`));
  port.close();
});

t.test('silence ends it; trailing silence is trimmed to 0.5 s', async (t) => {
  const port = new InPort(new MediaClock());
  const path = join(dir, 'vm2.wav');
  const p = record(port, { path, silenceMs: 1000 });
  port.feed(Buffer.concat([voice(1000), silence(400), voice(600), silence(3000)]));
  const rec = await p;
  t.equal(rec.reason, 'silence');
  t.equal(rec.durationMs, 2500, 'speech, the inner pause, and 0.5 s of tail');
  t.equal(rec.speechMs, 1600);
  t.equal(wavOf(path).samples.length, 2.5 * 8000);
  port.close();
});

t.test('max duration, and nothing but silence is an empty voicemail', async (t) => {
  const port = new InPort(new MediaClock());
  const p = record(port, { path: join(dir, 'vm3.wav'), maxMs: 1000 });
  port.feed(voice(3000));
  const rec = await p;
  t.equal(rec.reason, 'max');
  t.equal(rec.durationMs, 1000);
  const q = record(port, { path: join(dir, 'vm4.wav'), silenceMs: 500 });
  port.feed(silence(2000));
  const empty = await q;
  t.equal(empty.reason, 'silence');
  t.equal(empty.speechMs, 0, 'the caller said nothing');
  port.close();
});

t.test('abort and hang-up keep what was said; a tap is mixed in', async (t) => {
  const port = new InPort(new MediaClock());
  const tap = new EventEmitter<{ frame: [Buffer] }>();
  const ac = new AbortController();
  const p = record(port, { path: join(dir, 'vm5.wav'), signal: ac.signal, mix: [tap], silenceMs: 0 });
  const out = tone([1000], 1000, -20);
  for (let o = 0; o < 16000; o += FRAME_BYTES) {
    tap.emit('frame', out.subarray(o, o + FRAME_BYTES));
    port.feed(tone([300], 20, -20));
  }
  ac.abort();
  const rec = await p;
  t.equal(rec.reason, 'aborted');
  t.equal(rec.durationMs, 1000);
  const w = wavOf(join(dir, 'vm5.wav'));
  t.ok(toneLevel(w.samples, 1000) > 0.05 && toneLevel(w.samples, 300) > 0.05, 'both directions in the file');

  const q = record(port, { path: join(dir, 'vm6.wav') });
  port.feed(voice(500));
  port.close();
  const closed = await q;
  t.equal(closed.reason, 'closed');
  t.equal(closed.durationMs, 500);
});

t.test('an unwritable path rejects', async (t) => {
  const port = new InPort(new MediaClock());
  const p = record(port, { path: join(dir, 'no/such/dir/x.wav'), maxMs: 100 });
  port.feed(voice(200));
  await t.rejects(p, /ENOENT/);
  port.close();
});
