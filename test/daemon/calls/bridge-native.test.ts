import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { converse, legParty } from '../../../daemon/calls/converse.js';
import { nativeRelayStatus } from '../../../drivers/rtp/native-relay.js';
import type { RtpPacket } from '../../../drivers/rtp/packet.js';
import type { SipLeg } from '../../../drivers/sip/leg.js';
import { answered, startBox } from '../../helpers/sip-box.js';
import { call, dialAgent, lines, numbered, numbers, openFds, seqBreaks, threadNices } from './bridge-rig.js';
import { DaemonProcess } from '../../helpers/daemon-process.js';
import { RawUac } from '../../helpers/raw-sip.js';
import { trunkConfig } from '../../helpers/trunk-config.js';
import { freePort, sleep, waitFor } from '../../helpers/net.js';

/**
 * A SIP↔SIP call bridged the daemon's way (converse → Bridge between two legs of our SIP stack),
 * with a caller phone and an agent phone on another SIP line: the pair goes to the native relay, and
 * what the phones send is compared byte for byte with what the other phone gets.
 */

t.test('a bridged SIP call is relayed natively: audio intact both ways, digits still reach the daemon, a tap takes it back without a seam', async (t) => {
  const { phones, box } = await lines(t);
  const c = await call(phones, box);
  const stop = c.talk();
  t.teardown(stop);
  await waitFor(() => c.conversation.bridge.relayedNatively, 5000, 'the pair on the native relay');
  t.equal(nativeRelayStatus().state, 'running', 'the relay thread runs');
  // Root (as here) may raise a thread's priority: the relay's thread, and only it, runs at nice -10.
  if (process.getuid?.() === 0) {
    t.equal(nativeRelayStatus().nice, -10, 'the relay thread asked for nice -10 and got it');
    t.equal(threadNices().filter((n) => n === -10).length, 1, 'one thread of the process runs at nice -10');
    t.equal(threadNices().filter((n) => n !== -10 && n !== 0).length, 0, 'the others at the default');
  } else t.equal(nativeRelayStatus().nice, 0, 'not allowed to raise it: normal priority');
  t.same(c.conversation.bridge.modes, ['pass', 'pass']);

  // Audio: every numbered payload arrives at the other phone, byte for byte and in order.
  const from = { agent: c.atAgent.length, caller: c.atCaller.length };
  await waitFor(() => c.atAgent.length - from.agent >= 100 && c.atCaller.length - from.caller >= 100, 10_000, '100 packets each way');
  for (const [what, got, tag] of [['agent', c.atAgent.slice(from.agent), 0x11], ['caller', c.atCaller.slice(from.caller), 0x22]] as const) {
    const nums = numbers(got, tag);
    t.ok(nums.length >= 95, `the ${what} gets the other phone's payloads (${nums.length} of ${got.length} packets)`);
    t.ok(nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1), `the ${what} gets them all, in order, untouched`);
    const phone = what === 'agent' ? c.outbound : c.inbound;
    t.ok(got.every((p) => p.ssrc === phone.rtp!.session.ssrc), `sent as the ${what} leg's own stream`);
    t.equal(seqBreaks(got), 0, `no gap or repeat in the sequence the ${what} sees`);
  }
  t.ok(c.inbound.rtp!.session.stats.packetsIn >= 100 && c.outbound.rtp!.session.stats.packetsOut >= 100, `the legs' packet counters count what the relay did (${c.inbound.rtp!.session.stats.packetsIn} in, ${c.outbound.rtp!.session.stats.packetsOut} out)`);

  // RFC 4733 digits from both phones during the bridge reach the daemon; the relay stays native.
  await c.callerPhone.sendDtmf('5');
  await c.agentPhone.sendDtmf('#');
  await waitFor(() => c.digits.length >= 2, 5000, 'both digits');
  t.same(c.digits, ['caller:5', 'agent:#'], 'each digit once, from the right side');
  await waitFor(() => c.conversation.bridge.relayedNatively, 3000, 'native again after the digits');

  // A tap (a recording, a supervisor listening) needs PCM here: the pair comes back, seamlessly.
  await sleep(300); // past the digits (a phone sends no audio while it sends a digit)
  const before = c.atAgent.length;
  const tapped: Buffer[] = [];
  const untap = c.conversation.bridge.tap((side, f) => void (side === 'a' && tapped.push(f)));
  t.notOk(c.conversation.bridge.relayedNatively, 'a tap takes the pair back at once');
  await waitFor(() => tapped.length >= 25, 5000, 'the tap hears the caller');
  untap();
  await waitFor(() => c.conversation.bridge.relayedNatively, 3000, 'native again once the tap is gone');
  await sleep(300);
  const across = c.atAgent.slice(before - 10);
  t.equal(seqBreaks(across), 0, `the agent sees one continuous sequence across both hand-overs (${across.length} packets)`);
  const nums = numbers(across, 0x11);
  t.ok(nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1), `no payload lost or repeated across them (${nums.length} from ${nums[0]} on)`);
  await c.callerPhone.hangup();
  await waitFor(() => c.inbound.state === 'ended', 5000, 'the call ends');
  await c.outbound.hangup();
});

