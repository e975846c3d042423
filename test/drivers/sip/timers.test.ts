import t from 'tap';
import dgram from 'node:dgram';
import { UserAgent } from '../../../drivers/sip/user-agent.js';
import type { SipRequest } from '../../../drivers/sip/message.js';
import { sleep } from '../../helpers/net.js';

/** A silent peer that counts what it receives. */
async function silentPeer(): Promise<{ port: number; got: string[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString().split('\r\n')[0]!));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, got, close: () => s.close() };
}

const req = (method: string, port: number): SipRequest => ({
  type: 'request',
  method,
  uri: `sip:x@127.0.0.1:${port}`,
  headers: [
    { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' },
    { name: 'To', value: `<sip:x@127.0.0.1:${port}>` },
    { name: 'Call-ID', value: `${method}-timers@x` },
    { name: 'CSeq', value: `1 ${method}` },
  ],
  body: Buffer.alloc(0),
});

t.test('Timer A doubles, Timer B gives up at 64·T1; Timer E caps at T2, Timer F at 64·T1', async (t) => {
  const ua = new UserAgent({ listen: { host: '127.0.0.1', port: 0 }, allowFrom: ['127.0.0.1/32'], timers: { t1: 20, t2: 80, t4: 100 } });
  await ua.start();
  t.teardown(() => ua.stop());
  const peer = await silentPeer();
  t.teardown(() => peer.close());
  const t0 = Date.now();
  const inviteRes = ua.request(req('INVITE', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
  const optionsRes = ua.request(req('OPTIONS', peer.port), { transport: 'udp', address: '127.0.0.1', port: peer.port });
  const [inv, opt] = await Promise.all([inviteRes, optionsRes]);
  const took = Date.now() - t0;
  t.equal(inv.status, 408, 'INVITE times out as 408');
  t.equal(opt.status, 408, 'OPTIONS times out as 408');
  t.ok(took >= 1200 && took < 4000, `after ~64·T1 = 1280 ms (${took} ms)`);
  const invites = peer.got.filter((l) => l.startsWith('INVITE')).length;
  const options = peer.got.filter((l) => l.startsWith('OPTIONS')).length;
  // INVITE at 0, 20, 60, 140, 300, 620 (, 1260): 6-7 sends. OPTIONS at 0,20,60,140 then every 80 ms: ~17.
  t.ok(invites >= 6 && invites <= 7, `Timer A: ${invites} INVITE transmissions`);
  t.ok(options >= 13 && options <= 19, `Timer E capped at T2: ${options} OPTIONS transmissions`);
  await sleep(200);
  t.same(ua.counts, { clients: 0, servers: 0, dialogs: 0 }, 'transactions cleaned up');
});
