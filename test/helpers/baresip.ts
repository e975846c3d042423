import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../drivers/audio/wav.js';
import { encodeWav } from '../../drivers/audio/wav.js';
import { atMost, freePort, sleep } from './net.js';

/**
 * A real desk phone for tests: baresip 1.0 headless on loopback, driven through its ctrl_tcp
 * interface (JSON in netstrings: commands in, call events out). It plays a WAV as its microphone and
 * records what it heard (snd_path → dump-*-dec.wav).
 */

export interface PhoneOptions {
  /** SIP user of the phone's account. */
  user?: string;
  /** auto: answers at once; manual: rings until accept(); busy: rejects every call (baresip sends 486). */
  answer?: 'auto' | 'manual' | 'busy';
  /** WAV (8 kHz mono) the phone "says"; default: 60 s of silence. Note: baresip ends the call when the file ends. */
  playWav?: string;
  /** Register with a PBX (kamailio) instead of taking direct calls. */
  registerTo?: { host: string; port: number; password: string };
  /** Where recordings go; a temp dir by default. */
  recordDir?: string;
  /** Print baresip's output (debugging). */
  verbose?: boolean;
}

export interface BaresipEvent {
  type: string;
  class?: string;
  param?: string;
  peeruri?: string;
  peerdisplayname?: string;
  id?: string;
  [key: string]: unknown;
}

export interface Phone extends EventEmitter<{ event: [BaresipEvent] }> {
  readonly user: string;
  readonly port: number;
  /** The phone's direct SIP URI (sip:user@127.0.0.1:port). */
  readonly uri: string;
  readonly recordDir: string;
  readonly events: BaresipEvent[];
  command(command: string, params?: string): Promise<{ ok: boolean; data: string }>;
  dial(uri: string): Promise<void>;
  accept(): Promise<void>;
  hangup(): Promise<void>;
  transfer(uri: string): Promise<void>;
  /** Send DTMF digits (RFC 4733 when negotiated). */
  sendDigits(digits: string): Promise<void>;
  /** Resolve with the first event of `type` (including ones already seen after `since`). */
  waitEvent(type: string, timeoutMs?: number, since?: number): Promise<BaresipEvent>;
  /** Resolve once the account is registered (registerTo only). */
  waitRegistered(timeoutMs?: number): Promise<void>;
  /** What the phone heard on its last call (decoded audio), as samples. */
  heard(): Promise<Int16Array>;
  stop(): Promise<void>;
}

/** Write an 8 kHz mono WAV and return its path. */
export async function writeTestWav(dir: string, name: string, samples: Int16Array | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, encodeWav(samples, 8000));
  return path;
}

/** A phone for one test: started now, stopped when the test ends. */
export async function testPhone(t: { teardown(fn: () => unknown): void }, opts: PhoneOptions = {}): Promise<Phone> {
  const phone = await startPhone(opts);
  t.teardown(() => phone.stop());
  return phone;
}

