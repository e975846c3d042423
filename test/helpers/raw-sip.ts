import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { waitFor } from './net.js';

/** One SIP message as received, with its arrival time (performance.now()). */
export interface RawMessage {
  at: number;
  text: string;
  status?: number;
  method?: string;
}

const hex = (n: number): string => randomBytes(n).toString('hex');

/**
 * A hand-driven SIP UAC on loopback for edge cases a real phone will not produce on purpose: an INVITE
 * never ACKed, a BYE before the ACK, a CANCEL while it rings. It answers OPTIONS and in-dialog requests
 * with 200 (so it can stand in for a PBX trunk) and counts the RTP packets the far end sends it.
 */
export class RawUac {
  readonly got: RawMessage[] = [];
  rtpPackets = 0;
  private constructor(
    private readonly sip: dgram.Socket,
    private readonly rtp: dgram.Socket,
  ) {
    sip.on('message', (b, r) => this.onMessage(b.toString('latin1'), r.port));
    rtp.on('message', () => this.rtpPackets++);
  }

  static async open(): Promise<RawUac> {
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      return s;
    };
    return new RawUac(await bind(), await bind());
  }

  get port(): number {
    return this.sip.address().port;
  }

  close(): void {
    this.sip.close();
    this.rtp.close();
  }

  private onMessage(text: string, fromPort: number): void {
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
    const method = status ? undefined : /^([A-Z]+) /.exec(text)?.[1];
    this.got.push({ at: performance.now(), text, ...(status ? { status: Number(status) } : {}), ...(method ? { method } : {}) });
    if (method && method !== 'ACK') {
      // Answer OPTIONS pings and the far end's BYE: copy Via/From/To/Call-ID/CSeq.
      const keep = text.split('\r\n').filter((l) => /^(Via|v|From|f|To|t|Call-ID|i|CSeq):/i.test(l));
      this.sip.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, fromPort, '127.0.0.1');
    }
  }

  send(text: string, port: number): void {
    this.sip.send(text.replace(/\r?\n/g, '\r\n'), port, '127.0.0.1');
  }

  /** Send OPTIONS until the far end answers one (its SIP stack is up). */
  async ready(port: number, timeoutMs = 20_000): Promise<void> {
    const callId = `${hex(6)}@raw`;
    await waitFor(
      () => {
        if (this.got.some((m) => m.status !== undefined && m.text.includes(`Call-ID: ${callId}`))) return true;
        this.send(`OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${hex(6)}\r\nMax-Forwards: 70\r\nFrom: <sip:raw@127.0.0.1:${this.port}>;tag=${hex(4)}\r\nTo: <sip:ping@127.0.0.1:${port}>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`, port);
        return false;
      },
      timeoutMs,
      'the SIP stack to answer OPTIONS',
    );
  }

  /** Start a call: an INVITE with a PCMU offer. Returns what later requests of this call need. */
  invite(port: number, user = 'bot', from = '+8613800000009'): RawCall {
    const call: RawCall = { port, callId: `${hex(6)}@raw`, fromTag: hex(4), branch: `z9hG4bK${hex(6)}`, uri: `sip:${user}@127.0.0.1:${port}`, from };
    const sdp = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${this.rtp.address().port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;
    this.send(
      `INVITE ${call.uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${call.branch}\r\nMax-Forwards: 70\r\nFrom: <sip:${from}@127.0.0.1:${this.port}>;tag=${call.fromTag}\r\nTo: <${call.uri}>\r\nCall-ID: ${call.callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:${from}@127.0.0.1:${this.port}>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
      port,
    );
    return call;
  }

  /** Responses to this call's requests (by Call-ID and CSeq method). */
  responses(call: RawCall, method = 'INVITE'): RawMessage[] {
    return this.got.filter((m) => m.status !== undefined && m.text.includes(`Call-ID: ${call.callId}`) && new RegExp(`CSeq: \\d+ ${method}`).test(m.text));
  }

  async response(call: RawCall, pred: (status: number) => boolean, method = 'INVITE', timeoutMs = 10_000): Promise<RawMessage> {
    let hit: RawMessage | undefined;
    await waitFor(() => (hit = this.responses(call, method).find((m) => pred(m.status!))) !== undefined, timeoutMs, `${method} response for ${call.callId}`);
    return hit!;
  }

  /** Requests the far end sent in this call (BYE...). */
  requests(call: RawCall, method: string): RawMessage[] {
    return this.got.filter((m) => m.method === method && m.text.includes(`Call-ID: ${call.callId}`));
  }

  private toWithTag(call: RawCall): string {
    const ok = this.responses(call).find((m) => m.status! >= 200);
    const to = /\r\nTo: ([^\r\n]+)/i.exec(ok?.text ?? '')?.[1];
    if (!to) throw new Error('no final response to take the To tag from');
    return to;
  }

  ack(call: RawCall, seq = 1): void {
    this.send(this.inDialog(call, 'ACK', seq, `z9hG4bK${hex(6)}`), call.port);
  }

  /** One datagram from this UAC's RTP socket (the port its offer named): RTP it sends in the call. */
  sendRtp(packet: Buffer, port: number): void {
    this.rtp.send(packet, port, '127.0.0.1');
  }

  /** A re-INVITE in the call with a new offer (direction 'sendonly' puts the far end on hold), CSeq `seq`; then ack(call, seq) its 2xx. */
  reinvite(call: RawCall, direction: 'sendrecv' | 'sendonly', seq: number): void {
    const sdp = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${this.rtp.address().port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=${direction}\r\n`;
    const req = this.inDialog(call, 'INVITE', seq, `z9hG4bK${hex(6)}`).replace('Content-Length: 0\r\n', `Contact: <sip:${call.from}@127.0.0.1:${this.port}>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n`);
    this.send(`${req}${sdp}`, call.port);
  }

  bye(call: RawCall): void {
    this.send(this.inDialog(call, 'BYE', 2, `z9hG4bK${hex(6)}`), call.port);
  }

  /** CANCEL: same branch and CSeq number as the INVITE (RFC 3261 §9.1). */
  cancel(call: RawCall): void {
    this.send(
      `CANCEL ${call.uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${call.branch}\r\nMax-Forwards: 70\r\nFrom: <sip:${call.from}@127.0.0.1:${this.port}>;tag=${call.fromTag}\r\nTo: <${call.uri}>\r\nCall-ID: ${call.callId}\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n`,
      call.port,
    );
  }

  private inDialog(call: RawCall, method: string, seq: number, branch: string): string {
    return `${method} ${call.uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch}\r\nMax-Forwards: 70\r\nFrom: <sip:${call.from}@127.0.0.1:${this.port}>;tag=${call.fromTag}\r\nTo: ${this.toWithTag(call)}\r\nCall-ID: ${call.callId}\r\nCSeq: ${seq} ${method}\r\nContent-Length: 0\r\n\r\n`;
  }
}

export interface RawCall {
  port: number;
  callId: string;
  fromTag: string;
  branch: string;
  uri: string;
  from: string;
}
