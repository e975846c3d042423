/**
 * The YAML of a daemon whose only line is a SIP trunk to a PBX on loopback, as the SIP benchmarks
 * and the SIP-only tests run it: the bot answers; with agents, "0" hands the caller to the queue
 * "general", whose agents' desk phones sit behind the PBX (sip:<extension>@127.0.0.1:<pbx port>).
 */
export interface TrunkConfigOptions {
  site: string;
  /** The PBX's SIP port on 127.0.0.1: the trunk line's far side, and where the agents are reached. */
  pbxPort: number;
  /** sip.listen's port on 127.0.0.1. */
  sipPort: number;
  /** sip.rtp_ports, both ends included. */
  rtpPorts: { min: number; max: number };
  /** sip.max_calls (absent: the daemon's default). */
  maxCalls?: number;
  /** Agents' extensions (skill general, no wrap-up); none: no queue, no menu. */
  agents?: string[];
  /** The queue's ring timeout, e.g. "20s". */
  ringTimeout?: string;
  greeting?: string;
  /** storage.dir */
  dataDir: string;
  logLevel: string;
}

export function trunkConfig(o: TrunkConfigOptions): string {
  const agents = o.agents ?? [];
  const contact = (ext: string): string => `sip:${ext}@127.0.0.1:${o.pbxPort}`;
  const routing = agents.length
    ? `agents:
${agents.map((ext) => `  - { extension: "${ext}", name: Agent ${ext}, skills: { general: 1 }, wrap_up: 0s, contact: "${contact(ext)}" }`).join('\n')}
queues:
  - { id: general, skill: general, ring_timeout: ${o.ringTimeout ?? '20s'} }
`
    : '';
  const menu = agents.length
    ? `  menu:
    "0": agent
  handoff:
    say: "One moment."
    default_queue: general
`
    : '';
  return `site: ${o.site}
node: box-1
language: en-US
timezone: UTC
lines:
  - { id: pbx, kind: sip, host: 127.0.0.1, port: ${o.pbxPort}, extensions_via_trunk: false }
sip:
  listen: 127.0.0.1:${o.sipPort}
  rtp_ports: ${o.rtpPorts.min}-${o.rtpPorts.max}
  allow_from: [127.0.0.1/32]
${o.maxCalls ? `  max_calls: ${o.maxCalls}\n` : ''}${routing}bot:
  greeting: "${o.greeting ?? 'Hi.'}"
${menu}speech:
  tts: { voice: en }
  worker: false
storage:
  dir: ${o.dataDir}
logging:
  level: ${o.logLevel}
`;
}
