import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../drivers/gsm/emulator/index.js';
import { startAnalogEmulator, type AnalogEmulatorOptions, type AnalogModemEmulator } from '../../drivers/analog/emulator/index.js';
import { Db } from '../../daemon/store/db.js';
import { DaemonProcess, type LogLine } from './daemon-process.js';
import { atMost, freePort, sleep } from './net.js';

export interface BoxOptions {
  /** agents: YAML list items (without the leading "- "), e.g. `extension: "801"\n    name: A\n    contact: sip:...` */
  agents: { extension: string; /** Omitted: reached through the SIP line (the PBX). */ contact?: string; skills?: string; /** More YAML keys, e.g. "wrap_up: 0s" (one per line). */ extra?: string }[];
  /** Emulated GSM lines gsm1..gsmN, each one call at a time (default 1). */
  lines?: number;
  /** The modem family of line i (default huawei). */
  modem?: (i: number) => 'huawei' | 'quectel' | 'simcom';
  /** The queues list (YAML items, indented two spaces) instead of the default "general" queue. */
  queues?: string;
  /** Extra top-level YAML (hours, queues...). */
  extra?: string;
  bot?: string;
  ringTimeout?: string;
  /** The speech section's body (indented two spaces); default: English TTS, no speech worker. */
  speech?: string;
  /** storage.record_calls ('mixed': and storage.record_mixed) */
  record?: boolean | 'mixed';
  /**
   * Also an analog line pstn1 on an emulated V.253 voice modem (box.analog); an object sets the
   * emulator's options and adds YAML keys to the line (one per line, e.g. "silence_events: 2").
   */
  analog?: boolean | { emulator?: Partial<AnalogEmulatorOptions>; yaml?: string };
  /** More keys for the sip section (indented two spaces), e.g. "  timers: { t1: 100ms }". */
  sip?: string;
  /** How many ports sip.rtp_ports spans (default 200). */
  rtpPorts?: number;
  /** storage.dir (default <box dir>/data), e.g. on a small tmpfs. */
  dataDir?: string;
  /** More keys for the storage section (indented two spaces). */
  storage?: string;
  /** More lines (YAML list items indented two spaces), e.g. a SIP trunk to a PBX. */
  moreLines?: string;
  /** YAML keys added to GSM line i (0-based; indented four spaces), e.g. () => "    answer: voicemail". */
  gsmLine?: (i: number) => string;
  /** Flags for node running the daemon (a benchmark's --cpu-prof). */
  nodeFlags?: string[];
}

/**
 * A whole box for end-to-end tests: a Huawei modem emulator on real ttys (the caller's side), the
 * real daemon process on it with a SIP endpoint on loopback, and its sqlite store.
 */
