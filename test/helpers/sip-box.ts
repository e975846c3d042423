import { once } from 'node:events';
import { toFrames } from '../../drivers/media/format.js';
import type { SipLeg } from '../../drivers/sip/leg.js';
import { createSipLine, type SipLineOptions, type SipTrunkLine } from '../../drivers/sip/trunk-line.js';

/** A Frontdesk SIP line on loopback with test-friendly defaults (random port, loopback trusted). */
export async function startBox(opts: Partial<SipLineOptions> = {}): Promise<SipTrunkLine> {
  const line = createSipLine({
    id: 'sip-test',
    listen: { host: '127.0.0.1', port: 0 },
    rtpPorts: { min: 30000, max: 39999 },
    allowFrom: ['127.0.0.1/32'],
    ...opts,
  });
  await line.start();
  return line;
}

/** Wait for a leg to be answered (rejects if it ends first). */
export async function answered(leg: SipLeg, timeoutMs = 10_000): Promise<void> {
  if (leg.state === 'answered') return;
  if (leg.state === 'ended') throw new Error(`leg ended: ${JSON.stringify(leg.end)}`);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    await Promise.race([
      once(leg, 'answered', { signal: ac.signal }),
      once(leg, 'ended', { signal: ac.signal }).then(([e]) => {
        throw new Error(`leg ended before answer: ${JSON.stringify(e)}`);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** Queue PCM on a leg's media port as 20 ms frames. */
export function play(leg: SipLeg, pcm: Buffer): void {
  for (const f of toFrames(pcm)) leg.media!.write(f);
}

/** Collect the frames a leg receives, as one PCM buffer on demand. */
export function collect(leg: SipLeg): () => Buffer {
  const frames: Buffer[] = [];
  leg.media!.on('frame', (f) => frames.push(Buffer.from(f)));
  return () => Buffer.concat(frames);
}
