import t from 'tap';
import dgram from 'node:dgram';
import { readFile, readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from '../../helpers/paths.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { answered, collect, startBox } from '../../helpers/sip-box.js';
import { startPhone, writeTestWav } from '../../helpers/baresip.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';

/** A UDP client on loopback that records every datagram it gets back. */
async function client(): Promise<{ send(b: Buffer, port: number): void; got: Buffer[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { send: (b, port) => s.send(b, port, '127.0.0.1'), got, close: () => s.close() };
}

const options = (branch: string, extra = ''): Buffer =>
  Buffer.from(
    `OPTIONS sip:bot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK${branch}\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bot@127.0.0.1>\r\nCall-ID: ${branch}@x\r\nCSeq: 1 OPTIONS\r\n${extra}Content-Length: 0\r\n\r\n`,
  );

t.test('malformed and hostile fixtures get 400 (or the right error) or are dropped; the box stays up', async (t) => {
  const box = await startBox();
  t.teardown(() => box.stop());
  box.on('incoming', (leg) => void leg.answer());
  const expected = JSON.parse(await readFile(fixtures('sip', 'expected.json'), 'utf8')) as Record<string, number | 'drop'>;
  const files = (await readdir(fixtures('sip'))).filter((f) => f.endsWith('.sip'));
  t.same(files.sort(), Object.keys(expected).sort(), 'every fixture has an expectation');
  for (const f of files) {
    const c = await client();
    const raw = (await readFile(fixtures('sip', f), 'utf8')).replace(/\r?\n/g, '\r\n');
    c.send(Buffer.from(raw), box.ua.port);
    const want = expected[f];
    const final = (): number[] => c.got.map((b) => Number(/^SIP\/2\.0 (\d{3})/.exec(b.toString())?.[1])).filter((s) => s !== 100);
    if (want === 'drop') await sleep(150);
    else await waitFor(() => final().length > 0, 3000, `${f}: a response`).catch(() => undefined);
    c.close();
    const statuses = final();
    if (want === 'drop') t.same(statuses, [], `${f}: dropped`);
    else t.equal(statuses[0], want, `${f}: ${want}`);
  }

  // Generated ones, each with what RFC 3261 wants: a 4 KB header line is legal and processed; over the
  // documented limits (16 KiB message, 64 headers, 8 KiB line) is 513; noise is dropped.
  const generated: [string, Buffer, number | 'drop'][] = [
    ['20 KB message', Buffer.concat([options('big', `X-Pad: ${'a'.repeat(1000)}\r\n`.repeat(20))]), 513],
    ['200 headers', options('many', 'X-H: 1\r\n'.repeat(200)), 513],
    ['4 KB legal header line', options('long4k', `Subject: ${'b'.repeat(4096)}\r\n`), 200],
    ['9000-char header line', options('long9k', `Subject: ${'b'.repeat(9000)}\r\n`), 513],
    ['random bytes', Buffer.from(Array.from({ length: 600 }, () => 1 + Math.floor(Math.random() * 255))), 'drop'],
    ['NUL in header', options('nul', 'Subject: a\u0000b\r\n'), 400],
    ['empty datagram-ish', Buffer.from('\r\n\r\n'), 'drop'],
  ];
  for (const [name, buf, want] of generated) {
    const c = await client();
    c.send(buf, box.ua.port);
    if (want === 'drop') await sleep(150);
    else await waitFor(() => c.got.length > 0, 3000, `${name}: a response`).catch(() => undefined);
    c.close();
    const statuses = c.got.map((b) => Number(/^SIP\/2\.0 (\d{3})/.exec(b.toString())?.[1]));
    if (want === 'drop') t.same(statuses, [], `${name}: dropped`);
    else t.equal(statuses[0], want, `${name}: ${want}`);
  }

  const c = await client();
  c.send(options('alive'), box.ua.port);
  await waitFor(() => c.got.length > 0, 2000, 'OPTIONS reply');
  c.close();
  t.match(c.got[0]!.toString(), /^SIP\/2\.0 200 OK/, 'still answering OPTIONS afterwards');
});

t.test('strangers must authenticate (digest challenge offers SHA-256 and MD5)', async (t) => {
  const box = await startBox({ allowFrom: [], users: { '701': 'pw701' } });
  t.teardown(() => box.stop());
  const c = await client();
  t.teardown(() => c.close());
  c.send(options('auth1'), box.ua.port);
  await waitFor(() => c.got.length > 0, 2000, 'challenge');
  const challenge = c.got[0]!.toString();
  t.match(challenge, /^SIP\/2\.0 401/, 'unauthenticated OPTIONS from a stranger is challenged');
  t.match(challenge, /WWW-Authenticate: Digest .*algorithm=SHA-256/);
  t.match(challenge, /WWW-Authenticate: Digest .*algorithm=MD5/);
});

t.test('a flood from one source gets it banned while a call in progress keeps its audio', async (t) => {
  const tmp = await mkdtemp(join(tmpdir(), 'flood-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const wav = await writeTestWav(tmp, 'tone.wav', tone([600], 15_000, -12));
  const phone = await startPhone({ user: '861', playWav: wav });
  t.teardown(() => phone.stop());
  // Nobody is a trusted peer here, so the flooding address is subject to the rate limit.
  const box = await startBox({ allowFrom: [], guard: { ratePerSecond: 20, burst: 40, banMs: 60_000 } });
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  await answered(leg);
  const received = collect(leg);
  await sleep(500);
  const c = await client();
  t.teardown(() => c.close());
  for (let i = 0; i < 2000; i++) {
    c.send(options(`flood${i}`), box.ua.port);
    if (i % 100 === 0) await sleep(5);
  }
  await sleep(2000);
  t.ok(box.ua.guard.isBanned('127.0.0.1'), 'source banned');
  t.ok(box.ua.guard.stats.dropped > 1000, `dropped ${box.ua.guard.stats.dropped} packets`);
  t.ok(c.got.length < 100, `answered only ${c.got.length} of 2000`);
  const pcm = received();
  const last = pcm.subarray(pcm.length - 16000);
  t.ok(pcm.length >= 16000 * 2, `audio kept arriving (${(pcm.length / 16000).toFixed(1)} s)`);
  t.ok(toneLevel(last, 600) > 0.05, `the last second still carries the phone's tone (${toneLevel(last, 600).toFixed(3)})`);
  t.equal(leg.state, 'answered', 'call still up');
  await leg.hangup();
});
