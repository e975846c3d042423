import t, { type Test } from 'tap';
import { encodeG711 } from '../../../drivers/audio/g711.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { MediaClock } from '../../../drivers/media/clock.js';
import { toFrames } from '../../../drivers/media/format.js';
import { RtpMediaPort, type RtpMediaConfig } from '../../../drivers/rtp/media-port.js';
import { RtpSession } from '../../../drivers/rtp/session.js';
import type { RtpPacket } from '../../../drivers/rtp/packet.js';
import { Bridge } from '../../../daemon/calls/bridge.js';
import { waitFor } from '../../helpers/net.js';

const PCMU: RtpMediaConfig = { codec: 'PCMU', payload: 0, dtmfPayload: 101, send: true, receive: true };
const PCMA: RtpMediaConfig = { codec: 'PCMA', payload: 8, dtmfPayload: 101, send: true, receive: true };

/** A phone (far end) and the daemon's port facing it, over loopback. */
async function pairOf(clock: MediaClock, cfg: RtpMediaConfig, farCfg = cfg): Promise<{ phone: RtpMediaPort; ours: RtpMediaPort; packets: RtpPacket[] }> {
  const range = { min: 41200, max: 41400 };
  const p = await RtpSession.open('127.0.0.1', range);
  const o = await RtpSession.open('127.0.0.1', range);
  p.setRemote('127.0.0.1', o.port);
  o.setRemote('127.0.0.1', p.port);
  const phone = new RtpMediaPort(p, farCfg, clock);
  const ours = new RtpMediaPort(o, cfg, clock);
  const packets: RtpPacket[] = [];
  p.on('packet', (pkt) => packets.push(pkt));
  return { phone, ours, packets };
}

/** Keep `port` fed with a tone for as long as the test runs. */
function talk(port: RtpMediaPort, hz: number): () => void {
  const frames = toFrames(tone([hz], 1000, -10));
  let i = 0;
  const timer = setInterval(() => {
    while (port.queued < 4) port.write(frames[i++ % frames.length]!);
  }, 10);
  return () => clearInterval(timer);
}

/** What a phone hears from now on, until `n` frames came. */
async function hear(port: RtpMediaPort, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  const on = (f: Buffer): void => void got.push(Buffer.from(f));
  port.on('frame', on);
  await waitFor(() => got.length >= n, 5000, `${n} frames heard`);
  port.off('frame', on);
  return Buffer.concat(got.slice(n / 2));
}

/** Caller and agent phones, each talking a tone, bridged through the daemon-side ports; torn down with the test. */
async function bridged(t: Test, agentCfg: RtpMediaConfig, agentHz: number | undefined): Promise<{ caller: Awaited<ReturnType<typeof pairOf>>; agent: Awaited<ReturnType<typeof pairOf>>; bridge: Bridge; stopCaller: () => void }> {
  const clock = new MediaClock();
  const caller = await pairOf(clock, PCMU);
  const agent = await pairOf(clock, agentCfg);
  for (const x of [caller, agent]) {
    x.phone.start();
    x.ours.start();
  }
  const stops = [talk(caller.phone, 700), ...(agentHz ? [talk(agent.phone, agentHz)] : [])];
  const bridge = new Bridge(caller.ours, agent.ours);
  t.teardown(() => {
    for (const s of stops) s();
    bridge.close();
    for (const x of [caller, agent]) {
      x.phone.close();
      x.ours.close();
    }
  });
  return { caller, agent, bridge, stopCaller: stops[0]! };
}

