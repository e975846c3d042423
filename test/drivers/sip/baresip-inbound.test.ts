import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { collect, play, startBox } from '../../helpers/sip-box.js';
import type { SipLeg } from '../../../drivers/sip/leg.js';

const tmp = await mkdtemp(join(tmpdir(), 'sip-in-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));
const tone600 = await writeTestWav(tmp, 'tone600.wav', tone([600], 15_000, -12));

t.test('baresip calls the box: answered, two-way audio, RFC 4733 digits', async (t) => {
  const phone = await testPhone(t, { user: '851', playWav: tone600 });
  const box = await startBox();
  t.teardown(() => box.stop());
  const incoming = new Promise<SipLeg>((resolve) => box.once('incoming', (leg) => resolve(leg as SipLeg)));
  await phone.dial(`sip:bot@127.0.0.1:${box.ua.port}`);
  const leg = await incoming;
  t.equal(leg.direction, 'inbound');
  t.equal(leg.remote.number, '851', 'caller number from From');
  await leg.answer();
  t.equal(leg.state, 'answered');
  await phone.waitEvent('CALL_ESTABLISHED', 5000);
  const received = collect(leg);
  const digits: string[] = [];
  leg.on('dtmf', (d, source) => digits.push(`${d}:${source}`));
  play(leg, tone([1000], 3000, -10));
  await sleep(2500);
  await phone.sendDigits('15#');
  await waitFor(() => digits.length >= 3, 5000, 'digits');
  t.same(digits, ['1:rfc4733', '5:rfc4733', '#:rfc4733'], 'each digit once, from RFC 4733');
  const pcm = received();
  const mid = pcm.subarray(8000, 8000 * 2 * 2);
  t.ok(toneLevel(mid, 600) > 0.05, `box hears 600 Hz (level ${toneLevel(mid, 600).toFixed(3)})`);
  // The phone's hold key: a re-INVITE with a=sendonly, then one with sendrecv.
  const holds: boolean[] = [];
  leg.on('hold', (h) => holds.push(h));
  t.ok((await phone.command('hold')).ok, 'baresip: hold');
  await waitFor(() => holds.length >= 1 || undefined, 5000, 'hold event');
  t.ok((await phone.command('resume')).ok, 'baresip: resume');
  await waitFor(() => holds.length >= 2 || undefined, 5000, 'resume event');
  t.same(holds, [true, false], 'the leg reports hold, then resume');
  const ended = once(leg, 'ended');
  await phone.hangup();
  await ended;
  const heard = await waitFor(async () => {
    const s = await phone.heard();
    return s.length > 8000 ? s : undefined;
  }, 3000, 'recording');
  const ph = Buffer.from(heard.buffer, heard.byteOffset, heard.byteLength).subarray(8000, 8000 * 2 * 2);
  t.ok(toneLevel(ph, 1000) > 0.05, `phone heard 1 kHz (level ${toneLevel(ph, 1000).toFixed(3)})`);
});

t.test('the box sends RFC 4733 digits to the phone', async (t) => {
  const phone = await testPhone(t, { user: '852' });
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  await once(leg, 'answered');
  await leg.sendDtmf('42');
  const ev = await phone.waitEvent('CALL_DTMF_START', 5000).catch(() => undefined);
  t.ok(ev, 'phone reported a DTMF digit');
  if (ev) t.equal(ev.param, '4');
  await leg.hangup();
});
