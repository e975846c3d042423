import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TtsEngine, TtsUnavailableError, spawnRunner, type Runner } from '../../../daemon/speech/tts.js';
import { PromptResolver, resolvePrompt } from '../../../daemon/speech/prompts.js';
import { asSamples, tone, toneLevel } from '../../../drivers/audio/tones.js';
import { encodeWav } from '../../../drivers/audio/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-tts-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A runner that counts synthesis runs (not the --version probe) on top of the real one. */
function counting(): { run: Runner; calls: string[][] } {
  const real = spawnRunner(30_000);
  const calls: string[][] = [];
  return {
    calls,
    run: (cmd, args, input) => {
      if (!args.includes('--version')) calls.push(args);
      return real(cmd, args, input);
    },
  };
}

function rmsDbfs(pcm: Buffer): number {
  const s = asSamples(pcm);
  let e = 0;
  for (const v of s) e += v * v;
  return 10 * Math.log10(e / Math.max(1, s.length) / 32768 ** 2);
}

t.test('espeak-ng speaks Chinese and English as 8 kHz PCM, cached on disk', async (t) => {
  const cacheDir = join(dir, 'cache');
  const c = counting();
  const tts = new TtsEngine({ cacheDir, run: c.run });
  t.match(await tts.version(), /eSpeak NG/);
  // Plausible durations: 10 English words, 20 Chinese syllables (espeak-ng's cmn is slow, ~2.5/s).
  const cases = [
    ['en', 'Thank you for calling. How can I help you today?', 1.5, 6],
    ['cmn', '您好，欢迎致电分行营业部，请问有什么可以帮您？', 3, 12],
  ] as const;
  for (const [voice, text, min, max] of cases) {
    const pcm = await tts.synthesize(text, { voice });
    const sec = pcm.length / 16000;
    t.ok(sec > min && sec < max, `${voice}: ${sec.toFixed(2)} s`);
    t.ok(rmsDbfs(pcm) > -35, `${voice}: not silent (${rmsDbfs(pcm).toFixed(1)} dBFS)`);
    const path = await tts.cachePath(text, { voice });
    t.ok(existsSync(path), 'cache file written');
    const spawns = c.calls.length;
    const again = await tts.synthesize(text, { voice });
    t.equal(c.calls.length, spawns, 'second call: no espeak-ng run');
    t.ok(again.equals(pcm), 'same audio from the cache');
  }
  t.equal(tts.stats.spawns, 2);
  t.equal(tts.stats.hits, 2);
  // A new engine (a daemon restart) finds the same files.
  const c2 = counting();
  const tts2 = new TtsEngine({ cacheDir, run: c2.run });
  await tts2.synthesize('Thank you for calling. How can I help you today?', { voice: 'en' });
  t.equal(c2.calls.length, 0, 'disk cache survives a restart');
  // The rate is part of the key, and slower speech is longer.
  const slow = await tts2.synthesize('Thank you for calling. How can I help you today?', { voice: 'en', rate: 100 });
  t.equal(c2.calls.length, 1);
  t.ok(c2.calls[0]!.includes('-s'));
  const normal = await tts2.synthesize('Thank you for calling. How can I help you today?', { voice: 'en' });
  t.ok(slow.length > normal.length * 1.3, 'rate 100 wpm is slower');
});

t.test('identical requests at once share one synthesis; empty text costs nothing', async (t) => {
  const c = counting();
  const tts = new TtsEngine({ cacheDir: join(dir, 'c2'), run: c.run });
  const [a, b] = await Promise.all([tts.synthesize('one moment please', { voice: 'en' }), tts.synthesize('one moment please', { voice: 'en' })]);
  t.equal(c.calls.length, 1);
  t.ok(a.equals(b));
  t.equal((await tts.synthesize('  ', { voice: 'en' })).length, 0);
  t.equal(c.calls.length, 1);
});

t.test('clear errors: espeak-ng missing, unknown voice', async (t) => {
  const missing = new TtsEngine({ cacheDir: join(dir, 'c3'), command: join(dir, 'no-such-espeak-ng') });
  await t.rejects(missing.synthesize('hello', { voice: 'en' }), TtsUnavailableError);
  await t.rejects(missing.synthesize('hello', { voice: 'en' }), /not found; install espeak-ng/);
  const tts = new TtsEngine({ cacheDir: join(dir, 'c3') });
  await t.rejects(tts.synthesize('hello', { voice: 'xx-nosuch' }), /voice does not exist/);
});

t.test('prompts: an installer WAV wins over TTS, in any format', async (t) => {
  const promptsDir = join(dir, 'prompts');
  execFileSync('mkdir', ['-p', promptsDir]);
  // 44.1 kHz stereo, 1.5 s of 440 Hz, made with sox like an installer would.
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', '-b', '16', join(promptsDir, 'welcome.wav'), 'synth', '1.5', 'sine', '440']);
  // A 16 kHz mono recording just for the Chinese voice.
  writeFileSync(join(promptsDir, 'welcome.cmn.wav'), encodeWav(tone([1000], 500, -10, 16000), 16000));
  const synthCalls: string[] = [];
  const stub = {
    synthesize: async (text: string) => {
      synthCalls.push(text);
      return Buffer.alloc(1600);
    },
  };
  const prompts = new PromptResolver({ promptsDir, tts: stub });
  const en = await prompts.resolve({ id: 'welcome', text: 'Welcome', voice: 'en' });
  t.equal(en.length / 2, 12000, '1.5 s at 8 kHz mono');
  t.ok(toneLevel(en, 440) > 0.3, 'still 440 Hz');
  const cmn = await prompts.resolve({ id: 'welcome', text: '欢迎', voice: 'cmn' });
  t.equal(cmn.length / 2, 4000, 'the voice-specific recording, 0.5 s');
  t.ok(toneLevel(cmn, 1000) > 0.2);
  t.same(synthCalls, [], 'no TTS for recorded prompts');
  await prompts.resolve({ id: 'goodbye', text: 'Goodbye', voice: 'en' });
  await prompts.resolve({ text: 'No id at all', voice: 'en' });
  t.same(synthCalls, ['Goodbye', 'No id at all'], 'TTS when there is no recording');
  await t.rejects(prompts.resolve({ id: '../../etc/passwd', text: 'x', voice: 'en' }), /not a valid file name/);
  // A broken file falls back to TTS rather than silence.
  writeFileSync(join(promptsDir, 'broken.wav'), 'not a wav');
  await prompts.resolve({ id: 'broken', text: 'Broken', voice: 'en' });
  t.same(synthCalls.at(-1), 'Broken');
});

t.test('prompts: real TTS when no file', async (t) => {
  const tts = new TtsEngine({ cacheDir: join(dir, 'c4') });
  const pcm = await resolvePrompt({ id: 'hours', text: '我们的营业时间是周一至周五。', voice: 'cmn' }, { promptsDir: join(dir, 'prompts'), tts });
  t.ok(pcm.length / 16000 > 1, 'spoken');
  t.equal(tts.stats.spawns, 1);
});
