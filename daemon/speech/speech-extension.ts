import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import type { Context, Extension, Prepared } from '../extension.js';
import { modelsDir } from '../config/paths.js';
import { SpeechSupervisor } from './supervisor.js';
import type { WorkerSettings } from './worker/protocol.js';
import { callLanguage } from '../config/locale.js';

/** The shipped models/ directory (dist/daemon/speech → ../../../models). */
export const SHIPPED_MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

/** Worker settings from the config: VAD timings, model paths (relative ones under <storage>/models). */
export function workerSettings(cfg: Config): WorkerSettings {
  const sp = cfg.speech ?? {};
  const abs = (p: string): string => (isAbsolute(p) ? p : join(modelsDir(cfg), p));
  const asrModels: Record<string, string> = {};
  for (const [lang, dir] of Object.entries(sp.asr?.models ?? {})) asrModels[lang] = abs(dir);
  if (sp.asr?.model) asrModels[callLanguage(cfg)] ??= abs(sp.asr.model);
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
 * `speech.worker: false` (DTMF only), and puts it in the app's speech service, where the call core
 * asks for a stream per call.
 */
export class SpeechExtension implements Extension {
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
        this.ctx.services.speech.use(undefined);
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
      this.ctx.services.speech.use(this.sup);
    }
  }

  async prepare(next: Config): Promise<Prepared> {
    return { commit: async () => this.apply(next) };
  }

  async stop(): Promise<void> {
    this.ctx.services.speech.use(undefined);
    await this.sup?.stop();
    this.sup = undefined;
  }

  status(): string | undefined {
    if (!this.sup) return undefined;
    return this.sup.up ? undefined : 'speech worker down (DTMF only)';
  }
}
