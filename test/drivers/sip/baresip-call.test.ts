import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { LegEnd } from '../../../drivers/line.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { testPhone, writeTestWav } from '../../helpers/baresip.js';
import { sleep } from '../../helpers/net.js';
import { answered, collect, play, startBox } from '../../helpers/sip-box.js';

const tmp = await mkdtemp(join(tmpdir(), 'sip-call-'));
t.teardown(() => rm(tmp, { recursive: true, force: true }));
const tone600 = await writeTestWav(tmp, 'tone600.wav', tone([600], 12_000, -12));

t.test('the box calls a baresip desk phone: it answers, 5 s of two-way audio, box hangs up', async (t) => {
  const phone = await testPhone(t, { user: '801', answer: 'auto', playWav: tone600 });
  const box = await startBox();
  t.teardown(() => box.stop());

  const leg = await box.dial(phone.uri, { displayName: 'Frontdesk Bot', headers: { 'X-Frontdesk-Call': 'c-1' } });
  await answered(leg);
  t.equal(leg.state, 'answered');
  const received = collect(leg);
  play(leg, tone([1000], 5000, -10));
  await sleep(5600);
  await leg.hangup();
  t.equal(leg.end?.by, 'local');
  await phone.waitEvent('CALL_CLOSED', 5000);

  const heardByBox = received();
  const seconds = heardByBox.length / 16000;
  t.ok(seconds > 4.5, `box received ${seconds.toFixed(1)} s of frames`);
  const mid = heardByBox.subarray(16000, 16000 * 4);
  t.ok(toneLevel(mid, 600) > 0.05, `box hears the phone's 600 Hz tone (level ${toneLevel(mid, 600).toFixed(3)})`);
  t.ok(toneLevel(mid, 600) > 5 * toneLevel(mid, 1000), 'and not its own 1 kHz');

  await sleep(300);
  const heardByPhone = await phone.heard();
  const pcm = Buffer.from(heardByPhone.buffer, heardByPhone.byteOffset, heardByPhone.byteLength);
  t.ok(heardByPhone.length > 8000 * 4.5, `phone recorded ${(heardByPhone.length / 8000).toFixed(1)} s`);
  const pmid = pcm.subarray(16000, 16000 * 4);
  t.ok(toneLevel(pmid, 1000) > 0.05, `phone heard the box's 1 kHz tone (level ${toneLevel(pmid, 1000).toFixed(3)})`);
});

t.test('the phone hangs up: the leg ends by remote', async (t) => {
  const phone = await testPhone(t, { user: '802', answer: 'auto' });
  const box = await startBox();
  t.teardown(() => box.stop());
  const leg = await box.dial(phone.uri);
  await answered(leg);
  const ended = once(leg, 'ended');
  await sleep(500);
  await phone.hangup();
  const [end] = (await ended) as [LegEnd];
  t.same({ by: end.by, cause: end.cause }, { by: 'remote', cause: 'normal' });
  t.equal(leg.media, null);
});