t.test('RTP legs with one codec: payloads pass through untouched; taps and a whisper still get PCM', async (t) => {
  const { caller, agent, bridge } = await bridged(t, PCMU, 1200);
  t.same(bridge.modes, ['pass', 'pass'], 'both directions pass payloads');

  const atAgent = await hear(agent.phone, 40);
  const atCaller = await hear(caller.phone, 40);
  t.ok(toneLevel(atAgent, 700) > 0.1, `the agent hears the caller (${toneLevel(atAgent, 700).toFixed(3)})`);
  t.ok(toneLevel(atCaller, 1200) > 0.1, `the caller hears the agent (${toneLevel(atCaller, 1200).toFixed(3)})`);

  // Untouched: the bytes the agent gets are the caller's G.711 frames, under the daemon's stream id.
  const sent = new Set(toFrames(tone([700], 1000, -10)).map((f) => encodeG711(f, 'PCMU').toString('hex')));
  const from = agent.packets.length;
  await waitFor(() => agent.packets.length >= from + 50, 5000, 'packets');
  const window = agent.packets.slice(from, from + 50);
  t.ok(window.every((p) => sent.has(p.payload.toString('hex'))), 'every payload is one the caller sent, byte for byte');
  t.ok(window.every((p) => p.ssrc === agent.ours.session.ssrc), "sent as the agent leg's own stream");
  // Fed by the caller's packets, the agent leg's clock adds no silence packets of its own.
  const t0 = agent.packets.length;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 1000));
  const rate = ((agent.packets.length - t0) * 1000) / (performance.now() - started);
  t.ok(rate > 40 && rate < 60, `about 50 packets/s reach the agent (${rate.toFixed(1)}), not twice that`);

  // A tap (recording, a supervisor listening) hears both sides as PCM while the relay stays pass.
  const tapped: Record<'a' | 'b', Buffer[]> = { a: [], b: [] };
  const untap = bridge.tap((side, f) => void tapped[side].push(Buffer.from(f)));
  await waitFor(() => tapped.a.length >= 30 && tapped.b.length >= 30, 5000, 'tapped frames');
  untap();
  t.ok(toneLevel(Buffer.concat(tapped.a.slice(10)), 700) > 0.1, 'the tap hears the caller');
  t.ok(toneLevel(Buffer.concat(tapped.b.slice(10)), 1200) > 0.1, 'the tap hears the agent');
  t.same(bridge.modes, ['pass', 'pass'], 'a tap does not stop the pass-through');

  // A supervisor whispers to the agent: that direction mixes PCM from now on, the other still passes.
  const whisper = toFrames(tone([1500], 3000, -10));
  let w = 0;
  const whisperer = setInterval(() => bridge.inject('b', whisper[w++ % whisper.length]!), 20);
  t.teardown(() => clearInterval(whisperer));
  await waitFor(() => bridge.modes[0] === 'pcm', 3000, 'caller → agent switches to PCM');
  await new Promise((r) => setTimeout(r, 300));
  const mixed = await hear(agent.phone, 40);
  clearInterval(whisperer);
  t.ok(toneLevel(mixed, 700) > 0.05 && toneLevel(mixed, 1500) > 0.05, `the agent hears the caller and the whisper (${toneLevel(mixed, 700).toFixed(3)}, ${toneLevel(mixed, 1500).toFixed(3)})`);
  t.equal(bridge.modes[1], 'pass', 'agent → caller still passes');
});

t.test('a sender that stops (hold) leaves the far end with silence, not without RTP', async (t) => {
  const { caller, agent, bridge, stopCaller } = await bridged(t, PCMU, undefined);
  await hear(agent.phone, 20);
  // On the native relay's thread (nothing here needs the legs' packets): it fills the silence.
  await waitFor(() => bridge.relayedNatively, 5000, 'the pair on the native relay');
  stopCaller();
  caller.phone.close(); // no more packets from the caller
  const from = agent.packets.length;
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(agent.packets.length - from > 35, `the agent keeps getting packets (${agent.packets.length - from} in 1 s)`);
  const quiet = Buffer.concat(agent.packets.slice(-10).map((p) => p.payload));
  t.ok(quiet.every((b) => b === 0xff), 'µ-law silence');
});

t.test('different codecs on the two legs: decoded and re-encoded, audio passes both ways', async (t) => {
  const { caller, agent, bridge } = await bridged(t, PCMA, 1200);
  t.same(bridge.modes, ['pcm', 'pcm']);
  t.ok(toneLevel(await hear(agent.phone, 40), 700) > 0.1, 'the agent (A-law) hears the caller (µ-law)');
  t.ok(toneLevel(await hear(caller.phone, 40), 1200) > 0.1, 'the caller hears the agent');
});
