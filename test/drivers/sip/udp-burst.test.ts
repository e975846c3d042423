import t from 'tap';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { UdpTransport } from '../../../drivers/sip/transport-udp.js';
import { waitFor } from '../../helpers/net.js';
import type { SipMessage } from '../../../drivers/sip/message.js';

/**
 * A burst of SIP datagrams whose handling takes longer than one slice of the event loop: the
 * transport hands the rest out in later turns. Nothing is lost or reordered on the way.
 */
t.test('a burst of 300 requests with slow handling: every one is handled, in the order sent', async (t) => {
  const transport = new UdpTransport('127.0.0.1', 0);
  await transport.listen();
  t.teardown(() => transport.close());
  const seen: number[] = [];
  transport.on('message', (msg: SipMessage) => {
    const cseq = msg.headers.find((h) => h.name.toLowerCase() === 'cseq')?.value ?? '';
    seen.push(Number.parseInt(cseq, 10));
    const until = performance.now() + 0.5; // a handler that takes its time (an INVITE's set-up)
    while (performance.now() < until);
  });
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  t.teardown(() => sender.close());
  const request = (n: number): Buffer =>
    Buffer.from(`OPTIONS sip:box@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${sender.address().port};branch=z9hG4bK-${n}\r\nFrom: <sip:a@127.0.0.1>;tag=a${n}\r\nTo: <sip:box@127.0.0.1>\r\nCall-ID: burst-${n}\r\nCSeq: ${n} OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
  for (let n = 1; n <= 300; n++) sender.send(request(n), transport.local.port, '127.0.0.1');
  await waitFor(() => seen.length === 300, 20_000, 'all 300 handled');
  t.same(seen, Array.from({ length: 300 }, (_, i) => i + 1), 'handled in the order sent');
});
