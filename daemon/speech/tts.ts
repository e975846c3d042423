import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_RATE } from '../../drivers/media/format.js';
import { encodeWav, parseWav } from '../../drivers/audio/wav.js';
import { resample } from '../../drivers/audio/resample.js';

/**
 * Text to speech through espeak-ng (offline; `cmn` and `en` voices ship with Debian's package),
 * returned as 8 kHz s16le mono PCM ready for a MediaPort. Results are cached on disk by
 * hash(engine version, voice, rate, text), so each prompt is synthesised once per box and
 * installer-visible as a WAV file; an espeak-ng upgrade invalidates the cache by itself.
 */

export interface TtsOptions {
  /** espeak-ng voice: 'cmn', 'en', or any other name/variant it knows ('en+f3'). */
  voice: 'cmn' | 'en' | (string & {});
  /** Speaking rate in words per minute (espeak-ng -s); espeak-ng's default when absent. */
  rate?: number;
}

/** Runs a command with `input` on stdin; resolves its stdout. Injectable for tests. */
export type Runner = (command: string, args: string[], input: string) => Promise<Buffer>;

export interface TtsEngineOptions {
  /** Where synthesised prompts are kept. Created on first use. */
  cacheDir: string;
  /** The espeak-ng executable. Default 'espeak-ng' (from PATH). */
  command?: string;
  run?: Runner;
  /** Give up on one synthesis after this long, ms. Default 30000. */
  timeoutMs?: number;
}

/** espeak-ng is not installed (or not where configured). */
export class TtsUnavailableError extends Error {
  override name = 'TtsUnavailableError';
}

export class TtsEngine {
  /** Counters, for health reports and tests: espeak-ng runs for synthesis, cache hits. */
  /** Recently used prompts, decoded (least recently used first). */
  private readonly memory = new Map<string, Buffer>();
  readonly stats = { spawns: 0, hits: 0 };
  private readonly command: string;
  private readonly run: Runner;
  private versionP: Promise<string> | undefined;
  /** Identical requests in flight share one synthesis. */
  private readonly inflight = new Map<string, Promise<Buffer>>();

  constructor(private readonly opts: TtsEngineOptions) {
    this.command = opts.command ?? 'espeak-ng';
    this.run = opts.run ?? spawnRunner(opts.timeoutMs ?? 30_000);
  }

  /** espeak-ng's version line (part of the cache key). Rejects with TtsUnavailableError if missing. */
  version(): Promise<string> {
    this.versionP ??= this.run(this.command, ['--version'], '').then(
      (out) => out.toString('utf8').replace(/\s*Data at:.*$/s, '').trim(),
      (err: unknown) => {
        this.versionP = undefined; // let a later call retry (espeak-ng installed meanwhile)
        throw err;
      },
    );
    return this.versionP;
  }

  /** The cache file for a request (whether or not it exists yet). */
  async cachePath(text: string, opts: TtsOptions): Promise<string> {
    const key = createHash('sha256')
      .update(JSON.stringify([await this.version(), opts.voice, opts.rate ?? null, text]))
      .digest('hex')
      .slice(0, 32);
    return join(this.opts.cacheDir, `${key}.wav`);
  }

  async synthesize(text: string, opts: TtsOptions): Promise<Buffer> {
    if (text.trim() === '') return Buffer.alloc(0);
    const path = await this.cachePath(text, opts);
    // The same few prompts start every call: keep the latest ones decoded rather than reading and
    // parsing their WAV from disk each time (it was ~5 % of the daemon's CPU under call bursts).
    const hot = this.memory.get(path);
    if (hot) {
      this.memory.delete(path);
      this.memory.set(path, hot);
      this.stats.hits++;
      return hot;
    }
    // One read (or render) per prompt however many calls ask at once: a burst of calls would
    // otherwise read and parse the same WAV once each, in one stretch of the event loop.
    let p = this.inflight.get(path);
    if (!p) {
      p = this.load(text, opts, path).finally(() => this.inflight.delete(path));
      this.inflight.set(path, p);
    }
    return p;
  }

  private async load(text: string, opts: TtsOptions, path: string): Promise<Buffer> {
    const cached = await readCached(path);
    if (!cached) return this.render(text, opts, path);
    this.stats.hits++;
    this.remember(path, cached);
    return cached;
  }

  private async render(text: string, opts: TtsOptions, path: string): Promise<Buffer> {
    const args = ['-v', opts.voice, '-b', '1', '--stdout'];
    if (opts.rate !== undefined) args.push('-s', String(Math.round(opts.rate)));
    this.stats.spawns++;
    // Text goes on stdin (-b 1: UTF-8) so it can never be taken for an option.
    const wav = await this.run(this.command, args, text);
    let pcm;
    try {
      pcm = parseWav(wav, `espeak-ng (voice ${opts.voice})`);
    } catch (err) {
      throw new Error(`TTS: espeak-ng produced no audio for voice '${opts.voice}': ${(err as Error).message}`);
    }
    const samples = resample(pcm.samples, pcm.sampleRate, SAMPLE_RATE);
    const out = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    // A full or read-only disk costs the cache, never the caller's prompt.
    await atomicWrite(path, encodeWav(out, SAMPLE_RATE)).catch(() => undefined);
    this.remember(path, out);
    return out;
  }

  private remember(path: string, pcm: Buffer): void {
    this.memory.set(path, pcm);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
  }
}

/** Decoded prompts kept in memory (a few seconds of audio each: well under 10 MB). */
const MEMORY_ENTRIES = 64;

async function readCached(path: string): Promise<Buffer | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    const { samples, sampleRate } = parseWav(buf, path);
    if (sampleRate !== SAMPLE_RATE) return undefined;
    return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  } catch {
    return undefined; // a damaged cache file is simply rendered again (and replaced)
  }
}

/** tmp + rename in the same directory: readers see the old file or the whole new one, never half. */
async function atomicWrite(path: string, data: Buffer): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined); // cleanup; the write's own error is thrown below
    throw err;
  }
}

/** The real runner: spawn, feed stdin, collect stdout, clear errors. */
export function spawnRunner(timeoutMs: number): Runner {
  return (command, args, input) =>
    new Promise<Buffer>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`TTS: ${command} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.stdin.on('error', () => undefined); // EPIPE if it exits early; reported via 'close'
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT') {
          reject(new TtsUnavailableError(`TTS: ${command} not found; install espeak-ng (apt-get install espeak-ng) or set its path in the config`));
        } else reject(new Error(`TTS: cannot run ${command}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8').trim();
        if (code !== 0) reject(new Error(`TTS: ${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})${stderr ? `: ${stderr}` : ''}`));
        else resolve(Buffer.concat(out));
      });
      child.stdin.end(input, 'utf8');
    });
}

let defaultEngine: TtsEngine | undefined;

/** The process-wide engine; its cache dir comes from FRONTDESK_TTS_CACHE or the temp dir. */
export function defaultTts(): TtsEngine {
  defaultEngine ??= new TtsEngine({ cacheDir: process.env.FRONTDESK_TTS_CACHE ?? join(tmpdir(), 'frontdesk-tts') });
  return defaultEngine;
}

/** Synthesise with the process-wide engine (see TtsEngine.synthesize). */
export function synthesize(text: string, opts: TtsOptions): Promise<Buffer> {
  return defaultTts().synthesize(text, opts);
}