export async function startPhone(opts: PhoneOptions = {}): Promise<Phone> {
  const user = opts.user ?? '801';
  const dir = await mkdtemp(join(tmpdir(), `baresip-${user}-`));
  const recordDir = opts.recordDir ?? join(dir, 'rec');
  await (await import('node:fs/promises')).mkdir(recordDir, { recursive: true });
  const port = await freePort(2); // baresip binds TLS on port + 1
  const ctrlPort = await freePort(1);
  const rtpBase = await freePort(40, 40000, 50000);
  const wav = opts.playWav ?? (await writeTestWav(dir, 'silence.wav', new Int16Array(8000 * 60)));
  const config = [
    `sip_listen 127.0.0.1:${port}`,
    'net_interface 127.0.0.1',
    `rtp_ports ${rtpBase}-${rtpBase + 39}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module sndfile.so',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    `audio_source aufile,${wav}`,
    'audio_player aufile,/dev/null',
    'audio_alert aufile,/dev/null',
    `snd_path ${recordDir}`,
    'sip_trans_def udp',
    'audio_txmode poll',
    '',
  ].join('\n');
  await writeFile(join(dir, 'config'), config);
  const answermode = opts.answer === 'auto' || opts.answer === undefined ? 'auto' : 'manual';
  const account = opts.registerTo
    ? `<sip:${user}@${opts.registerTo.host}:${opts.registerTo.port}>;auth_pass=${opts.registerTo.password};outbound="sip:${opts.registerTo.host}:${opts.registerTo.port}";regint=600;answermode=${answermode}`
    : `<sip:${user}@127.0.0.1:${port}>;regint=0;answermode=${answermode}`;
  await writeFile(join(dir, 'accounts'), account + '\n');
  await writeFile(join(dir, 'contacts'), '');

  const proc: ChildProcess = spawn('baresip', ['-f', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const log: string[] = [];
  const onOut = (b: Buffer): void => {
    const s = b.toString();
    log.push(s);
    if (log.length > 500) log.shift();
    if (opts.verbose) process.stderr.write(`[baresip ${user}] ${s}`);
  };
  proc.stdout!.on('data', onOut);
  proc.stderr!.on('data', onOut);

  // Connect to ctrl_tcp (retry while baresip starts).
  let sock: net.Socket | undefined;
  for (let i = 0; i < 100 && !sock; i++) {
    sock = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!sock) await sleep(50);
  }
  if (!sock) {
    proc.kill('SIGKILL');
    throw new Error(`baresip did not start: ${log.join('').slice(-2000)}`);
  }

  const phone = new EventEmitter<{ event: [BaresipEvent] }>() as Phone;
  const events: BaresipEvent[] = [];
  const pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  let buf = Buffer.alloc(0);
  let token = 0;
  sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const colon = buf.indexOf(':');
      if (colon < 0) break;
      const len = Number(buf.toString('latin1', 0, colon));
      if (buf.length < colon + 1 + len + 1) break;
      const json = buf.toString('utf8', colon + 1, colon + 1 + len);
      buf = buf.subarray(colon + 2 + len);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.response) {
        const cb = pending.get(String(msg.token));
        pending.delete(String(msg.token));
        cb?.({ ok: Boolean(msg.ok), data: typeof msg.data === 'string' ? msg.data : '' });
      } else if (msg.event) {
        const ev = msg as BaresipEvent;
        events.push(ev);
        phone.emit('event', ev);
        if (opts.answer === 'busy' && ev.type === 'CALL_INCOMING') void phone.hangup();
      }
    }
  });
  sock.on('error', () => {});

  const command = (cmd: string, params?: string): Promise<{ ok: boolean; data: string }> => {
    const tok = String(++token);
    const body = JSON.stringify({ command: cmd, params: params ?? '', token: tok });
    sock.write(`${Buffer.byteLength(body)}:${body},`);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (pending.delete(tok)) resolve({ ok: false, data: 'no response' });
      }, 5000);
      // (Cleared on the reply: a pending timer would keep the test file alive 5 s longer.)
      pending.set(tok, (r) => (clearTimeout(timer), resolve(r)));
    });
  };

  const waitEvent = (type: string, timeoutMs = 10_000, since = 0): Promise<BaresipEvent> => {
    const seen = events.slice(since).find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        phone.off('event', on);
        reject(new Error(`baresip ${user}: no ${type} within ${timeoutMs} ms; got ${events.map((e) => e.type).join(',')}\n${log.join('').slice(-1500)}`));
      }, timeoutMs);
      const on = (e: BaresipEvent): void => {
        if (e.type !== type) return;
        clearTimeout(timer);
        phone.off('event', on);
        resolve(e);
      };
      phone.on('event', on);
    });
  };

  let stopped = false;
  Object.assign(phone, {
    user,
    port,
    uri: `sip:${user}@127.0.0.1:${port}`,
    recordDir,
    events,
    command,
    waitEvent,
    // REGISTER may complete before the control connection is up, so the log counts as well as the event.
    waitRegistered: async (timeoutMs = 10_000) => {
      const end = Date.now() + timeoutMs;
      while (!events.some((e) => e.type === 'REGISTER_OK') && !/200 OK \(.*\) \[\d+ binding/.test(log.join(''))) {
        if (Date.now() > end) throw new Error(`baresip ${user} did not register: ${log.join('').slice(-1500)}`);
        await sleep(50);
      }
    },
    dial: async (uri: string) => void (await command('dial', uri)),
    accept: async () => void (await command('accept')),
    hangup: async () => void (await command('hangup')),
    transfer: async (uri: string) => void (await command('transfer', uri)),
    sendDigits: async (digits: string) => {
      for (const d of digits) {
        await command('sndcode', d);
        await sleep(250);
      }
    },
    heard: async () => {
      const files = (await readdir(recordDir)).filter((f) => f.endsWith('-dec.wav')).sort();
      if (!files.length) return new Int16Array(0);
      return (await readWav(join(recordDir, files[files.length - 1]!))).samples;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      sock.destroy();
      proc.kill('SIGTERM');
      await atMost(new Promise((r) => proc.once('exit', r)), 2000);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  });
  return phone;
}
