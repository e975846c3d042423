/**
 * The daemon's memory at idle and per call, started as systemd/frontdesk.service starts it:
 *   node dist/scripts/bench-memory.js [--configs minimal,typical,demo] [--calls 10] [--after 30] [--window 60] [--series]
 *                                     [--flags "NODE FLAGS"] [--env "K=V ..."]  (instead of the unit's, to compare)
 *
 * For each config the real daemon runs (a separate process, with the node flags and Environment= of
 * the unit's ExecStart, and a notify socket and watchdog as systemd gives it, so the notifier's
 * koffi is loaded as on a box): `minimal` is a SIP trunk only; `typical` adds a GSM line on the modem
 * emulator (real ttys) and MQTT to a local mosquitto; `demo` adds the staff console. Once the
 * daemon sends READY=1, RSS (and its anonymous / file-backed parts) is read from /proc at 5, 30
 * and 60 s, with heap used, external and code space from a preloaded probe (scripts/lib/memory-probe),
 * then every second for --window s (lowest and highest: periodic work such as the minutely MQTT
 * metrics, shows as the highest; --series prints each second's RSS).
 * Then --calls SIP calls (our own SIP stack, in this process) reach the bot at once: RSS while they
 * are up gives KB per call; all hang up and RSS is read again --after seconds later.
 * Prints; asserts nothing.
 */
import { readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SipLeg } from '../drivers/sip/leg.js';
import { createSipLine, type SipTrunkLine } from '../drivers/sip/trunk-line.js';
import { startBox, type Box } from '../test/helpers/box.js';
import { startBroker, type Broker } from '../test/helpers/mosquitto.js';
import { NotifySocket } from '../test/helpers/notify-socket.js';
import { freePort, sleep } from '../test/helpers/net.js';
import { repoRoot } from '../test/helpers/paths.js';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

