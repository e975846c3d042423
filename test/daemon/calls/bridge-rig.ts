import type { Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { converse, legParty } from '../../../daemon/calls/converse.js';
import type { RtpPacket } from '../../../drivers/rtp/packet.js';
import type { SipLeg } from '../../../drivers/sip/leg.js';
import type { SipTrunkLine } from '../../../drivers/sip/trunk-line.js';
import { answered, startBox } from '../../helpers/sip-box.js';

/**
 * Two SIP lines of our own stack on loopback ("phones" and "box") and SIP↔SIP calls bridged the
 * daemon's way (converse → Bridge) between a caller phone and an agent phone, each phone sending
 * numbered payloads: what one phone sends is compared byte for byte with what the other gets.
 */

export const openFds = (): number => readdirSync('/proc/self/fd').length;
/** The nice value of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
export const threadNices = (): number[] =>
  readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));

export interface Call {
  callerPhone: SipLeg;
  agentPhone: SipLeg;
  inbound: SipLeg;
  outbound: SipLeg;
  conversation: ReturnType<typeof converse>;
  /** Packets each phone received. */
  atAgent: RtpPacket[];
  atCaller: RtpPacket[];
  digits: string[];
  /** Start both phones sending numbered payloads; returns the stop function. */
  talk(): () => void;
}

/** Box → agent phone: the box's outbound leg and the phone's leg, both answered. */
export async function dialAgent(phones: SipTrunkLine, box: SipTrunkLine): Promise<{ outbound: SipLeg; agentPhone: SipLeg }> {
  const agentP = new Promise<SipLeg>((resolve) => phones.once('incoming', (leg) => resolve(leg as SipLeg)));
  const outbound = await box.dial(`sip:agent@127.0.0.1:${phones.ua.port}`);
  const agentPhone = await agentP;
  await agentPhone.answer();
  await answered(outbound);
  return { outbound, agentPhone };
}

/** Caller phone → box (inbound leg); box → agent phone (outbound leg); the box bridges the two. */
export async function call(phones: SipTrunkLine, box: SipTrunkLine): Promise<Call> {
  const inboundP = new Promise<SipLeg>((resolve) => box.once('incoming', (leg) => resolve(leg as SipLeg)));
  const callerPhone = await phones.dial(`sip:frontdesk@127.0.0.1:${box.ua.port}`);
  const inbound = await inboundP;
  await inbound.answer();
  await answered(callerPhone);
  const { outbound, agentPhone } = await dialAgent(phones, box);
  const digits: string[] = [];
  inbound.on('dtmf', (d) => digits.push(`caller:${d}`));
  outbound.on('dtmf', (d) => digits.push(`agent:${d}`));
  const atAgent: RtpPacket[] = [];
  const atCaller: RtpPacket[] = [];
  agentPhone.rtp!.session.on('packet', (p) => atAgent.push(p));
  callerPhone.rtp!.session.on('packet', (p) => atCaller.push(p));
  const conversation = converse(legParty(inbound, inbound.media!), legParty(outbound, outbound.media!));
  const talk = (): (() => void) => {
    // Each phone's payloads are numbered (first 4 bytes) and tagged with who sent them.
    let n = 0;
    let ts = 0;
    for (const p of [callerPhone, agentPhone]) p.rtp!.setPayloadFed(true);
    const timer = setInterval(() => {
      n++;
      ts = (ts + 160) >>> 0;
      for (const [p, tag] of [[callerPhone, 0x11], [agentPhone, 0x22]] as const) p.rtp!.sendPayload(numbered(n, tag), ts, tag);
    }, 20);
    return () => clearInterval(timer);
  };
  return { callerPhone, agentPhone, inbound, outbound, conversation, atAgent, atCaller, digits, talk };
}

/** The two lines, stopped at the end of the test; `rtpBase`: phones take rtpBase.., the box rtpBase+1000.. (1000 ports each). */
export async function lines(t: Test, rtpBase = 33000): Promise<{ phones: SipTrunkLine; box: SipTrunkLine }> {
  const phones = await startBox({ id: 'phones', rtpPorts: { min: rtpBase, max: rtpBase + 999 } });
  const box = await startBox({ id: 'box', rtpPorts: { min: rtpBase + 1000, max: rtpBase + 1999 } });
  t.teardown(async () => {
    await phones.stop();
    await box.stop();
  });
  return { phones, box };
}

/** Payload `n` of the phone tagged `tag`: 160 bytes of the tag, the number in the first 4. */
export function numbered(n: number, tag: number): Buffer {
  const payload = Buffer.alloc(160, tag);
  payload.writeUInt32BE(n, 0);
  return payload;
}

/** Numbered payloads from `tag`'s phone, in arrival order. */
export const numbers = (packets: RtpPacket[], tag: number): number[] => packets.filter((p) => p.payload.length === 160 && p.payload[4] === tag && p.payload[159] === tag).map((p) => p.payload.readUInt32BE(0));

/** Sequence numbers that don't follow the one before (a jump or a repeat) in what a phone got. */
export function seqBreaks(packets: RtpPacket[]): number {
  let breaks = 0;
  for (let i = 1; i < packets.length; i++) if (((packets[i]!.sequence - packets[i - 1]!.sequence) & 0xffff) !== 1) breaks++;
  return breaks;
}
