/**
 * SIP load from sipp (Debian sip-tester) against the real daemon: sipp's built-in `uac` scenario
 * (INVITE → 100/180 → 200 → ACK → hold → BYE) places calls at a fixed rate to a SIP trunk line
 * answered by the bot. Prints the sustained rate of completed calls, INVITE→200 p50/p99/max (sipp's
 * response-time trace), how many INVITEs were refused with 503, the daemon's CPU, and what the call
 * records say (outcome / cause). It prints; it does not assert. The machine may be shared: the load
 * average before and after is printed with the numbers. The anchor: the same sipp load against sipp's
 * own UAS (answers at once, no media, no records), run just before on the same machine: what sipp and
 * the kernel alone add to INVITE→200 at this rate and this load (--no-anchor skips it).
 *
 *   node dist/scripts/bench-sipp.js [--rate 300] [--calls 3000] [--hold 1000] [--max-calls N] [--no-anchor] [--echo]
 *   BENCH_LOG_LEVEL=info: the daemon logs at that level (default warn; the service's default is info, which costs more per call).
 *   BENCH_PROF=dir: a V8 CPU profile of the daemon in dir. BENCH_DEBUG=1: daemon debug log in /tmp/sipp-daemon.log, sipp's message trace, the run directory kept.
 */
import { spawn, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Db } from '../daemon/store/db.js';
import { trunkConfig } from '../test/helpers/trunk-config.js';

const cli = fileURLToPath(new URL('../daemon/cli.js', import.meta.url));

