import { dtmfTones, toneLevel } from '../../drivers/audio/tones.js';
import type { Box } from './box.js';
import type { LogLine } from './daemon-process.js';
import { sleep, waitFor } from './net.js';

/** Log lines from now on: a mark to wait from, so earlier calls' events do not match. */
export function mark(box: Box): number {
  return box.daemon.logs.length;
}

/** Wait for an event the daemon logged after `from`. */
export function eventAfter(box: Box, from: number, type: string, match: (l: LogLine) => boolean = () => true, timeoutMs = 30_000): Promise<LogLine> {
  return box.daemon.waitForLog((l) => l.msg === type && box.daemon.logs.indexOf(l) >= from && match(l), timeoutMs);
}

/** A GSM caller on line `line` (0-based) rings, waits for the bot and presses `key` to reach a queue. Returns the call id. */
export async function callAndPress(box: Box, line: number, number: string, key = '0'): Promise<string> {
  const from = mark(box);
  const callId = await ringToBot(box, line, number);
  box.emus[line]!.modem.play(dtmfTones(key, 120, 200));
  await eventAfter(box, from, 'handoff.requested', (l) => l.callId === callId);
  return callId;
}

/** `number` calls on `line`; resolves with the call id once the bot has answered and is ready for keys. */
export async function ringToBot(box: Box, line: number, number: string): Promise<string> {
  const from = mark(box);
  box.emus[line]!.modem.ring(number);
  const offered = await eventAfter(box, from, 'call.offered', (l) => l.caller === number);
  await eventAfter(box, from, 'call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
  await sleep(800);
  return String(offered.callId);
}

/** The caller on `line` hangs up; resolves when the daemon has ended the call. */
export async function hangUp(box: Box, line: number, callId: string): Promise<LogLine> {
  box.emus[line]!.modem.hangup();
  return box.event('call.ended', (l) => l.callId === callId, 20_000);
}


/**
 * Wait until the caller on `modem` has heard, since `since` (performance.now()), the voicemail beep
 * (1 kHz, 400 ms) to its end: the message is recorded from then on. Instead of a fixed sleep for
 * "the prompt and the beep", which is either too long or, under load, too short.
 */
export async function afterBeep(modem: { recording: readonly { at: number; frame: Buffer }[] }, since: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => {
    let run = 0;
    for (const r of modem.recording) {
      if (r.at < since) continue;
      if (toneLevel(r.frame, 1000) > 0.1) run++;
      else if (run >= 10) return true; // 200 ms of the tone, then a frame without it
      else run = 0;
    }
    return false;
  }, timeoutMs, 'the voicemail beep, to its end');
}