/** Node flags and environment of the unit's ExecStart, so the bench measures what a box runs. */
export async function unitLaunch(unitFile: string): Promise<{ flags: string[]; env: Record<string, string> }> {
  const text = await readFile(unitFile, 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(text)?.[1];
  if (!exec) throw new Error(`${unitFile}: no ExecStart`);
  const words = exec.split(/\s+/);
  const cliAt = words.findIndex((w) => w.endsWith('/cli.js'));
  const flags = words.slice(1, cliAt);
  const env: Record<string, string> = {};
  const wd = /^WatchdogSec=(\d+)s$/m.exec(text)?.[1];
  if (wd) env.WATCHDOG_USEC = String(Number(wd) * 1_000_000);
  for (const m of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const kv of (m[1] ?? '').split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return { flags, env };
}

interface Sample {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
  externalMb: number;
  codeMb: number;
}

const MB = 1024 * 1024;

/** /proc for RSS; the probe (SIGUSR2 → one JSON line) for the V8 side. */
async function sample(box: Box, probeFile: string): Promise<Sample> {
  const pid = box.daemon.proc.pid!;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const before = (await readFile(probeFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  box.daemon.proc.kill('SIGUSR2');
  let lines: string[] = [];
  for (let i = 0; i < 100 && lines.length <= before; i++) {
    await sleep(20);
    lines = (await readFile(probeFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }
  const v = JSON.parse(lines[lines.length - 1] ?? '{}') as { heapUsed?: number; external?: number; codeSpace?: number };
  return {
    rssMb: kb('VmRSS') / 1024,
    anonMb: kb('RssAnon') / 1024,
    fileMb: kb('RssFile') / 1024,
    heapUsedMb: (v.heapUsed ?? NaN) / MB,
    externalMb: (v.external ?? NaN) / MB,
    codeMb: (v.codeSpace ?? NaN) / MB,
  };
}

interface Result {
  config: string;
  idle: Sample[];
  /** Lowest and highest RSS (MB) over the window after the idle samples. */
  range: [number, number];
  calls: number;
  up: number;
  during?: Sample;
  after?: Sample;
}

const CONSOLE_HASH = 'scrypt$32768$8$1$nxX41YJ7a3GvBWPdWr+iSA==$Yy2kdBvRTabLy9D+oeP59/oTdSh1j0Vw8UjlyZjEccE=';

async function rssOnly(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function runConfig(name: string, launch: { flags: string[]; env: Record<string, string> }, calls: number, afterS: number, at: number[], windowS: number): Promise<Result> {
  const rtp = await freePort(calls * 2 + 20);
  const phones: SipTrunkLine = createSipLine({ id: 'callers', listen: { host: '127.0.0.1', port: 0 }, rtpPorts: { min: rtp, max: rtp + calls * 2 + 19 }, allowFrom: ['127.0.0.1/32'] });
  await phones.start();
  phones.on('incoming', (leg) => void (leg as SipLeg).answer().catch(() => undefined)); // an agent leg, if the bot hands over
  let broker: Broker | undefined;
  const extra: string[] = [];
  if (name !== 'minimal') {
    broker = await startBroker();
    extra.push(`mqtt:\n  url: ${broker.url}`);
  }
  if (name === 'demo') {
    const port = await freePort();
    extra.push(`console:\n  listen: 127.0.0.1:${port}\n  users:\n    - { name: demo, role: admin, password_hash: "${CONSOLE_HASH}" }\n    - { name: wang, role: agent, extension: "801", password_hash: "${CONSOLE_HASH}" }`);
  }
  const probeFile = join(tmpdir(), `fd-bench-memory-${process.pid}-${name}.jsonl`);
  const probe = resolve(here, 'lib/memory-probe.js');
  // DaemonProcess passes this process's environment on: the unit's Environment= and the probe's file.
  const notify = await NotifySocket.start();
  const daemonEnv: Record<string, string> = { ...launch.env, NOTIFY_SOCKET: notify.path, FD_MEMORY_PROBE: probeFile };
  const saved = Object.fromEntries(Object.keys(daemonEnv).map((k) => [k, process.env[k]]));
  Object.assign(process.env, daemonEnv);
  let box: Box;
  try {
    box = await startBox({
      lines: name === 'minimal' ? 0 : 1,
      moreLines: `  - id: pbx\n    kind: sip\n    host: 127.0.0.1\n    port: ${phones.ua.port}\n    extensions_via_trunk: false`,
      agents: [{ extension: '801', contact: `sip:801@127.0.0.1:${phones.ua.port}`, extra: 'wrap_up: 0s' }],
      extra: extra.join('\n'),
      nodeFlags: [...launch.flags, '--import', probe],
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  await notify.waitFor((m) => m.includes('READY=1'));
  const t0 = Date.now();
  const result: Result = { config: name, idle: [], range: [NaN, NaN], calls, up: 0 };
  try {
    for (const s of at) {
      await sleep(Math.max(0, t0 + s * 1000 - Date.now()));
      result.idle.push(await sample(box, probeFile));
    }
    const seen: number[] = [];
    for (let i = 0; i < windowS; i++) {
      await sleep(1000);
      seen.push(await rssOnly(box.daemon.proc.pid!));
    }
    if (process.argv.includes('--series')) console.log(`${name}: RSS MB each second from ${at.at(-1) ?? 0} s: ${seen.map((x) => x.toFixed(0)).join(' ')}`);
    if (seen.length) result.range = [Math.min(...seen), Math.max(...seen)];
    if (calls > 0) {
      const target = `sip:frontdesk@127.0.0.1:${box.sipPort}`;
      const legs = await Promise.all(Array.from({ length: calls }, () => phones.dial(target)));
      const until = Date.now() + 20_000;
      while (legs.some((l) => l.state !== 'answered' && l.state !== 'ended') && Date.now() < until) await sleep(100);
      await sleep(3000); // the greeting plays: every call has its media running
      result.up = legs.filter((l) => l.state === 'answered').length;
      result.during = await sample(box, probeFile);
      await Promise.all(legs.map((l) => l.hangup().catch(() => undefined))); // one already gone shows in `up`
      await sleep(afterS * 1000);
      result.after = await sample(box, probeFile);
    }
  } finally {
    await box.close();
    await phones.stop();
    await broker?.close();
    notify.close();
    await rm(probeFile, { force: true });
  }
  return result;
}

const f = (x: number | undefined, d = 0): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

async function main(): Promise<void> {
  const configs = arg('configs', 'minimal,typical,demo').split(',');
  const calls = Number(arg('calls', '10'));
  const afterS = Number(arg('after', '30'));
  const at = arg('at', '5,30,60').split(',').map(Number);
  const windowS = Number(arg('window', '60'));
  const launch = await unitLaunch(join(repoRoot, 'systemd/frontdesk.service'));
  const flags = arg('flags', '');
  if (flags) launch.flags = flags.split(' ').filter(Boolean);
  const env = arg('env', '');
  if (env) launch.env = Object.fromEntries(env.split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  console.log(`memory: the daemon as systemd/frontdesk.service starts it: node ${launch.flags.join(' ')} (env ${Object.entries(launch.env).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  console.log(`idle RSS at ${at.join(' / ')} s after READY=1; then ${calls} SIP calls into the bot at once; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: Result[] = [];
  for (const c of configs) results.push(await runConfig(c, launch, calls, afterS, at, windowS));
  console.log('');
  console.log(`config    idle RSS MB @${at.join('/@')} s   anon/file MB   heap used / external / code MB   next ${windowS} s min-max   calls up   KB/call   RSS MB ${afterS} s after`);
  for (const r of results) {
    const last = r.idle[r.idle.length - 1];
    const perCall = r.during && last && r.up > 0 ? ((r.during.rssMb - last.rssMb) * 1024) / r.up : NaN;
    console.log(
      `${r.config.padEnd(9)} ${r.idle.map((s) => f(s.rssMb)).join(' / ').padEnd(22)}  ${`${f(last?.anonMb)}/${f(last?.fileMb)}`.padEnd(13)}  ${`${f(last?.heapUsedMb, 1)} / ${f(last?.externalMb, 1)} / ${f(last?.codeMb, 1)}`.padEnd(31)}  ${`${f(r.range[0])}-${f(r.range[1])}`.padEnd(17)}  ${`${r.up}/${r.calls}`.padEnd(9)}  ${f(perCall).padStart(7)}   ${f(r.after?.rssMb)}`,
    );
  }
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
  process.exit(0);
}