/** The node flags the service unit starts the daemon with (systemd/frontdesk.service), so the bench measures what runs; FD_NODE_FLAGS overrides. */
async function serviceNodeFlags(): Promise<string[]> {
  if (process.env.FD_NODE_FLAGS !== undefined) return process.env.FD_NODE_FLAGS.split(' ').filter(Boolean);
  const unit = await readFile(fileURLToPath(new URL('../../systemd/frontdesk.service', import.meta.url)), 'utf8').catch(() => ''); // no unit file: plain node
  const exec = /^ExecStart=\S*node((?:\s+--\S+)*)\s/m.exec(unit);
  return exec?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function udp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** A stand-in PBX for the trunk's OPTIONS keepalive, and our way to see that the daemon's SIP is up. */
async function fakePbx(): Promise<{ port: number; ping(port: number): Promise<boolean>; close(): void }> {
  const s = await udp();
  let answered = false;
  s.on('message', (b, r) => {
    const text = b.toString('latin1');
    if (text.startsWith('SIP/2.0 ')) answered = true;
    else if (text.startsWith('OPTIONS ')) {
      const keep = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
      s.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, r.port, r.address);
    }
  });
  const port = s.address().port;
  return {
    port,
    async ping(target) {
      answered = false;
      s.send(`OPTIONS sip:x@127.0.0.1:${target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${Date.now()}\r\nFrom: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: ${Date.now()}@b\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`, target, '127.0.0.1');
      await sleep(200);
      return answered;
    },
    close: () => s.close(),
  };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuMs(pid: number): number {
  const f = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks (100/s)
}

/** Datagrams the kernel dropped because a socket's receive buffer was full (machine-wide counter). */
function udpRcvbufErrors(): number {
  const lines = execFileSync('cat', ['/proc/net/snmp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('Udp:'));
  const head = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/);
  return Number(vals[head.indexOf('RcvbufErrors')]);
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

interface SippRun {
  code: number | null;
  elapsed: number;
  rtts: number[];
  ok: number;
  failed: number;
  refused503: number;
  err: string;
}

/** sipp's built-in uac at a fixed rate against `target`, in `cwd` (its trace files land there). */
async function runUac(target: string, cwd: string, o: { rate: number; calls: number; hold: number; sippPort: number; mediaPort: number; echo?: boolean }): Promise<SippRun> {
  const t0 = performance.now();
  const sippArgs = [target, '-sn', 'uac', '-i', '127.0.0.1', '-p', String(o.sippPort), '-r', String(o.rate), '-m', String(o.calls), '-d', String(o.hold), '-trace_rtt', '-rtt_freq', '1', '-trace_stat', '-fd', '1', '-nostdin', '-timeout', '300s', '-max_socket', '5000', '-mp', String(o.mediaPort), ...(o.echo ? ['-rtp_echo'] : []), ...(process.env.BENCH_DEBUG ? ['-trace_msg'] : [])];
  const sipp = spawn('sipp', sippArgs, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  sipp.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => sipp.on('exit', (c) => r(c)));
  const elapsed = (performance.now() - t0) / 1000;
  const files = await readdir(cwd);
  const rttFile = files.find((f) => f.endsWith('_rtt.csv'));
  const statFile = files.find((f) => f.endsWith('_.csv'));
  const rtts = rttFile
    ? (await readFile(join(cwd, rttFile), 'utf8')).split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter((n) => Number.isFinite(n)).sort((a, b) => a - b)
    : [];
  let ok = NaN;
  let failed = NaN;
  let refused503 = NaN;
  if (statFile) {
    const lines = (await readFile(join(cwd, statFile), 'utf8')).trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines[lines.length - 1]!.split(';');
    const col = (name: string): number => Number(last[head.indexOf(name)]);
    ok = col('SuccessfulCall(C)');
    failed = col('FailedCall(C)');
    refused503 = col('FailedUnexpectedMessage(C)');
  }
  return { code, elapsed, rtts, ok, failed, refused503, err };
}

/** The anchor: sipp's UAS answering the same load (nothing behind it). */
async function anchorRun(dir: string, o: { rate: number; calls: number; hold: number }): Promise<SippRun & { load0: number; load1: number }> {
  const probes = [await udp(), await udp(), await udp(), await udp()];
  const [uasPort, uasMedia, uacPort, uacMedia] = probes.map((s) => s.address().port) as [number, number, number, number];
  for (const s of probes) s.close();
  const cwd = join(dir, 'anchor');
  await mkdir(cwd);
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-mp', String(uasMedia), '-nostdin', '-max_socket', '5000'], { cwd, stdio: 'ignore' });
  try {
    await sleep(500);
    const load0 = loadavg()[0]!;
    const r = await runUac(`127.0.0.1:${uasPort}`, cwd, { ...o, sippPort: uacPort, mediaPort: uacMedia });
    return { ...r, load0, load1: loadavg()[0]! };
  } finally {
    uas.kill('SIGTERM');
    await Promise.race([new Promise((r) => uas.on('exit', r)), sleep(3000)]);
    uas.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const rate = arg('rate', 300);
  const calls = arg('calls', 3000);
  const hold = arg('hold', 1000);
  const maxCalls = arg('max-calls', 0);
  const echo = process.argv.includes('--echo');
  const dir = await mkdtemp(join(tmpdir(), 'fd-sipp-'));
  const pbx = await fakePbx();
  // Free loopback ports for the daemon, sipp's SIP and sipp's (unused) media socket: ephemeral (from 32768), so never in the RTP range below.
  const probes = [await udp(), await udp(), await udp()];
  const [sipPort, sippPort, mediaPort] = probes.map((s) => s.address().port) as [number, number, number];
  for (const s of probes) s.close();
  const yaml = trunkConfig({
    site: 'bench',
    pbxPort: pbx.port,
    sipPort,
    rtpPorts: { min: 20000, max: 29999 },
    ...(maxCalls ? { maxCalls } : {}),
    greeting: 'Welcome.',
    dataDir: join(dir, 'data'),
    logLevel: process.env.BENCH_DEBUG ? 'debug' : (process.env.BENCH_LOG_LEVEL ?? 'warn'),
  });
  await writeFile(join(dir, 'fd.yaml'), yaml);
  const nodeFlags = await serviceNodeFlags();
  const daemon = spawn(process.execPath, [...nodeFlags, ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), cli, 'run', '-c', join(dir, 'fd.yaml')], { stdio: ['ignore', process.env.BENCH_DEBUG ? (await import('node:fs')).openSync('/tmp/sipp-daemon.log', 'w') : 'ignore', 'inherit'] });
  try {
    for (let i = 0; !(await pbx.ping(sipPort)); i++) if (i > 100) throw new Error('daemon SIP did not come up');
    await sleep(1000);
    const anchor = process.argv.includes('--no-anchor') ? undefined : await anchorRun(dir, { rate, calls, hold });
    const drops0 = udpRcvbufErrors();
    const load0 = loadavg()[0]!;
    const cpu0 = cpuMs(daemon.pid!);
    const rss0 = rssMb(daemon.pid!);
    const run = await runUac(`127.0.0.1:${sipPort}`, dir, { rate, calls, hold, sippPort, mediaPort, echo });
    const { code, elapsed, rtts, ok, failed, refused503 } = run;
    const cpu = (cpuMs(daemon.pid!) - cpu0) / 1000;
    const rss = rssMb(daemon.pid!);
    const load1 = loadavg()[0]!;
    const drops = udpRcvbufErrors() - drops0;

    // Wait for the daemon to close every call and the store to catch up, then read the records.
    const db = await Db.open(join(dir, 'data', 'frontdesk.db'), { readonly: true });
    const settle0 = performance.now();
    for (let i = 0; i < 180; i++) {
      const open = await db.get<{ n: number }>('SELECT count(*) AS n FROM calls WHERE ended_at IS NULL');
      if (!open?.n) break;
      await sleep(500);
    }
    const settled = (performance.now() - settle0) / 1000;
    const cdr = await db.all<{ outcome: string; cause: string | null; n: number }>('SELECT outcome, cause, count(*) AS n FROM calls GROUP BY outcome, cause ORDER BY n DESC');
    const open = await db.get<{ n: number }>('SELECT count(*) AS n FROM calls WHERE ended_at IS NULL');
    await db.close();

    const p = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
    console.log(`sipp uac → daemon (bot on a SIP trunk line), offered ${rate} calls/s, ${calls} calls, ${hold} ms each${maxCalls ? `, sip.max_calls ${maxCalls}` : ''}${echo ? ', sipp echoing the daemon\'s RTP back (media both ways)' : ', no RTP from the caller\'s side'}`);
    console.log(`  daemon: node ${nodeFlags.join(' ') || '(no flags)'} (the service unit's flags), logging at ${process.env.BENCH_DEBUG ? 'debug' : (process.env.BENCH_LOG_LEVEL ?? 'warn')}`);
    console.log(`  machine: ${cpus().length} cores, SHARED with other work (load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after)`);
    console.log(`  sipp exit ${code}: ${ok} completed, ${failed} failed (of which unexpected responses, e.g. 503: ${refused503}) in ${elapsed.toFixed(1)} s`);
    console.log(`  sustained completed calls/s: ${(ok / Math.max(0.001, elapsed - hold / 1000)).toFixed(0)} (completed / (elapsed - hold))`);
    console.log(`  INVITE→200 (sipp rtd, ${rtts.length} samples, 1 ms resolution) ms: p50 ${p(pct(rtts, 50))}  p99 ${p(pct(rtts, 99))}  max ${p(rtts[rtts.length - 1] ?? NaN)}`);
    console.log(`  daemon CPU: ${cpu.toFixed(1)} s over ${elapsed.toFixed(1)} s (${((100 * cpu) / elapsed).toFixed(0)} % of one core; ${((1000 * cpu) / Math.max(1, ok)).toFixed(2)} ms per completed call)`);
    console.log(`  daemon RSS when sipp ended: ${rss.toFixed(0)} MB (${rss0.toFixed(0)} MB before the load)`);
    console.log(`  UDP datagrams dropped by full receive buffers during the run (whole machine, /proc/net/snmp): ${drops}`);
    console.log(`  call records: ${cdr.map((r) => `${r.outcome}${r.cause ? `/${r.cause}` : ''} ${r.n}`).join(', ')}; still open: ${open?.n ?? 0} (records settled ${settled.toFixed(1)} s after sipp ended)`);
    if (code !== 0 && run.err.trim()) console.log(`  sipp said: ${run.err.trim().split('\n').slice(-3).join(' | ')}`);
    if (anchor) {
      const r = anchor.rtts;
      console.log(`anchor, just before: the same sipp uac load → sipp uas (answers at once; no media, no records), load average ${anchor.load0.toFixed(1)} before, ${anchor.load1.toFixed(1)} after`);
      console.log(`  sipp exit ${anchor.code}: ${anchor.ok} completed, ${anchor.failed} failed in ${anchor.elapsed.toFixed(1)} s; INVITE→200 ms: p50 ${p(pct(r, 50))}  p99 ${p(pct(r, 99))}  max ${p(r[r.length - 1] ?? NaN)}`);
    }
  } finally {
    daemon.kill('SIGTERM');
    await Promise.race([new Promise((r) => daemon.on('exit', r)), sleep(5000)]);
    daemon.kill('SIGKILL');
    pbx.close();
    if (process.env.BENCH_DEBUG) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
