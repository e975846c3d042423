import t from 'tap';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dtmfTones, rms } from '../../../drivers/audio/tones.js';
import { testPhone } from '../../helpers/baresip.js';
import { DEFAULT_BOT, phoneAgent, startBox } from '../../helpers/box.js';
import { ringToBot } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';

// A fault check-config cannot see: storage.dir's voicemail folder is replaced by a plain file after
// the box started (a botched backup restore, a wrong mount), so taking a message throws at run time.
const BOT = DEFAULT_BOT.replace('"0": agent', '"0": agent\n    "8": voicemail');

async function breakVoicemail(dataDir: string): Promise<void> {
  await rm(join(dataDir, 'voicemail'), { recursive: true, force: true });
  await writeFile(join(dataDir, 'voicemail'), 'not a folder');
}

t.test('a step that fails at run time: the caller reaches the agent, the alarm names the key, the CDR says what happened', async (t) => {
  const phone = await testPhone(t, { user: '801', answer: 'auto' });
  const box = await startBox({ agents: [phoneAgent(phone)], bot: BOT });
  t.teardown(() => box.close());
  await breakVoicemail(box.dataDir);

  const callId = await ringToBot(box, 0, '+8613900000031');
  box.emu.modem.play(dtmfTones('8', 120, 200));
  await box.event('call.phase', (l) => l.phase === 'voicemail', 20_000);
  const alarm = await box.event('alarm', (l) => l.code === 'config-error' && l.active === true, 20_000);
  t.equal(alarm.source, 'storage.dir', 'the alarm names the setting to fix');
  t.equal(alarm.severity, 'critical');
  t.match(String(alarm.message), /voicemail step.*callers get an agent instead/, 'and says what broke and what callers get');
  const fix = await box.daemon.waitForLog((l) => /fix storage\.dir in the config file/.test(l.msg));
  t.ok(fix, 'the log says which key to fix');
  await box.event('handoff.requested', (l) => l.callId === callId && l.reason === 'fault');
  await phone.waitEvent('CALL_ESTABLISHED', 20_000);
  await box.event('call.phase', (l) => l.phase === 'connected' && l.callId === callId);
  t.pass('the caller is talking to the agent');
  await sleep(500);
  await phone.hangup();
  const ended = await box.event('call.ended', (l) => l.callId === callId, 20_000);
  t.match(ended, { outcome: 'transferred', fault: 'storage.dir' }, 'call.ended carries the outcome of the safe path and the fault');
  const cdr = await box.row<{ outcome: string; fault: string; agent_ext: string }>('SELECT outcome, fault, agent_ext FROM calls WHERE id = ?', [callId], (r) => r.outcome !== null);
  t.same(cdr, { outcome: 'transferred', fault: 'storage.dir', agent_ext: '801' }, 'the CDR says so too');
  t.notOk(box.daemon.logs.some((l) => l.msg === 'call.ended' && l.cause === 'internal-error'), 'no internal-error');
});

t.test('nobody can take it and voicemail is what broke: a polite goodbye, not silence', async (t) => {
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:5999', extra: 'logged_in: false' }], bot: BOT });
  t.teardown(() => box.close());
  await breakVoicemail(box.dataDir);
  const callId = await ringToBot(box, 0, '+8613900000032');
  box.emu.modem.play(dtmfTones('8', 120, 200));
  const alarm = await box.event('alarm', (l) => l.code === 'config-error' && l.active === true, 20_000);
  t.match(String(alarm.message), /callers get a polite goodbye instead/);
  const said = await box.daemon.waitForLog((l) => l.msg === 'call fault: taking the safe path' && l.fallback === 'goodbye');
  t.ok(said, 'no agent logged in: straight to the goodbye');
  const from = box.emu.modem.recording.length;
  const ended = await box.event('call.ended', (l) => l.callId === callId, 20_000);
  const spoken = box.emu.modem.recording.slice(from).filter((r) => rms(r.frame) > 200).length;
  t.ok(spoken >= 75, `the caller heard the apology before the line dropped (${(spoken / 50).toFixed(1)} s of speech)`);
  t.match(ended, { outcome: 'failed', hungUpBy: 'system', cause: 'config-fault', fault: 'storage.dir' });
  t.notOk(box.daemon.logs.some((l) => l.msg === 'handoff.requested'), 'no agent was tried');
});
