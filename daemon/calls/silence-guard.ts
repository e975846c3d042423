import type { MediaPort } from '../../drivers/media/port.js';
import type { LineConfig } from '../config/schema.js';
import { durationMs } from '../config/duration.js';
import type { Call } from './call.js';

/** Quieter than this (dBFS, per 20 ms frame) is silence: line noise, not a voice. */
const SPEECH_DBFS = -45;
/** The agent counts as talking for this long after a frame above SPEECH_DBFS (gaps between words). */
const AGENT_HANGOVER_MS = 500;

/** A line's silent-caller backstop in ms (`silent_caller_hangup`), or undefined when off or not a modem line. */
export function silentCallerMs(lc: LineConfig | undefined): number | undefined {
  if (!lc || lc.kind === 'sip') return undefined;
  const v = lc.silent_caller_hangup ?? (lc.kind === 'analog' ? '60s' : 'off');
  return v === 'off' ? undefined : durationMs(v);
}

function levelDbfs(f: Buffer): number {
  let s = 0;
  const n = f.length >> 1;
  for (let i = 0; i < n; i++) s += f.readInt16LE(i * 2) ** 2;
  return 10 * Math.log10(s / Math.max(1, n) / 32768 ** 2 + 1e-12);
}

/**
 * The backstop for lines that never report a hang-up: counts the time the caller is silent while
 * nobody else talks to them (no prompt or hold music queued for the caller, no agent speaking); the count
 * pauses while someone else talks and starts again when the caller speaks. At `afterMs` the call's
 * customer leg is hung up with cause caller-silent. Returns a stop function.
 */
export function guardSilence(call: Call, media: MediaPort, afterMs: number): () => void {
  let silentMs = 0;
  let agentSpokeAt = -Infinity;
  let agentMedia: MediaPort | null = null;
  const onAgent = (f: Buffer): void => {
    if (levelDbfs(f) > SPEECH_DBFS) agentSpokeAt = performance.now();
  };
  const onFrame = (f: Buffer): void => {
    const agent = call.agentLeg?.media ?? null;
    if (agent !== agentMedia) {
      agentMedia?.off('frame', onAgent);
      agentMedia = agent;
      agentMedia?.on('frame', onAgent);
    }
    // Bridged: the agent's voice is what the caller hears. Before that: prompts and hold music,
    // written ahead into the caller's port (the bridge writes frame by frame, so no queue then).
    const othersTalk = agent ? performance.now() - agentSpokeAt < AGENT_HANGOVER_MS : media.queued > 0;
    if (levelDbfs(f) > SPEECH_DBFS) silentMs = 0;
    else if (!othersTalk) silentMs += 20;
    if (silentMs < afterMs) return;
    stop();
    call.log.info({ silentMs }, 'caller silent while nobody talked: ending the call');
    void call.customer.hangup('caller-silent'); // the leg's end drives the call's end
  };
  const stop = (): void => {
    media.off('frame', onFrame);
    agentMedia?.off('frame', onAgent);
  };
  media.on('frame', onFrame);
  return stop;
}