export interface Box {
  dir: string;
  /** The first line's emulator (gsm1). */
  emu: RunningEmulator;
  /** All lines' emulators: emus[i] is gsm<i+1>. */
  emus: RunningEmulator[];
  /** The V.253 modem emulator behind line pstn1, with `analog: true`. */
  analog?: AnalogModemEmulator;
  daemon: DaemonProcess;
  sipPort: number;
  dataDir: string;
  /** Wait for a call event the daemon logged (msg is the event type). */
  event(type: string, match?: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Start the daemon again on the same config (after it exited or was killed); resolves when its lines are up. */
  restart(): Promise<void>;
  /** Poll the store until the query returns a row that passes the test. */
  row<T>(sql: string, params: (string | number)[], ok: (r: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** The agent at a desk phone (extension: the phone's SIP user, contact: its URI), no wrap-up; `skills` as in BoxOptions. */
export function phoneAgent(phone: { user: string; uri: string }, skills?: string): BoxOptions['agents'][number] {
  return { extension: phone.user, contact: phone.uri, ...(skills ? { skills } : {}), extra: 'wrap_up: 0s' };
}

export const DEFAULT_BOT = `  greeting: "Welcome. Press 2 for opening hours, or 0 for a person."
  language: en-US
  menu:
    "2": { say: "We are open from nine to six.", then: menu }
    "0": agent
  menu_prompt: "Anything else? Press 0 for a person."
  handoff:
    say: "Please hold, I am connecting you."
    default_queue: general
    no_agent_say: "Sorry, nobody can take your call."
  voicemail: { say: "Leave a message after the tone." }
  goodbye: "Goodbye."`;

export async function startBox(opts: BoxOptions): Promise<Box> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-box-'));
  const emus: RunningEmulator[] = [];
  for (let i = 0; i < (opts.lines ?? 1); i++) emus.push(await startEmulator({ dialect: opts.modem?.(i) ?? 'huawei', dir: join(dir, i === 0 ? 'tty' : `tty${i + 1}`), ringIntervalMs: 1000, imei: `86722302000000${i + 1}`, msisdn: `+86139000000${String(i).padStart(2, '0')}` }));
  const emu = emus[0]!;
  const analogOpts = typeof opts.analog === 'object' ? opts.analog : {};
  const analog = opts.analog ? await startAnalogEmulator({ dir: join(dir, 'pstn'), ringIntervalMs: 1000, ...analogOpts.emulator }) : undefined;
  const analogYaml = analogOpts.yaml ? `\n${analogOpts.yaml.split('\n').map((l) => `    ${l}`).join('\n')}` : '';
  const sipPort = await freePort(2);
  const rtpSpan = opts.rtpPorts ?? 200;
  const rtp = await freePort(rtpSpan, 30000, 39000);
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const agents = opts.agents
    .map((a) => `  - extension: "${a.extension}"\n    name: Agent ${a.extension}${a.contact ? `\n    contact: ${a.contact}` : ''}\n    skills: ${a.skills ?? '{ general: 1 }'}${a.extra ? `\n${a.extra.split('\n').map((l) => `    ${l}`).join('\n')}` : ''}`)
    .join('\n');
  const yaml = `site: test
node: box-1
language: en-US
timezone: Asia/Shanghai
lines:
${emus.map((e, i) => `  - id: gsm${i + 1}\n    kind: gsm\n    modem: ${opts.modem?.(i) ?? 'huawei'}\n    at_port: ${e.paths.at}\n    voice_port: ${e.paths.voice}${opts.gsmLine?.(i) ? `\n${opts.gsmLine(i)}` : ''}`).join('\n')}${opts.moreLines ? `\n${opts.moreLines}` : ''}${analog ? `\n  - id: pstn1\n    kind: analog\n    port: ${analog.path}${analogYaml}` : ''}
sip:
  listen: 127.0.0.1:${sipPort}
  rtp_ports: ${rtp}-${rtp + rtpSpan - 1}
  allow_from: [127.0.0.1/32]
${opts.sip ?? ''}
agents:
${agents}
queues:
${opts.queues ?? `  - id: general\n    skill: general\n    ring_timeout: ${opts.ringTimeout ?? '8s'}`}
bot:
${opts.bot ?? DEFAULT_BOT}
speech:
${opts.speech ?? '  tts: { voice: en }\n  worker: false'}
storage:
  dir: ${dataDir}${opts.record ? '\n  record_calls: true' : ''}${opts.record === 'mixed' ? '\n  record_mixed: true' : ''}${opts.storage ? `\n${opts.storage}` : ''}
logging:
  level: info
service:
  drain_grace: 1s
${opts.extra ?? ''}
`;
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, yaml);
  const daemon = new DaemonProcess(['run', '-c', file], {}, opts.nodeFlags);
  const linesUp = async (d: DaemonProcess): Promise<void> => {
    for (let i = 1; i <= emus.length; i++) await d.waitForLog((l) => l.msg === 'line started' && l.lineId === `gsm${i}`, 30_000);
    if (analog) await d.waitForLog((l) => l.msg === 'line started' && l.lineId === 'pstn1', 30_000);
    // Calls are taken once every extension is up (the call core starts after the lines).
    await d.waitForLog((l) => l.msg === 'frontdesk running', 30_000);
  };
  const box: Box = {
    dir,
    emu,
    emus,
    daemon,
    sipPort,
    dataDir,
    ...(analog ? { analog } : {}),
    event: (type, match = () => true, timeoutMs = 30_000) => box.daemon.waitForLog((l) => l.msg === type && match(l), timeoutMs),
    async restart() {
      box.daemon.kill('SIGKILL');
      await box.daemon.exited;
      box.daemon = new DaemonProcess(['run', '-c', file], {}, opts.nodeFlags);
      await linesUp(box.daemon);
    },
    async row<T>(sql: string, params: (string | number)[], ok: (r: T) => boolean, timeoutMs = 10_000): Promise<T> {
      const db = await Db.open(join(dataDir, 'frontdesk.db'), { readonly: true });
      try {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const r = await db.get<T>(sql, params);
          if (r && ok(r)) return r;
          if (Date.now() > until) throw new Error(`no row passing the test for ${sql}: last ${JSON.stringify(r)}`);
          await sleep(200);
        }
      } finally {
        await db.close();
      }
    },
    async close() {
      box.daemon.kill('SIGTERM');
      await atMost(box.daemon.exited, 5000);
      box.daemon.kill('SIGKILL');
      for (const e of emus) await e.close();
      await analog?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await linesUp(daemon);
  } catch (err) {
    // Do not leave the emulators and the daemon behind when the box never came up.
    await box.close();
    throw err;
  }
  return box;
}
