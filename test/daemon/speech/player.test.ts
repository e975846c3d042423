import t from 'tap';
import { MediaClock } from '../../../drivers/media/clock.js';
import { PacedMediaPort } from '../../../drivers/media/port.js';
import { FRAME_BYTES, SILENCE_FRAME } from '../../../drivers/media/format.js';
import { dtmfTones, silence, toneLevel } from '../../../drivers/audio/tones.js';
import { PromptPlayer, playRingback, playWithDtmfBargeIn, ringbackCycle, loopSource, playHold } from '../../../daemon/speech/player.js';
import { PortDtmf } from '../../../daemon/speech/dtmf-port.js';

/**
 * A port on its own clock that records what it sends and, on each tick, delivers the next scripted
 * inbound frame: inbound and outbound stay in lockstep, like a real voice port.
 */
class LoopPort extends PacedMediaPort {
  sent: { frame: Buffer; silence: boolean }[] = [];
  private inbound: Buffer[] = [];
  start(inbound: Buffer = Buffer.alloc(0)): void {
    for (let o = 0; o < inbound.length; o += FRAME_BYTES) this.inbound.push(inbound.subarray(o, o + FRAME_BYTES));
    this.startPacing();
  }
  protected sendFrame(frame: Buffer, silence: boolean): void {
    this.sent.push({ frame, silence });
    this.receive(this.inbound.shift() ?? SILENCE_FRAME);
  }
}

/** A prompt whose frame i is filled with the sample value i + 1, so order is checkable. */
function numbered(n: number): Buffer {
  const b = Buffer.alloc(n * FRAME_BYTES);
  for (let i = 0; i < n; i++) for (let s = 0; s < 160; s++) b.writeInt16LE(i + 1, i * FRAME_BYTES + s * 2);
  return b;
}
const label = (f: Buffer): number => f.readInt16LE(0);

t.test('a prompt plays fully, in order, without gaps, then resolves done', async (t) => {
  const clock = new MediaClock();
  const port = new LoopPort(clock);
  port.start();
  const player = new PromptPlayer(port, { clock });
  const r = await player.play(numbered(60));
  const labels = port.sent.map((s) => label(s.frame)).filter((v) => v !== 0);
  t.equal(r, 'done');
  t.same(labels, Array.from({ length: 60 }, (_, i) => i + 1), 'all 60 frames in order');
  const first = port.sent.findIndex((s) => !s.silence);
  t.ok(port.sent.slice(first, first + 60).every((s) => !s.silence), 'no silence inside the prompt');
  t.ok(port.sent.length <= first + 62, `resolved within a frame or two of the end (${port.sent.length - first - 60})`);
  t.equal(player.position, 60);
  t.ok(port.queued === 0 && !player.playing);
  port.close();
  t.equal(clock.size, 0, 'nothing left on the clock');
});

t.test('stop() and an aborted signal interrupt and clear the port', async (t) => {
  const clock = new MediaClock();
  const port = new LoopPort(clock);
  port.start();
  const player = new PromptPlayer(port, { clock });
  const p = player.play(numbered(200));
  await new Promise((r) => setTimeout(r, 200));
  player.stop();
  t.equal(await p, 'interrupted');
  t.equal(port.queued, 0, 'queue cleared at once');
  const sentPrompt = port.sent.filter((s) => !s.silence).length;
  t.ok(sentPrompt > 3 && sentPrompt < 30, `${sentPrompt} frames went out before stop`);

  const ac = new AbortController();
  const q = player.play(numbered(200), { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  t.equal(await q, 'interrupted');
  // A new play() interrupts the one before it.
  const a = player.play(numbered(200));
  const b = player.play(numbered(2));
  t.equal(await a, 'interrupted');
  t.equal(await b, 'done');
  port.close();
  t.equal(await player.play(numbered(5)), 'interrupted', 'a closed port plays nothing');
});

t.test('a DTMF key mid-prompt stops it within ~100 ms and yields the digit', async (t) => {
  const clock = new MediaClock();
  const port = new LoopPort(clock);
  const toneAt = 25; // inbound frame index where the caller presses 5 (0.5 s into the prompt)
  port.start(Buffer.concat([silence(toneAt * 20), dtmfTones('5', 100, 100, -10)]));
  const dtmf = new PortDtmf(port);
  const r = await playWithDtmfBargeIn(port, numbered(150), { clock, dtmf });
  t.same(r, { result: 'digit', digit: '5' });
  // Prompt frames that still went out after the key went down (the port delivers inbound frame k
  // in the same tick as outbound frame k).
  const after = port.sent.slice(toneAt).filter((s) => !s.silence).length;
  t.ok(after <= 5, `${after} prompt frames (${after * 20} ms) after the key press`);
  t.equal(port.queued, 0);
  t.equal(dtmf.listenerCount('digit'), 0, 'the barge-in listener is removed');
  // Without a key press the same helper plays to the end (after the rest of the tone has passed).
  await new Promise((r) => setTimeout(r, 300));
  const r2 = await playWithDtmfBargeIn(port, numbered(10), { clock });
  t.same(r2, { result: 'done' });
  port.close();
});

t.test('ringback: 450 Hz, 1 s on / 4 s off by default', async (t) => {
  const cycle = ringbackCycle();
  t.equal(cycle.length, 5 * 8000 * 2, 'a 5 s cycle');
  const on = cycle.subarray(0, 16000);
  const off = cycle.subarray(16000);
  t.ok(toneLevel(on, 450) > 0.1, '450 Hz in the on part');
  t.ok(toneLevel(on, 425) < toneLevel(on, 450) / 3, 'and not some other frequency');
  t.ok(off.every((b) => b === 0), 'silence in the off part');
  const us = ringbackCycle({ freqs: [440, 480], cadence: [2000, 4000] });
  t.equal(us.length, 6 * 8000 * 2);
  t.ok(toneLevel(us.subarray(0, 32000), 480) > 0.05);
});

t.test('ringback loops its cadence until stopped', async (t) => {
  const clock = new MediaClock();
  const port = new LoopPort(clock);
  port.start();
  const ac = new AbortController();
  const p = playRingback(port, { clock, signal: ac.signal, cadence: [200, 300] });
  await new Promise((r) => setTimeout(r, 1800));
  ac.abort();
  t.equal(await p, 'interrupted');
  // Runs of tone / silence frames: 10 on, 15 off, repeated.
  const first = port.sent.findIndex((s) => s.frame.some((b) => b !== 0));
  const bits = port.sent.slice(first).map((s) => (s.frame.some((b) => b !== 0) ? 1 : 0));
  const runs: number[] = [];
  let n = 1;
  for (let i = 1; i < bits.length; i++) {
    if (bits[i] === bits[i - 1]) n++;
    else {
      runs.push(n);
      n = 1;
    }
  }
  t.same(runs.slice(0, 4), [10, 15, 10, 15], `cadence runs ${runs.join(',')}`);
  port.close();
});

t.test('hold music loops a buffer', async (t) => {
  const src = loopSource(numbered(3));
  t.same(Array.from({ length: 7 }, () => label(src.next()!)), [1, 2, 3, 1, 2, 3, 1]);
  const clock = new MediaClock();
  const port = new LoopPort(clock);
  port.start();
  const ac = new AbortController();
  const p = playHold(port, numbered(3), { clock, signal: ac.signal });
  await new Promise((r) => setTimeout(r, 300));
  ac.abort();
  t.equal(await p, 'interrupted');
  t.ok(port.sent.filter((s) => !s.silence).length >= 9, 'looped at least three times');
  port.close();
});
