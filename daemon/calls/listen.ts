import type { Leg } from '../../drivers/line.js';
import type { Call } from './call.js';
import { PairMixer } from './pair-mixer.js';

/** listen: hear both, say nothing; whisper: the agent hears the supervisor too; barge: both do. */
export type MonitorMode = 'listen' | 'whisper' | 'barge';

/**
 * A supervisor joins a connected call: both parties of the call's bridge, mixed, go to the
 * supervisor's leg; in whisper mode what the supervisor says is mixed into what the agent hears,
 * in barge mode into what both hear. The supervisor's leg ends with the call, and monitoring stops
 * when the supervisor hangs up.
 */
export function listenIn(call: Call, ear: Leg, mode: MonitorMode = 'listen'): void {
  let off: (() => void) | undefined;
  const start = (): void => {
    const media = ear.media;
    if (!media || !call.bridge) return void ear.hangup('not-connected'); // the ear's leg reports its own end
    const mixer = new PairMixer((f) => {
      if (media.closed) return;
      if (media.queued > 5) media.clear();
      media.write(f);
    });
    const bridge = call.bridge;
    const untap = bridge.tap((side, frame) => mixer.push(side, frame));
    // The bridge is caller (a) ⇄ agent (b).
    const speak = (f: Buffer): void => {
      if (mode === 'listen') return;
      bridge.inject('b', f);
      if (mode === 'barge') bridge.inject('a', f);
    };
    media.on('frame', speak);
    off = () => (untap(), media.off('frame', speak));
  };
  if (ear.state === 'answered' && ear.media) start();
  else ear.once('answered', start);
  const endEar = (): void => void ear.hangup('call-ended');
  call.gone.signal.addEventListener('abort', endEar, { once: true });
  const agentEnded = (): void => endEar();
  call.agentLeg?.once('ended', agentEnded);
  ear.once('ended', () => {
    off?.();
    call.gone.signal.removeEventListener('abort', endEar);
    call.agentLeg?.off('ended', agentEnded);
  });
}
