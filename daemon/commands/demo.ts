import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';
import { startEmulator } from '../../drivers/gsm/emulator/index.js';
import { dtmfTones, tone, toneLevel } from '../../drivers/audio/tones.js';
import { Db } from '../store/db.js';
import { DemoDeskPhone } from '../demo/desk-phone.js';

export const summary = 'demo [--json]          a whole call on emulated hardware';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '../cli.js');
const CONFIG = resolve(here, '../../../config/demo.yaml');
const CALLER = '+8613800138000';

interface LogLine {
  msg: string;
  level: number;
  time: number;
  /** Fields of the log lines the story tells (see describe). */
  callId?: string;
  lineId?: string;
  caller?: string;
  phase?: string;
  detail?: { queue?: string; agent?: string };
  input?: { kind: string; value: string };
  say?: string;
  reason?: string;
  extension?: string;
  result?: string;
  outcome?: string;
  hungUpBy?: string;
  [k: string]: unknown;
}

/**
 * `frontdesk demo`: one whole call on emulated hardware. A Huawei modem emulator on a real tty pair
 * rings the daemon (config/demo.yaml) from a mobile number; the caller listens to the greeting,
 * presses 2 (opening hours), then 0 (a person); the daemon rings the demo desk phone, which answers;
 * caller and agent exchange test tones; the caller hangs up. Prints the call's timeline as it
 * happens, and with --json a final summary. Exit 0 when the call went through and audio was
 * verified both ways.
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
  const json = values.json;
  const out = (s: string): void => void (json ? process.stderr : process.stdout).write(`${s}\n`);
  const dir = await mkdtemp(join(tmpdir(), 'frontdesk-demo-'));
  const sipPort = await freeUdpTcpPort();
  const phonePort = await freeUdpTcpPort();
  const consolePort = await freeUdpTcpPort();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const t0 = Date.now();
  const stamp = (): string => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;

  try {
    out(`frontdesk demo — emulated hardware in ${dir}`);
    const emu = await startEmulator({ dialect: 'huawei', dir: join(dir, 'tty'), ringIntervalMs: 1000 });
    cleanups.push(() => emu.close());
    out(`${stamp()}  modem emulator (Huawei) on ${emu.paths.at} and ${emu.paths.voice}`);
    const phone = new DemoDeskPhone(phonePort, { min: 32000, max: 32999 });
    await phone.start();
    cleanups.push(() => phone.stop());
    out(`${stamp()}  demo desk phone (Frontdesk's own SIP stack, auto-answer) at ${phone.uri}`);

    const env = { ...process.env, FRONTDESK_DEMO_DIR: dir, FRONTDESK_DEMO_SIP_PORT: String(sipPort), FRONTDESK_DEMO_PHONE_PORT: String(phonePort), FRONTDESK_DEMO_CONSOLE_PORT: String(consolePort) };
    const daemon = spawn(process.execPath, [CLI, 'run', '-c', CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => {
      daemon.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      daemon.kill('SIGKILL');
    });
    const logs: LogLine[] = [];
    let waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
    let stderr = '';
    daemon.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    createInterface({ input: daemon.stdout }).on('line', (line) => {
      let l: LogLine;
      try {
        l = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      logs.push(l);
      const story = describe(l);
      if (story) out(`${stamp()}  ${story}`);
      if (l.level >= 50) out(`${stamp()}  daemon error: ${l.msg} ${JSON.stringify(l.err ?? '')}`);
      waiters = waiters.filter((w) => (w.test(l) ? (w.resolve(l), false) : true));
    });
    const waitFor = (test: (l: LogLine) => boolean, what: string, ms = 30_000): Promise<LogLine> => {
      const seen = logs.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}${stderr ? `; daemon said: ${stderr.trim()}` : ''}`)), ms);
        waiters.push({ test, resolve: (l) => (clearTimeout(timer), res(l)) });
      });
    };
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    await waitFor((l) => l.msg === 'line started' && l.lineId === 'gsm1', 'the GSM line to start');
    await waitFor((l) => l.msg === 'console listening', 'the staff console');
    const consoleUrl = `http://127.0.0.1:${consolePort}`;
    // The demo's console takes the login it advertises (the supervisor's page it would open).
    const consoleLogin = await fetch(`${consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: consoleUrl }, body: JSON.stringify({ user: 'demo', password: 'frontdesk-demo' }) })
      .then(async (r) => (r.ok ? ((await r.json()) as { home?: string }).home ?? null : null), () => null);
    out(`${stamp()}  staff console at ${consoleUrl}/ (demo / frontdesk-demo: wallboard${consoleLogin ? '' : ' — LOGIN FAILED'}; wang / frontdesk-demo: agent 801's workbench)`);
    out(`${stamp()}  caller ${CALLER} dials the branch`);
    emu.modem.ring(CALLER);
    await waitFor((l) => l.msg === 'call.phase' && l.phase === 'bot', 'the bot to answer');
    await sleep(3000);
    out(`${stamp()}  caller presses 2`);
    emu.modem.play(dtmfTones('2', 120, 200));
    await waitFor((l) => l.msg === 'bot.turn', 'the menu answer');
    await sleep(3000);
    out(`${stamp()}  caller presses 0`);
    emu.modem.play(dtmfTones('0', 120, 200));
    await waitFor((l) => l.msg === 'call.phase' && l.phase === 'connected', 'the desk phone to answer', 45_000);
    out(`${stamp()}  the desk phone shows: ${phone.lastCaller.name ?? '?'} <${phone.lastCaller.number ?? '?'}>`);
    await sleep(500);
    out(`${stamp()}  caller and agent talk (1 kHz from the caller, 600 Hz from the agent) for 3 s`);
    const talkFrom = performance.now();
    phone.heard = [];
    emu.modem.play(tone([1000], 3000, -10));
    await sleep(3500);
    const toCaller = Buffer.concat(emu.modem.recording.filter((r) => r.at >= talkFrom).map((r) => r.frame));
    const toAgent = Buffer.concat(phone.heard);
    const callerHeardAgent = toneLevel(toCaller, 600);
    const agentHeardCaller = toneLevel(toAgent, 1000);
    out(`${stamp()}  caller hangs up`);
    emu.modem.hangup();
    const ended = await waitFor((l) => l.msg === 'call.ended', 'the call to end');
    await sleep(500);

    const db = await Db.open(join(dir, 'data', 'frontdesk.db'), { readonly: true });
    const cdr = await db.get<Record<string, string | null>>('SELECT * FROM calls WHERE id = ?', [String(ended.callId)]);
    await db.close();
    const verified = { callerToAgent: agentHeardCaller > 0.05, agentToCaller: callerHeardAgent > 0.05 };
    const result = {
      ok: ended.outcome === 'transferred' && verified.callerToAgent && verified.agentToCaller && consoleLogin !== null,
      console: { url: consoleUrl, loginHome: consoleLogin },
      calls: [
        {
          callId: ended.callId,
          caller: CALLER,
          outcome: ended.outcome,
          agent: cdr?.agent_ext ?? null,
          hungUpBy: ended.hungUpBy,
          menuPath: cdr?.menu_path ?? null,
          timestamps: {
            offered: cdr?.offered_at ?? null,
            answered: cdr?.answered_at ?? null,
            botEnded: cdr?.bot_ended_at ?? null,
            queued: cdr?.queued_at ?? null,
            agentRing: cdr?.agent_ring_at ?? null,
            agentAnswered: cdr?.agent_answered_at ?? null,
            ended: cdr?.ended_at ?? null,
          },
          audio: { ...verified, levels: { callerToAgent1kHz: round(agentHeardCaller), agentToCaller600Hz: round(callerHeardAgent) } },
        },
      ],
    };
    out(`${stamp()}  audio caller→agent ${verified.callerToAgent ? 'verified' : 'NOT heard'} (1 kHz level ${round(agentHeardCaller)}), agent→caller ${verified.agentToCaller ? 'verified' : 'NOT heard'} (600 Hz level ${round(callerHeardAgent)})`);
    out(`${stamp()}  ${result.ok ? 'demo OK' : 'demo FAILED'}`);
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.ok ? 0 : 1;
  } catch (err) {
    out(`demo failed: ${(err as Error).message}`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message }, null, 2)}\n`);
    return 1;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined); // cleanup: run every step even if one fails
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** One line of the call's story from a daemon log line, or undefined for other log lines. */
function describe(l: LogLine): string | undefined {
  switch (l.msg) {
    case 'call.offered':
      return `call ${l.callId}: offered on ${l.lineId} from ${l.caller ?? 'unknown'}`;
    case 'call.phase':
      return `call ${l.callId}: ${l.phase === 'bot' ? 'answered by the bot' : l.phase === 'queued' ? `handed off (queue ${l.detail?.queue ?? '-'})` : l.phase === 'ringing-agent' ? `ringing agent ${l.detail?.agent}` : l.phase === 'connected' ? `connected to agent ${l.detail?.agent}` : l.phase}`;
    case 'bot.turn':
      return `bot heard ${l.input?.kind ?? '?'} "${l.input?.value ?? ''}"${l.say ? ` and says: ${l.say}` : ''}`;
    case 'handoff.requested':
      return `bot hands off (${l.reason})`;
    case 'call.agent':
      return `agent ${l.extension}: ${l.result}`;
    case 'call.ended':
      return `call ${l.callId}: ended, outcome ${l.outcome}, hung up by ${l.hungUpBy}`;
    default:
      return undefined;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A loopback port free for both UDP and TCP (SIP listens on both). */
async function freeUdpTcpPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 9000);
    const ok = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (!ok) continue;
    const udp = await new Promise<boolean>((res) => {
      const s = createSocket('udp4');
      s.once('error', () => res(false));
      s.bind(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (udp) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}
