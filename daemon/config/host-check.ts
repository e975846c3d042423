import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseWav } from '../../drivers/audio/wav.js';
import type { Config, MenuActionConfig } from './schema.js';
import type { CrossIssue } from './cross-check.js';
import { suggest } from './suggest.js';

type Path = (string | number)[];

/**
 * What the config points at outside itself, checked on this machine: recorded prompts and hold music
 * that must exist as WAV files, TLS files that must be readable, the espeak-ng voice. Run by
 * check-config, at start and on reload, so a file that passes will not fail on the first call.
 * Relative paths are taken as the daemon takes them: from its working directory.
 */
export async function hostCheck(c: Config): Promise<CrossIssue[]> {
  const issues: CrossIssue[] = [];
  const abs = (p: string): string => resolve(p);
  const dir = c.speech?.prompts_dir;
  const voice = effectiveVoice(c);

  /** A recording that must exist (hold music, or a prompt with no text to fall back on). */
  const recording = async (id: string, path: Path, what: string, names: string[]): Promise<void> => {
    if (!dir) {
      issues.push({ path, message: `${what} "${id}" is a recording in speech.prompts_dir, which is not set` });
      return;
    }
    for (const name of names) {
      let buf: Buffer;
      try {
        buf = await readFile(join(dir, name));
      } catch {
        continue;
      }
      try {
        parseWav(buf, name);
      } catch (err) {
        issues.push({ path, message: `${what} ${join(dir, name)} is not a WAV file the box can play: ${(err as Error).message}` });
      }
      return;
    }
    issues.push({ path, message: `${what} "${id}" not found: no ${names.map((n) => join(dir, n)).join(' or ')}` });
  };

  const menu = async (keys: Record<string, MenuActionConfig> | undefined, at: Path): Promise<void> => {
    for (const [key, action] of Object.entries(keys ?? {})) {
      if (typeof action !== 'object') continue;
      // With text to say, a missing recording falls back to TTS; without, it would be silence.
      if (action.prompt && !action.say) await recording(action.prompt, [...at, key, 'prompt'], 'prompt', [`${action.prompt}.${voice}.wav`, `${action.prompt}.wav`]);
      if (action.label_prompt && action.label === undefined) await recording(action.label_prompt, [...at, key, 'label_prompt'], 'prompt', [`${action.label_prompt}.${voice}.wav`, `${action.label_prompt}.wav`]);
      if (action.menu) await menu(action.menu.keys, [...at, key, 'menu', 'keys']);
    }
  };
  await menu(c.bot.menu, ['bot', 'menu']);
  for (const [i, q] of (c.queues ?? []).entries()) {
    if (q.hold_music && dir) await recording(q.hold_music, ['queues', i, 'hold_music'], 'hold music', [`${q.hold_music}.wav`]);
  }

  for (const key of ['ca', 'cert', 'key'] as const) {
    const f = c.mqtt?.[key];
    if (!f) continue;
    try {
      await access(abs(f), constants.R_OK);
    } catch (err) {
      issues.push({ path: ['mqtt', key], message: `cannot read ${abs(f)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
  }
  if (c.mqtt && Boolean(c.mqtt.cert) !== Boolean(c.mqtt.key)) issues.push({ path: ['mqtt', c.mqtt.cert ? 'cert' : 'key'], message: 'a client certificate needs both mqtt.cert and mqtt.key' });

  const voices = await espeakVoices();
  if (voices && !voices.has(voice.split('+')[0]!.toLowerCase())) {
    const guess = suggest(voice, [...voices]);
    issues.push({ path: c.speech?.tts?.voice ? ['speech', 'tts', 'voice'] : ['speech'], message: `espeak-ng has no voice "${voice}"${guess ? `; did you mean "${guess}"?` : ''} (espeak-ng --voices lists them)` });
  } else if (!voices && c.speech?.tts?.voice) {
    issues.push({ path: ['speech', 'tts', 'voice'], message: 'espeak-ng is not installed (apt-get install espeak-ng), so nothing without a recording can be said' });
  }
  return issues;
}

/** The voice prompts are spoken in: as configured, else by language (what runner.ts uses). */
export function effectiveVoice(c: Config): string {
  const lang = c.bot.language ?? c.language ?? 'zh-CN';
  return c.speech?.tts?.voice ?? (lang.startsWith('zh') ? 'cmn' : 'en');
}

let cached: Promise<Set<string> | undefined> | undefined;

/** Names espeak-ng accepts for -v: language codes, voice files and other-language codes. */
function espeakVoices(): Promise<Set<string> | undefined> {
  cached ??= new Promise((done) => {
    execFile('espeak-ng', ['--voices'], { timeout: 10_000 }, (err, stdout) => {
      if (err) {
        cached = undefined; // installed later: look again next time
        return done(undefined);
      }
      const names = new Set<string>();
      for (const line of stdout.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 5) continue;
        names.add(cols[1]!.toLowerCase());
        names.add(cols[4]!.toLowerCase());
        for (const m of line.matchAll(/\(([A-Za-z-]+) [0-9]+\)/g)) names.add(m[1]!.toLowerCase());
      }
      done(names);
    });
  });
  return cached;
}