t.test('hang-up mid-relay: the pair is handed back and closed, no fd left open, the next call relays on reused fds', async (t) => {
  const { phones, box } = await lines(t);
  // The relay thread (and its epoll and eventfd) may already run: count from here.
  const first = await call(phones, box);
  const stopFirst = first.talk();
  await waitFor(() => first.conversation.bridge.relayedNatively, 5000, 'first call on the native relay');
  stopFirst();
  await first.callerPhone.hangup();
  await first.agentPhone.hangup();
  await waitFor(() => first.inbound.state === 'ended' && first.outbound.state === 'ended', 5000, 'first call over');
  await sleep(200);
  const fds = openFds();

  const c = await call(phones, box);
  const stop = c.talk();
  await waitFor(() => c.conversation.bridge.relayedNatively, 5000, 'on the native relay');
  t.ok(openFds() >= fds + 4, 'four RTP sockets open during the call');
  // The caller hangs up while packets flow both ways.
  await c.callerPhone.hangup();
  await waitFor(() => c.inbound.state === 'ended', 5000, 'the inbound leg ends');
  const ended = await c.conversation.ended;
  t.same(ended, { by: 'a' }, 'the conversation ends with the caller');
  t.notOk(c.conversation.bridge.relayedNatively, 'the pair is no longer lent');
  t.equal(nativeRelayStatus().pairs, 0, 'the relay holds no pair');
  // The agent leg is the event loop's again: its stream goes on (silence) until it hangs up too.
  const atAgent = c.atAgent.length;
  stop();
  await sleep(300);
  t.ok(c.atAgent.length > atAgent, 'the agent leg still sends from the event loop');
  t.equal(seqBreaks(c.atAgent), 0, 'in one sequence');
  await c.agentPhone.hangup();
  await waitFor(() => c.outbound.state === 'ended', 5000, 'the agent leg ends');
  await sleep(200);
  t.equal(openFds(), fds, 'as many fds open as before the call');

  // New sockets take the closed ones' fd numbers: the relay must not hold the old ones.
  const next = await call(phones, box);
  const stopNext = next.talk();
  await waitFor(() => next.conversation.bridge.relayedNatively, 5000, 'the next call on the native relay');
  const from = next.atAgent.length;
  await waitFor(() => next.atAgent.length - from >= 50 && next.atCaller.length >= 50, 5000, 'audio both ways');
  const nums = numbers(next.atAgent.slice(from), 0x11);
  t.ok(nums.length >= 45 && nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1), `the next call's audio arrives intact (${nums.length} payloads)`);
  stopNext();
  await next.callerPhone.hangup();
  await next.agentPhone.hangup();
  await waitFor(() => next.inbound.state === 'ended' && next.outbound.state === 'ended', 5000, 'next call over');
  await sleep(200);
  t.equal(openFds(), fds, 'no fd left after the next call either');
});

