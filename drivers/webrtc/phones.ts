import { LineError, type DialOptions } from '../line.js';
import { candidateFilter } from './ice.js';
import { WebRtcLeg, type PhoneSignal } from './leg.js';

/**
 * Browser phones: agents whose contact is `webrtc`. A workbench page attaches while it is open;
 * dialling an agent with no page open fails at once (the router tries the next agent).
 */
export class WebRtcPhones {
  private readonly pages = new Map<string, Set<PhoneSignal>>();
  private readonly legs = new Map<string, WebRtcLeg>();
  private filter: (sdp: string) => string = (s) => s;

  /** console.webrtc.networks: the ICE candidates allowed both ways. */
  setNetworks(networks: readonly string[] | undefined): void {
    this.filter = candidateFilter(networks);
  }

  /** The ICE candidate filter in force (web callers' legs use it too). */
  sdpFilter(): (sdp: string) => string {
    return this.filter;
  }

  attach(extension: string, signal: PhoneSignal): () => void {
    let set = this.pages.get(extension);
    if (!set) this.pages.set(extension, (set = new Set()));
    set.add(signal);
    // A page opened while its phone rings rings too.
    for (const leg of this.legs.values()) if (leg.extension === extension && leg.state === 'ringing') signal.ring(leg);
    return () => set.delete(signal);
  }

  online(extension: string): boolean {
    return (this.pages.get(extension)?.size ?? 0) > 0;
  }

  async dial(extension: string, options: DialOptions = {}): Promise<WebRtcLeg> {
    if (!this.online(extension)) throw new LineError('unreachable', `agent ${extension} has no workbench open to ring`);
    const leg = new WebRtcLeg(extension, options, () => [...(this.pages.get(extension) ?? [])], this.filter);
    this.legs.set(leg.id, leg);
    leg.once('ended', () => this.legs.delete(leg.id));
    leg.ring();
    return leg;
  }

  leg(id: string): WebRtcLeg | undefined {
    return this.legs.get(id);
  }

  /** Legs ringing or answered for an agent (a page that opens late picks them up). */
  legsOf(extension: string): WebRtcLeg[] {
    return [...this.legs.values()].filter((l) => l.extension === extension);
  }

  closeAll(): void {
    for (const l of this.legs.values()) void l.hangup('shutdown'); // shutting down: each leg reports its own end
  }
}
