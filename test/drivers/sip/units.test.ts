import t from 'tap';
import { parseMessage, serialize, header, headerAll, StreamFramer, SipParseError } from '../../../drivers/sip/message.js';
import { parseNameAddr, parseUri, formatUri } from '../../../drivers/sip/uri.js';
import { DigestServer, authorize, parseChallenge } from '../../../drivers/sip/digest.js';
import { Guard } from '../../../drivers/sip/guard.js';
import { answerDirection, chooseMedia, formatSdp, parseSdp } from '../../../drivers/sip/sdp.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'));

t.test('parser: compact headers, folding, multi-value, quoted strings, body by Content-Length', async (t) => {
  const m = parseMessage(
    crlf(`INVITE sip:bot@127.0.0.1;transport=udp SIP/2.0
v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2
f: "Doe, John" <sip:801@127.0.0.1>;tag=abc
t: <sip:bot@127.0.0.1>
i: cid@x
CSeq: 7 INVITE
Subject: a long
 folded subject
l: 4

v=0
trailing`),
  );
  t.equal(m.type, 'request');
  t.equal(header(m, 'call-id'), 'cid@x');
  t.equal(headerAll(m, 'Via').length, 2, 'two Vias from one line');
  t.equal(header(m, 'Subject'), 'a long folded subject');
  t.equal(m.body.toString(), 'v=0\r', 'body cut at Content-Length');
  const from = parseNameAddr(header(m, 'From')!);
  t.same({ display: from.display, user: from.uri.user, tag: from.params.tag }, { display: 'Doe, John', user: '801', tag: 'abc' });
  const again = parseMessage(serialize(m));
  t.equal(header(again, 'From'), header(m, 'From'), 'round trip');
});

t.test('parser: errors say whether a 400 is possible', async (t) => {
  const base = `OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: c\n`;
  const err = (b: Buffer): SipParseError | undefined => {
    try {
      parseMessage(b);
    } catch (e) {
      return e as SipParseError;
    }
    return undefined;
  };
  t.ok(err(crlf(`${base}CSeq: x OPTIONS\n\n`))?.request, 'bad CSeq: answerable with 400');
  const garbage = err(crlf(`NOTSIP\n\n`));
  t.ok(garbage && !garbage.request, 'garbage: drop');
  t.throws(() => parseMessage(Buffer.alloc(70000, 65)));
});

t.test('TCP framing: split and coalesced messages, keepalives, size limit', async (t) => {
  const msg = serialize(parseMessage(crlf(`OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: c\nCSeq: 1 OPTIONS\nContent-Length: 3\n\nabc`)));
  const f = new StreamFramer();
  const both = Buffer.concat([Buffer.from('\r\n\r\n'), msg, msg]);
  t.equal(f.push(both.subarray(0, 50)).length, 0);
  t.equal(f.push(both.subarray(50)).length, 2);
  t.throws(() => new StreamFramer().push(Buffer.alloc(20000, 66)));
});

t.test('URIs', async (t) => {
  const u = parseUri('sip:801:pw@[::1]:5070;transport=tcp;lr?subject=x');
  t.same({ user: u.user, host: u.host, port: u.port, transport: u.params.transport, lr: u.params.lr }, { user: '801', host: '[::1]', port: 5070, transport: 'tcp', lr: null });
  t.equal(formatUri(parseUri('sip:a@example.com;lr')), 'sip:a@example.com;lr');
  t.throws(() => parseUri('http://x'));
  t.throws(() => parseUri('sip:a@bad host'));
});

t.test('digest: client answers the server; MD5 and SHA-256; replay and expiry', async (t) => {
  let now = 1_000_000;
  const server = new DigestServer('box', new Map([['701', 'pw']]), 60_000, () => now);
  for (const i of [0, 1]) {
    const chHeader = server.challenges()[i]!;
    const ch = parseChallenge(chHeader)!;
    const auth = authorize(ch, { username: '701', password: 'pw' }, 'INVITE', 'sip:bot@box', 1);
    t.same(server.verify(auth, 'INVITE'), { ok: true, user: '701' }, `${ch.algorithm} accepted`);
    const replay = server.verify(auth, 'INVITE');
    t.equal(replay.ok, false, `${ch.algorithm} replay (same nc) refused`);
    t.equal(server.verify(authorize(ch, { username: '701', password: 'pw' }, 'INVITE', 'sip:bot@box', 2), 'INVITE').ok, true, 'higher nc accepted');
  }
  const ch = parseChallenge(server.challenges()[0]!)!;
  const wrongPw = server.verify(authorize(ch, { username: '701', password: 'nope' }, 'INVITE', 'sip:x'), 'INVITE');
  const noUser = server.verify(authorize(ch, { username: 'ghost', password: 'pw' }, 'INVITE', 'sip:x'), 'INVITE');
  t.same(wrongPw, noUser, 'unknown user and wrong password get the same answer');
  t.equal(wrongPw.ok === false && wrongPw.status, 403);
  now += 120_000;
  const stale = server.verify(authorize(ch, { username: '701', password: 'pw' }, 'INVITE', 'sip:x'), 'INVITE');
  t.ok(!stale.ok && stale.challenges[0]!.includes('stale=true'), 'expired nonce → 401 stale');
  const forged = server.verify(authorize({ ...ch, nonce: 'ffff.aaaa.000000000000000000000000' }, { username: '701', password: 'pw' }, 'INVITE', 'sip:x'), 'INVITE');
  t.ok(!forged.ok && forged.status === 401, 'forged nonce refused');
});

t.test('guard: CIDR allow-list, token bucket ban, scanners', async (t) => {
  let now = 0;
  const g = new Guard({ allowFrom: ['10.1.0.0/16', '::1/128'], ratePerSecond: 10, burst: 5, banMs: 1000, now: () => now });
  t.ok(g.isAllowed('10.1.2.3'));
  t.notOk(g.isAllowed('10.2.0.1'));
  t.ok(g.isAllowed('::1'));
  let admitted = 0;
  for (let i = 0; i < 20; i++) if (g.admit('192.0.2.1')) admitted++;
  t.equal(admitted, 5, 'burst then banned');
  t.ok(g.isBanned('192.0.2.1'));
  now += 1500;
  t.ok(g.admit('192.0.2.1'), 'ban expires');
  t.ok(g.isScanner('friendly-scanner'));
  t.ok(g.isScanner('VaxSIPUserAgent/3.1'));
  t.notOk(g.isScanner('baresip v1.0.0'));
});

t.test('SDP offer/answer', async (t) => {
  const offer = parseSdp('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n');
  t.same(chooseMedia(offer), { codec: 'PCMA', payload: 8, dtmfPayload: 101 }, 'first supported codec, G.722 skipped');
  t.equal(answerDirection(offer.direction), 'recvonly');
  t.equal(answerDirection('inactive'), 'inactive');
  t.equal(answerDirection('recvonly'), 'sendonly');
  const ours = parseSdp(formatSdp({ address: '127.0.0.1', port: 5000, sessionId: 1, version: 0, direction: 'sendrecv', codecs: [{ codec: 'PCMU', payload: 0 }], dtmfPayload: 101 }));
  t.same({ port: ours.port, dir: ours.direction, ptime: ours.ptime }, { port: 5000, dir: 'sendrecv', ptime: 20 });
  t.throws(() => parseSdp('v=0\r\n'));
});
