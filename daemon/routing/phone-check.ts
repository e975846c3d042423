import { Keepalive } from '../../drivers/sip/keepalive.js';
import type { SipTrunkLine } from '../../drivers/sip/trunk-line.js';
import { parseUri, socketHost, uriPort } from '../../drivers/sip/uri.js';
import type { Logger } from '../log.js';
import type { AgentPool } from './agents.js';

/**
 * Optional desk-phone reachability (routing.check_phones): each agent with a SIP contact is pinged
 * with OPTIONS; while the phone does not answer, the agent is 'unreachable' and the router skips
 * them instead of ringing a dead phone for ring_timeout on every call.
 */
export class PhoneCheck {
  private readonly pings = new Map<string, Keepalive>();

  constructor(
    private readonly agents: AgentPool,
    private readonly sip: SipTrunkLine,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const a of this.agents.all()) {
      // Browser phones (contact webrtc) have no SIP address: they ring only while their workbench is open.
      if (!a.contact || a.contact === 'webrtc') continue;
      let target;
      try {
        const u = parseUri(a.contact);
        target = { transport: u.params.transport?.toLowerCase() === 'tcp' ? ('tcp' as const) : ('udp' as const), address: socketHost(u.host), port: uriPort(u) };
      } catch (err) {
        this.log.warn({ err, extension: a.extension }, 'agent contact is not a SIP URI; not checked');
        continue;
      }
      const k = new Keepalive(this.sip.ua, target, this.everyMs);
      k.on('state', (up, reason) => {
        if (!up) this.log.warn({ extension: a.extension, reason }, 'desk phone does not answer OPTIONS; agent unreachable');
        else this.log.info({ extension: a.extension }, 'desk phone answers OPTIONS');
        this.agents.setReachable(a.extension, up);
      });
      k.start();
      this.pings.set(a.extension, k);
    }
  }

  stop(): void {
    for (const k of this.pings.values()) k.stop();
    this.pings.clear();
  }
}
