import t from 'tap';
import { decodeG711, encodeG711 } from '../../../drivers/audio/g711.js';
import { buildRtp, parseRtp, seqDiff } from '../../../drivers/rtp/packet.js';
import { JitterBuffer } from '../../../drivers/rtp/jitter-buffer.js';
import { DtmfReceiver, buildDtmfEvent, parseDtmfEvent } from '../../../drivers/rtp/dtmf-4733.js';
import { RtpSession } from '../../../drivers/rtp/session.js';
import { RtpMediaPort } from '../../../drivers/rtp/media-port.js';
import { MediaClock } from '../../../drivers/media/clock.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { toFrames } from '../../../drivers/media/format.js';
import { waitFor } from '../../helpers/net.js';

t.test('G.711 both laws: decode matches the reference, encode round-trips within quantisation', async (t) => {
  for (const law of ['PCMU', 'PCMA'] as const) {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const pcm = decodeG711(all, law);
    // Reference points from ITU-T G.711 (the extremes and the smallest steps of each law).
    const ref: Record<number, number> = law === 'PCMU' ? { 0x00: -32124, 0x80: 32124, 0xff: 0, 0x7f: 0, 0xfe: 8, 0x7e: -8 } : { 0xd5: 8, 0x55: -8, 0xaa: 32256, 0x2a: -32256 };
    for (const [code, value] of Object.entries(ref)) t.equal(pcm.readInt16LE(Number(code) * 2), value, `${law} 0x${Number(code).toString(16)} → ${value}`);
    t.same(encodeG711(pcm, law), law === 'PCMU' ? Buffer.from(all.map((b) => (b === 0x7f ? 0xff : b))) : all, `${law} encode(decode(x)) = x`);
    const sig = tone([1000], 100, -6);
    const back = decodeG711(encodeG711(sig, law), law);
    t.ok(toneLevel(back, 1000) > 0.9 * toneLevel(sig, 1000), `${law} keeps a tone`);
  }
});

t.test('RTP packets and sequence wrap', async (t) => {
  const p = { payloadType: 0, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload: Buffer.from([1, 2, 3]) };
  t.same(parseRtp(buildRtp(p)), p);
  t.equal(seqDiff(1, 65535), 2);
  t.equal(parseRtp(Buffer.from([0x40, 0, 0])), undefined);
});

t.test('jitter buffer: reorders, conceals one loss, drops late packets', async (t) => {
  const jb = new JitterBuffer({ minFrames: 2, maxFrames: 6 });
  const frame = (v: number): Buffer => Buffer.alloc(320, v);
  jb.push(10, frame(10), 0, 0);
  jb.push(12, frame(12), 40, 40);
  jb.push(11, frame(11), 20, 45);
  t.equal(jb.pop()![0], 10);
  t.equal(jb.pop()![0], 11, 'reordered');
  t.equal(jb.pop()![0], 12);
  jb.push(14, frame(14), 80, 80);
  jb.push(15, frame(15), 100, 100);
  const concealed = jb.pop();
  t.ok(concealed, 'a lost packet is concealed');
  t.equal(jb.pop()![0], 14);
  jb.push(9, frame(9), 0, 200);
  t.equal(jb.stats.late, 1, 'late packet dropped');
});

t.test('RFC 4733: one digit per event despite repeated end packets', async (t) => {
  const rx = new DtmfReceiver();
  const got: string[] = [];
  for (const [ts, end] of [[100, false], [100, false], [100, true], [100, true], [100, true], [900, false], [900, true]] as const) {
    const d = rx.push(ts, buildDtmfEvent({ digit: ts === 100 ? '5' : '#', end, volume: 10, duration: 160 }));
    if (d) got.push(d);
  }
  t.same(got, ['5', '#']);
  t.same(parseDtmfEvent(buildDtmfEvent({ digit: 'D', end: true, volume: 7, duration: 800 })), { digit: 'D', end: true, volume: 7, duration: 800 });
});

t.test('two RTP media ports talk to each other over loopback (ports from the range, symmetric)', async (t) => {
  const clock = new MediaClock();
  const a = await RtpSession.open('127.0.0.1', { min: 41000, max: 41100 });
  const b = await RtpSession.open('127.0.0.1', { min: 41000, max: 41100 });
  t.ok(a.port % 2 === 0 && a.port >= 41000 && a.port <= 41100 && a.port !== b.port, 'even ports in range');
  a.setRemote('127.0.0.1', b.port);
  b.setRemote('127.0.0.1', a.port);
  const cfg = { codec: 'PCMA' as const, payload: 8, dtmfPayload: 101, send: true, receive: true };
  const pa = new RtpMediaPort(a, cfg, clock);
  const pb = new RtpMediaPort(b, cfg, clock);
  t.teardown(() => {
    pa.close();
    pb.close();
  });
  const heard: Buffer[] = [];
  const digits: string[] = [];
  pb.on('frame', (f) => heard.push(Buffer.from(f)));
  pb.onDtmf = (d) => digits.push(d);
  for (const f of toFrames(tone([700], 1000, -10))) pa.write(f);
  pa.start();
  pb.start();
  await waitFor(() => heard.length >= 40, 5000, 'frames');
  const pcm = Buffer.concat(heard.slice(5, 40));
  t.ok(toneLevel(pcm, 700) > 0.1, `700 Hz heard (${toneLevel(pcm, 700).toFixed(3)})`);
  await pa.sendDigits('9*');
  await waitFor(() => digits.length >= 2, 3000, 'digits');
  t.same(digits, ['9', '*']);
});
