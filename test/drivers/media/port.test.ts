import t from 'tap';
import { MediaClock } from '../../../drivers/media/clock.js';
import { PacedMediaPort } from '../../../drivers/media/port.js';
import { FRAME_BYTES } from '../../../drivers/media/format.js';

class RecordingPort extends PacedMediaPort {
  sent: { frame: Buffer; silence: boolean; at: number }[] = [];
  start(): void {
    this.startPacing();
  }
  protected sendFrame(frame: Buffer, silence: boolean): void {
    this.sent.push({ frame, silence, at: performance.now() });
  }
  inject(frame: Buffer): void {
    this.receive(frame);
  }
}

t.test('a paced port sends queued frames in order, then silence, at 50 Hz without drift', async (t) => {
  const clock = new MediaClock();
  const port = new RecordingPort(clock);
  for (let i = 0; i < 10; i++) port.write(Buffer.alloc(FRAME_BYTES, i + 1));
  const t0 = performance.now();
  port.start();
  await new Promise((r) => setTimeout(r, 1010));
  port.close();
  const n = port.sent.length;
  // 1 s at 50 Hz is 50 frames; allow a frame either way for the sleep itself.
  t.ok(n >= 49 && n <= 51, `sent ${n} frames in ~1 s`);
  t.same(port.sent.slice(0, 10).map((s) => s.frame[0]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'queued frames first, in order');
  t.ok(port.sent.slice(10).every((s) => s.silence && s.frame.every((b) => b === 0)), 'silence when idle');
  // Drift-free: the k-th frame is due at t0 + (k+1)*20 ms; no frame is more than a tick late.
  const worst = Math.max(...port.sent.map((s, k) => s.at - (t0 + (k + 1) * 20)));
  t.ok(worst < 20, `worst lateness ${worst.toFixed(1)} ms`);
  t.equal(clock.size, 0, 'closing removes the port from the clock');
});

t.test('inbound frames of the wrong size are dropped, right ones delivered', async (t) => {
  const port = new RecordingPort(new MediaClock());
  const got: Buffer[] = [];
  port.on('frame', (f) => got.push(f));
  port.inject(Buffer.alloc(FRAME_BYTES));
  port.inject(Buffer.alloc(100));
  t.equal(got.length, 1);
  t.throws(() => port.write(Buffer.alloc(10)), RangeError);
  port.close();
});
