import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SAMPLE_RATE } from '../../drivers/media/format.js';
import { readWav } from '../../drivers/audio/wav.js';
import { resample } from '../../drivers/audio/resample.js';
import type { Logger } from '../log.js';
import { defaultTts, type TtsEngine, type TtsOptions } from './tts.js';

/**
 * Prompt audio: an installer's recorded WAV wins over TTS. For a prompt with id `welcome` and voice
 * `cmn`, prompts_dir/welcome.cmn.wav is tried first (a box that speaks two languages), then
 * prompts_dir/welcome.wav; otherwise the text is synthesised. Files may be any WAV parseWav reads
 * (PCM 8-32 bit, float, G.711; any rate; any channel count): they become 8 kHz mono here.
 */

export interface PromptRequest extends TtsOptions {
  /** Prompt id, also the file name stem in prompts_dir: letters, digits, '_', '-', '.'. */
  id?: string;
  /** What to say when there is no recording (and what the recording says, for logs). */
  text: string;
}

export interface PromptResolverOptions {
  promptsDir?: string;
  tts?: Pick<TtsEngine, 'synthesize'>;
  log?: Logger;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Load any WAV file as 8 kHz mono s16le PCM. */
export async function loadPromptWav(path: string): Promise<Buffer> {
  const { samples, sampleRate } = await readWav(path);
  const s = resample(samples, sampleRate, SAMPLE_RATE);
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
}

export class PromptResolver {
  /** Loaded recordings, keyed by path and invalidated when the file changes. */
  private readonly files = new Map<string, { mtimeMs: number; size: number; pcm: Buffer }>();

  constructor(private readonly opts: PromptResolverOptions = {}) {}

  async resolve(req: PromptRequest): Promise<Buffer> {
    const file = await this.findFile(req);
    if (file) {
      try {
        return await this.load(file);
      } catch (err) {
        // A broken recording must not silence the bot: say it with TTS and tell the installer.
        this.opts.log?.warn({ err, file }, 'prompt recording unreadable; using TTS instead');
      }
    }
    const tts: Pick<TtsEngine, 'synthesize'> = this.opts.tts ?? defaultTts();
    const ttsOpts: TtsOptions = { voice: req.voice };
    if (req.rate !== undefined) ttsOpts.rate = req.rate;
    return tts.synthesize(req.text, ttsOpts);
  }

  /** The recording that would be used for a request, if any. */
  async findFile(req: PromptRequest): Promise<string | undefined> {
    const dir = this.opts.promptsDir;
    if (!dir || req.id === undefined) return undefined;
    if (!ID.test(req.id) || req.id.includes('..')) throw new Error(`prompt id '${req.id}' is not a valid file name stem`);
    for (const name of [`${req.id}.${req.voice}.wav`, `${req.id}.wav`]) {
      const path = join(dir, name);
      if (await isFile(path)) return path;
    }
    return undefined;
  }

  private async load(path: string): Promise<Buffer> {
    const st = await stat(path);
    const hit = this.files.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.pcm;
    const pcm = await loadPromptWav(path);
    this.files.set(path, { mtimeMs: st.mtimeMs, size: st.size, pcm });
    return pcm;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** One-shot form of PromptResolver.resolve. */
export function resolvePrompt(req: PromptRequest, opts: PromptResolverOptions = {}): Promise<Buffer> {
  return new PromptResolver(opts).resolve(req);
}
