import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension } from '../extension.js';
import { dataDir as configDataDir } from '../config/paths.js';
import { SpeechSupervisor, type SpeechService, type SpeechStream } from './supervisor.js';
import type { WorkerSettings } from './worker/protocol.js';

/** The shipped models/ directory (dist/daemon/speech → ../../../models). */
export const SHIPPED_MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

/** Worker settings from the config: VAD timings, model paths (relative ones under <storage>/models). */
export function workerSettings(cfg: Config): WorkerSettings {
  const sp = cfg.speech ?? {};
  const dataDir = configDataDir(cfg);
  const abs = (p: string): string => (isAbsolute(p) ? p : join(dataDir, 'models', p));
  const asrModels: Record<string, string> = {};
  for (const [lang, dir] of Object.entries(sp.asr?.models ?? {})) asrModels[lang] = abs(dir);
  if (sp.asr?.model) asrModels[cfg.bot.language ?? cfg.language ?? 'zh-CN'] ??= abs(sp.asr.model);
  const emotionOn = sp.emotion?.enabled !== false;
  const emotionModel = sp.emotion?.model ? (isAbsolute(sp.emotion.model) ? sp.emotion.model : resolve(SHIPPED_MODELS, sp.emotion.model)) : join(SHIPPED_MODELS, 'emotion-baseline.onnx');
  return {
    vad: {
      engine: sp.vad?.engine ?? 'silero',
      threshold: sp.vad?.threshold ?? 0.5,
      startMs: durationOr(sp.vad?.start, '0.2s'),
      endSilenceMs: durationOr(sp.vad?.end_silence, '0.7s'),
      bargeInMs: durationOr(sp.vad?.barge_in, '0.4s'),
    },
    asrModels,
    ...(emotionOn ? { emotionModel } : {}),
  };
}

/**
 * Speech as a daemon feature: runs the speech worker under supervision unless the config says
 * `speech.worker: false` (DTMF only). The call core asks it for a stream per call.
 */
export class SpeechExtension implements Extension, SpeechService {
  readonly name = 'speech';
  private sup: SpeechSupervisor | undefined;
  private ctx!: Context;

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    this.apply(ctx.config());
  }

  private apply(cfg: Config): void {
    const on = cfg.speech?.worker !== false;
    if (!on) {
      if (this.sup) {
        this.ctx.log.info('speech worker disabled by config; calls run DTMF-only');
        void this.sup.stop(); // stop only waits for the worker to exit (SIGKILL after 3 s); config apply doesn't wait for it
        this.sup = undefined;
      }
      return;
    }
    const settings = workerSettings(cfg);
    if (this.sup) this.sup.reconfigure(settings);
    else {
      this.sup = new SpeechSupervisor({ settings, log: this.ctx.log.child({ component: 'speech' }), bus: this.ctx.bus });
      this.sup.start();
    }
  }

  open(callId: string, lang: string, grammar?: string[]): SpeechStream | undefined {
    return this.sup?.open(callId, lang, grammar);
  }

  get supervisor(): SpeechSupervisor | undefined {
    return this.sup;
  }

  async reload(next: Config): Promise<void> {
    this.apply(next);
  }

  async stop(): Promise<void> {
    await this.sup?.stop();
    this.sup = undefined;
  }

  status(): string | undefined {
    if (!this.sup) return undefined;
    return this.sup.up ? undefined : 'speech worker down (DTMF only)';
  }
}
