import t from 'tap';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rms, tone } from '../../../drivers/audio/tones.js';
import { encodeWav } from '../../../drivers/audio/wav.js';
import { startBox } from '../../helpers/box.js';
import { eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

// An agent nobody reaches: the VIP's place in the queue is what is under test, not the bridge.
const NOBODY = [{ extension: '899', contact: 'sip:899@127.0.0.1:9' }];

t.test('VIP on a real GSM line: matched after normalisation, skips the greeting, straight to the queue; CDR and events say vip; hold music gone at run time: chime and a config-error alarm', async (t) => {
  const prompts = t.testdir();
  await writeFile(join(prompts, 'jazz.wav'), encodeWav(tone([440], 500, -12), 8000));
  const box = await startBox({
    agents: NOBODY,
    queues: '  - id: general\n    skill: general\n    ring_timeout: 30s\n    max_wait: 2m\n    hold_music: jazz\n    announce: { position: false, wait_estimate: false }',
    speech: `  tts: { voice: en }\n  worker: false\n  prompts_dir: ${prompts}`,
    extra: 'country_code: "86"\npriority:\n  vip_numbers: ["+86 139 0000 0099", "13700000077"]\n',
  });
  t.teardown(() => box.close());
  const modem = box.emu.modem;

  /** One call from `number`: the offer, how long the bot took to hand off, and what the caller heard meanwhile. */
  const vipCall = async (number: string): Promise<{ callId: string; botMs: number; heard: Buffer }> => {
    const from = mark(box);
    modem.ring(number);
    const offered = await eventAfter(box, from, 'call.offered', (l) => l.caller === number);
    t.equal(offered.vip, true, `${number}: call.offered says vip`);
    await eventAfter(box, from, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
    const botAt = performance.now();
    const handoff = await eventAfter(box, from, 'handoff.requested', (l) => l.callId === offered.callId);
    const handoffAt = performance.now();
    t.equal(handoff.reason, 'vip', 'handed off because VIP');
    const enter = await eventAfter(box, from, 'queue.enter', (l) => l.callId === offered.callId);
    t.same(enter.priority, ['vip'], 'joined the queue as VIP');
    t.notOk(box.daemon.logs.slice(from).some((l) => l.msg === 'bot.turn' && l.callId === offered.callId), 'no bot dialog at all');
    const heard = Buffer.concat(modem.recording.filter((r) => r.at >= botAt - 200 && r.at < handoffAt).map((r) => r.frame));
    const callId = String(offered.callId);
    const ended = await hangUp(box, 0, callId);
    t.equal(ended.vip, true, 'call.ended says vip');
    const cdr = await box.row<{ vip: number; caller: string }>('SELECT vip, caller FROM calls WHERE id = ?', [callId], (r) => r !== undefined);
    t.equal(cdr.vip, 1, 'the CDR says vip');
    return { callId, botMs: handoffAt - botAt, heard };
  };

  // Configured "+86 139 0000 0099"; the network shows the national number.
  const national = await vipCall('13900000099');
  // The default greeting takes about 4 s to say; a VIP hears none of it.
  t.ok(national.botMs < 1500, `handed off ${national.botMs.toFixed(0)} ms after answering, without the greeting`);
  // Configured nationally ("13700000077"), arriving as E.164 without its "+" (a type-145 caller ID).
  await vipCall('8613700000077');

  // A caller who is not VIP: offered without vip, greeted by the bot.
  const from = mark(box);
  modem.ring('13900000098');
  const other = await eventAfter(box, from, 'call.offered', (l) => l.caller === '13900000098');
  t.equal(other.vip, false, 'a number one digit off is not VIP');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === other.callId && l.phase === 'bot');
  await hangUp(box, 0, String(other.callId));
  const plain = await box.row<{ vip: number; outcome: string | null }>('SELECT vip, outcome FROM calls WHERE id = ?', [String(other.callId)], (r) => Boolean(r.outcome));
  t.equal(plain.vip, 0);

  // bot.vip_greeting: a short greeting for VIPs instead of none (applied by a reload).
  const file = join(box.dir, 'frontdesk.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('  greeting: "Welcome.', '  vip_greeting: "Welcome back, one moment please."\n  greeting: "Welcome.'));
  const reloadFrom = mark(box);
  box.daemon.kill('SIGHUP');
  await eventAfter(box, reloadFrom, 'config reloaded');
  const greeted = await vipCall('+8613900000099');
  t.ok(rms(greeted.heard) > 300, `the VIP hears the short greeting before the queue (rms ${rms(greeted.heard).toFixed(0)})`);
  t.ok(rms(national.heard) < rms(greeted.heard) / 3, 'and without vip_greeting heard (almost) nothing before the queue');

  // The hold music the loader checked is deleted while the box runs: the caller hears the chime,
  // and an alarm names the key to fix.
  await rm(join(prompts, 'jazz.wav'));
  const m = mark(box);
  modem.ring('+8613900000099');
  const offered = await eventAfter(box, m, 'call.offered', (l) => l.caller === '+8613900000099');
  const alarm = await eventAfter(box, m, 'alarm', (l) => l.code === 'config-error');
  t.match(alarm, { source: 'queues[0].hold_music', severity: 'warning', active: true, message: /jazz\.wav cannot be played; callers hear the default chime/ });
  t.ok(box.daemon.logs.slice(m).some((l) => /fix queues\[0\]\.hold_music in the config file/.test(l.msg)), 'the log says which key to fix');
  const since = performance.now();
  await sleep(1500);
  t.ok(rms(Buffer.concat(modem.recording.filter((r) => r.at >= since).map((r) => r.frame))) > 100, 'the caller hears the chime while waiting');
  await hangUp(box, 0, String(offered.callId));
  const raised = await box.row<{ active: number; severity: string }>("SELECT active, severity FROM alarms WHERE code = 'config-error' AND source = 'queues[0].hold_music'", [], (r) => r.active === 1);
  t.equal(raised.severity, 'warning', 'the alarm is stored (and reported like any other)');

  // The installer puts the file back and reloads: the new config clears the alarm.
  await writeFile(join(prompts, 'jazz.wav'), encodeWav(tone([440], 500, -12), 8000));
  await writeFile(file, `${await readFile(file, 'utf8')}# hold music restored\n`);
  const r = mark(box);
  box.daemon.kill('SIGHUP');
  const cleared = await eventAfter(box, r, 'alarm', (l) => l.code === 'config-error' && l.active === false);
  t.equal(cleared.source, 'queues[0].hold_music', 'cleared when the new config is in force');
  await box.row<{ active: number }>("SELECT active FROM alarms WHERE code = 'config-error' AND source = 'queues[0].hold_music'", [], (row) => row.active === 0);

  // A recording cut to nothing (a valid WAV without samples) cannot be looped: the chime, not silence.
  await writeFile(join(prompts, 'jazz.wav'), encodeWav(Buffer.alloc(0), 8000));
  const e = mark(box);
  modem.ring('+8613900000099');
  const again = await eventAfter(box, e, 'call.offered', (l) => l.caller === '+8613900000099');
  t.match(await eventAfter(box, e, 'alarm', (l) => l.code === 'config-error' && l.active === true), { source: 'queues[0].hold_music' }, 'an empty recording raises the alarm too');
  const since2 = performance.now();
  await sleep(1500);
  t.ok(rms(Buffer.concat(modem.recording.filter((x) => x.at >= since2).map((x) => x.frame))) > 100, 'and the caller hears the chime');
  await hangUp(box, 0, String(again.callId));
});
