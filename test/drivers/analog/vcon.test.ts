import t from 'tap';
import { pino } from 'pino';
import { offered, once, ready, rig, TEST_TIMEOUTS, waitFor } from './rig.js';
import { tone, toneLevel } from '../../../drivers/audio/tones.js';
import { toFrames } from '../../../drivers/media/format.js';
import { ETX } from '../../../drivers/analog/dle.js';
import type { AnalogModemEmulator } from '../../../drivers/analog/emulator/index.js';
import type { AnalogLine } from '../../../drivers/analog/line.js';
import type { Leg, LegEnd } from '../../../drivers/line.js';
import type { FarEndGone } from '../../../drivers/analog/emulator/modem.js';

/**
 * ZyXEL-style modems answer the end of voice mode (<DLE><ETX>) and AT+VLS=0 with VCON where V.253
 * modems say OK. Each way a call can end must still end cleanly: on hook at once (no wait for a
 * confirmation that never comes), the line ready for the next call, nothing logged as a problem.
 */

interface LogRecord {
  level: number;
  msg?: string;
  line?: string;
}

/** The line's log, kept: debug and up. */
function capturedLog(): { logger: pino.Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void records.push(JSON.parse(s) as LogRecord) });
  return { logger, records };
}

/** The voice exit waits this long for the modem's OK/VCON: a hang-up that takes this long missed it. */
const VOICE_EXIT_MS = 3000;

/** Ring, answer, and hear audio both ways. */
async function answerCall(emu: AnalogModemEmulator, line: AnalogLine): Promise<Leg> {
  const leg = await offered<Leg>(line, () => emu.ring('5551234'));
  await leg.answer();
  // Audio both ways, so the call is a real one before it ends.
  const got: Buffer[] = [];
  leg.media!.on('frame', (f) => got.push(f));
  emu.clearRecording();
  emu.play(tone([440], 400));
  for (const f of toFrames(tone([1000], 400))) leg.media!.write(Buffer.from(f));
  await waitFor('audio both ways', () => got.filter((f) => toneLevel(f, 440) > 0.1).length >= 15 && emu.recording.filter((r) => toneLevel(r.frame, 1000) > 0.1).length >= 15, 4000);
  return leg;
}

for (const vcon of [true, false]) {
  const modem = vcon ? 'VCON (ZyXEL-style)' : 'OK (V.253)';
  t.test(`a modem confirming the end of voice mode with ${modem}: our hang-up, far-end hang-ups and a modem dropping voice by itself all end cleanly, the next call is answered`, async (t) => {
    const { logger, records } = capturedLog();
    const { emu, line } = await rig(t, { vlsVcon: vcon }, { ringsBeforeAnswer: 1, logger, timeouts: { ...TEST_TIMEOUTS, voiceExitMs: VOICE_EXIT_MS } });
    await ready(line);

    // Our hang-up: <DLE><ETX>, the modem's <DLE><ETX> + VCON/OK, then AT+VLS=0 (answered VCON/OK).
    let leg = await answerCall(emu, line);
    emu.dleFromDte.length = 0;
    let mark = emu.commands.length;
    const t0 = performance.now();
    await leg.hangup();
    const ms = performance.now() - t0;
    t.ok(ms < VOICE_EXIT_MS / 2, `our hang-up took ${ms.toFixed(0)} ms (its confirmation was understood, no ${VOICE_EXIT_MS} ms wait)`);
    t.same(emu.dleFromDte, [ETX], 'one <DLE><ETX>, no <DLE>! retry');
    t.same(emu.commands.slice(mark).map((c) => c.line), ['AT+VLS=0'], 'then AT+VLS=0 accepted (no ATH fallback)');
    t.equal(emu.state, 'idle', 'modem on hook');
    t.match(line.health(), { state: 'ready', inCall: false });

    // The far end goes away in each way the modem reports it; the line goes back on hook each time.
    for (const how of ['loop', 'busy', 'drop'] as FarEndGone[]) {
      leg = await answerCall(emu, line);
      const ended = once<LegEnd>(leg, 'ended');
      mark = emu.commands.length;
      const t1 = performance.now();
      emu.hangup(how);
      t.match(await ended, { by: 'remote' }, `${how}: the leg ended as a remote hang-up`);
      await waitFor(`${how}: on hook`, () => emu.state === 'idle' && line.health().inCall === false, VOICE_EXIT_MS * 2);
      const onHookMs = performance.now() - t1;
      t.ok(onHookMs < VOICE_EXIT_MS / 2, `${how}: on hook ${onHookMs.toFixed(0)} ms after the far end left`);
      t.same(emu.commands.slice(mark).map((c) => c.line), ['AT+VLS=0'], `${how}: AT+VLS=0, nothing else`);
    }

    // Still in command mode and answering: a keepalive goes through, and a last call is answered.
    mark = emu.commands.length;
    await waitFor('keepalive', () => emu.commands.slice(mark).some((c) => c.line === 'AT'), 5000);
    leg = await answerCall(emu, line);
    await leg.hangup();
    t.match(line.health(), { state: 'ready', inCall: false }, 'ready after four calls');

    const problems = records.filter((r) => r.level >= 40);
    t.same(problems, [], 'nothing logged at warn or above');
    const stray = records.filter((r) => r.msg === 'URC ignored' && (r.line === 'VCON' || r.line === 'OK'));
    t.same(stray, [], `every ${vcon ? 'VCON' : 'OK'} was taken as the confirmation it is (none left over as a stray line)`);
    t.equal(line.stats.reopens, 0, 'the modem was never reopened');
  });
}