t.test('a re-INVITE (the caller holds) takes the pair back; the agent keeps getting RTP in one sequence', async (t) => {
  const { phones, box } = await lines(t);
  const raw = await RawUac.open();
  t.teardown(() => raw.close());
  // The caller: a hand-driven UAC (it can send a re-INVITE), sending RTP from the port it offered.
  const inboundP = new Promise<SipLeg>((resolve) => box.once('incoming', (leg) => resolve(leg as SipLeg)));
  const rc = raw.invite(box.ua.port, 'frontdesk');
  const inbound = await inboundP;
  const answering = inbound.answer(); // resolves with the ACK
  const ok = await raw.response(rc, (s) => s === 200);
  raw.ack(rc);
  await answering;
  const boxRtp = Number(/m=audio (\d+)/.exec(ok.text)?.[1]);
  let seq = 0;
  const rtp = setInterval(() => {
    const pkt = Buffer.alloc(12 + 160, 0x55);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(seq++ & 0xffff, 2);
    pkt.writeUInt32BE((seq * 160) >>> 0, 4);
    pkt.writeUInt32BE(0x1234, 8);
    raw.sendRtp(pkt, boxRtp);
  }, 20);
  t.teardown(() => clearInterval(rtp));
  const { outbound, agentPhone } = await dialAgent(phones, box);
  const atAgent: RtpPacket[] = [];
  agentPhone.rtp!.session.on('packet', (p) => atAgent.push(p));
  const { bridge } = converse(legParty(inbound, inbound.media!), legParty(outbound, outbound.media!));
  await waitFor(() => bridge.relayedNatively, 5000, 'the pair on the native relay');

  const before = atAgent.length;
  raw.reinvite(rc, 'sendonly', 3); // the caller puts the call on hold
  await waitFor(() => raw.responses(rc).some((m) => m.status === 200 && /CSeq: 3 INVITE/.test(m.text)), 5000, '200 to the re-INVITE');
  raw.ack(rc, 3);
  const back = await waitFor(() => !bridge.relayedNatively, 3000, 'the pair back in the event loop').then(() => true, () => false);
  t.ok(back, 'the re-INVITE took the pair back from the native relay');
  await waitFor(() => atAgent.length >= before + 40, 5000, 'the agent keeps getting RTP');
  t.equal(seqBreaks(atAgent.slice(Math.max(0, before - 20))), 0, 'the agent sees one continuous sequence across the hand-over');
  await inbound.hangup();
  await outbound.hangup();
});

t.test('the daemon relays a caller bridged to an agent (both SIP) on its native relay, audio intact both ways', async (t) => {
  const phones = await startBox({ id: 'phones', rtpPorts: { min: 35000, max: 35999 } });
  t.teardown(() => phones.stop());
  const dir = await mkdtemp(join(tmpdir(), 'fd-native-relay-'));
  const sipPort = await freePort(2);
  const rtp = await freePort(50, 36000, 37000);
  await writeFile(
    join(dir, 'frontdesk.yaml'),
    trunkConfig({ site: 'test', pbxPort: phones.ua.port, sipPort, rtpPorts: { min: rtp, max: rtp + 49 }, agents: ['801'], ringTimeout: '10s', dataDir: join(dir, 'data'), logLevel: 'info' }),
  );
  const daemon = new DaemonProcess(['run', '-c', join(dir, 'frontdesk.yaml')]);
  t.teardown(async () => {
    daemon.kill();
    await daemon.exited;
    await rm(dir, { recursive: true, force: true });
  });
  await daemon.waitForLog((l) => l.msg === 'frontdesk running', 30_000);
  const agentP = new Promise<SipLeg>((resolve) => phones.once('incoming', (leg) => resolve(leg as SipLeg)));
  const caller = await phones.dial(`sip:frontdesk@127.0.0.1:${sipPort}`);
  await answered(caller);
  await sleep(300);
  await caller.sendDtmf('0');
  const agent = await agentP;
  await agent.answer();
  const started = await daemon.waitForLog((l) => /native RTP relay thread started/.test(l.msg), 10_000);
  t.ok(started, 'the daemon started its relay thread for the bridge');
  const atAgent: RtpPacket[] = [];
  const atCaller: RtpPacket[] = [];
  agent.rtp!.session.on('packet', (p) => atAgent.push(p));
  caller.rtp!.session.on('packet', (p) => atCaller.push(p));
  let n = 0;
  for (const p of [caller, agent]) p.rtp!.setPayloadFed(true);
  const timer = setInterval(() => {
    n++;
    for (const [p, tag] of [[caller, 0x11], [agent, 0x22]] as const) p.rtp!.sendPayload(numbered(n, tag), (n * 160) >>> 0, tag);
  }, 20);
  t.teardown(() => clearInterval(timer));
  await waitFor(() => numbers(atAgent, 0x11).length >= 100 && numbers(atCaller, 0x22).length >= 100, 15_000, '100 payloads each way through the daemon');
  for (const [what, got, tag] of [['agent', atAgent, 0x11], ['caller', atCaller, 0x22]] as const) {
    const nums = numbers(got, tag).slice(-90);
    t.ok(nums.every((x, i) => i === 0 || x === nums[i - 1]! + 1), `the ${what} gets the other phone's payloads, byte for byte, none missing`);
  }
  clearInterval(timer);
  await caller.hangup();
  await waitFor(() => agent.state === 'ended', 10_000, 'the daemon hangs up the agent');
});
