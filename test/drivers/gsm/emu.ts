import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distRoot } from '../../helpers/paths.js';
import { createGsmLine, type GsmLine, type GsmLineOptions } from '../../../drivers/gsm/line.js';
import { ModemEmulator, type EmulatorOptions } from '../../../drivers/gsm/emulator/modem.js';

/** A modem emulator in its own process (the installer-facing CLI), driven over its control socket. */
export interface Emu {
  at: string;
  voice: string;
  control: string;
  dir: string;
  proc: ChildProcess;
  send(req: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

export async function spawnEmulator(t: Teardown, args: string[] = []): Promise<Emu> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-gsm-'));
  const proc = spawn(process.execPath, [join(distRoot, 'daemon/commands/emulate-modem-main.js'), '--dir', dir, '--ring-interval', '1000', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const i = out.indexOf('\n');
      if (i >= 0) resolve(out.slice(0, i));
    });
    proc.once('exit', (c) => reject(new Error(`emulator exited ${c}: ${err}`)));
  });
  const paths = JSON.parse(first) as { at: string; voice: string; control: string };
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect(paths.control, () => resolve(s));
    s.once('error', reject);
  });
  let seq = 0;
  const waiting = new Map<number, (r: Record<string, unknown>) => void>();
  let buf = '';
  sock.on('data', (b) => {
    buf += b.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const r = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
      buf = buf.slice(i + 1);
      waiting.get(r.id as number)?.(r);
      waiting.delete(r.id as number);
    }
  });
  let closed = false;
  const emu: Emu = {
    ...paths,
    dir,
    proc,
    send(req) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, (r) => (r.ok ? resolve(r) : reject(new Error(String(r.error)))));
        sock.write(JSON.stringify({ ...req, id }) + '\n');
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      sock.destroy();
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.teardown(() => emu.close());
  return emu;
}

/** Fast timeouts for tests; production defaults are 1 s / 5 s / 40 s and a 10 s keepalive. */
export const TEST_TIMEOUTS = { short: 1000, normal: 3000, long: 10_000, idlePingMs: 1500, clipWaitMs: 500, reopenMinMs: 300, reopenMaxMs: 1500, simRetryMs: 1000, bootWaitMs: 5000, resetBackoffMs: 20_000 };

export function lineFor(t: Teardown, emu: Emu, dialect: GsmLineOptions['dialect'], extra: Partial<GsmLineOptions> = {}): GsmLine {
  const line = createGsmLine({ id: `gsm-${dialect}`, dialect, atPort: emu.at, voicePort: emu.voice, timeouts: TEST_TIMEOUTS, ...extra });
  t.teardown(() => line.stop());
  return line;
}

/**
 * The emulator in this process (the test sees its state as it changes) and a GSM line on it, not
 * started: over real socat ttys, or with `transport: 'stream'` over in-process streams handed to the
 * line through its port opener.
 */
export async function emulatorAndLine(t: Teardown, emuOpts: Omit<EmulatorOptions, 'dir'>, lineOpts: Partial<GsmLineOptions> = {}): Promise<{ emu: ModemEmulator; line: GsmLine }> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-gsm-'));
  const emu = new ModemEmulator({ ringIntervalMs: 1000, ...emuOpts, dir });
  await emu.start();
  const { dialect } = emuOpts;
  const line = createGsmLine({ id: `gsm-${dialect}`, dialect, atPort: emu.paths.at, voicePort: emu.paths.voice, ...(emuOpts.transport === 'stream' ? { openPort: emu.openStream } : {}), timeouts: TEST_TIMEOUTS, ...lineOpts });
  t.teardown(async () => {
    await line.stop();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { emu, line };
}

export function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = fn();
      if (v) return resolve(v);
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

export function once<T>(emitter: { once(ev: string, fn: (v: T) => void): unknown }, ev: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms`)), ms);
    emitter.once(ev, (v: T) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

/** Start a line and wait until it takes calls. */
export async function ready(line: { start(): Promise<void>; health(): { state: string } }): Promise<void> {
  await line.start();
  await waitFor('ready', () => line.health().state === 'ready');
}

/** The leg the line offers for the call `ring` brings in (listening before it rings). */
export async function offered<L>(line: { once(ev: string, fn: (v: L) => void): unknown }, ring: () => unknown): Promise<L> {
  const incoming = once<L>(line, 'incoming');
  await ring();
  return incoming;
}
