import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineModel } from '../../../daemon/speech/emotion/baseline.js';
import { EmotionRunner } from '../../../daemon/speech/emotion/runner.js';
import { writeLoudIsAngryModel } from '../../helpers/emotion-models.js';
import { repoRoot } from '../../helpers/paths.js';
import { espeak, silenceSamples } from '../../helpers/speech.js';

const shipped = join(repoRoot, 'models', 'emotion-baseline.onnx');

t.test('the shipped baseline is what scripts/build-emotion-model builds', async (t) => {
  const { onnx, card } = baselineModel();
  t.ok(onnx.equals(await readFile(shipped)), 'models/emotion-baseline.onnx is up to date');
  t.same(JSON.parse(await readFile(join(repoRoot, 'models', 'emotion-baseline.json'), 'utf8')), card, 'and its model card');
});

t.test('baseline: a loud, fast utterance scores higher arousal than a calm one (zh and en)', async (t) => {
  const r = await EmotionRunner.load(shipped);
  t.equal(r.card.input.kind, 'prosody');
  const texts = { en: 'I have been waiting for an hour and nobody helps me', cmn: '我已经等了一个小时了没有人帮我' } as const;
  for (const voice of ['en', 'cmn'] as const) {
    const calm = await r.infer(await espeak(voice, texts[voice], ['-a', '40', '-s', '110', '-p', '30']));
    const loud = await r.infer(await espeak(voice, texts[voice], ['-a', '200', '-s', '260', '-p', '80']));
    t.ok(calm && loud, 'readings');
    t.ok(loud!.arousal! > calm!.arousal! + 0.3, `${voice}: loud ${loud!.arousal!.toFixed(2)} > calm ${calm!.arousal!.toFixed(2)}`);
    t.equal(loud!.scores['negative'], loud!.arousal, 'the card takes arousal as the negative proxy');
  }
  t.equal(await r.infer(silenceSamples(0.1)), undefined, 'too short to judge');
});

t.test('a differently shaped model (waveform in, categorical out) through its card', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-emo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await EmotionRunner.load(await writeLoudIsAngryModel(dir));
  const loud = await r.infer(await espeak('en', 'This is unacceptable', ['-a', '200']));
  t.equal(loud?.label, 'angry', `loud speech reads angry (${JSON.stringify(loud?.scores)})`);
  t.ok(loud!.scores['negative']! > 0.9, 'negative from the angry label');
  const quiet = await r.infer(silenceSamples(1));
  t.equal(quiet?.label, 'neutral', 'silence reads neutral');
});

t.test('a card that does not match its model is refused with a clear error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-emo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = await writeLoudIsAngryModel(dir);
  await writeFile(join(dir, 'loud-is-angry.json'), JSON.stringify({ name: 'x', input: { name: 'wrong', kind: 'waveform', sample_rate: 16000 }, output: { name: 'probs', kind: 'categorical', labels: ['a'] } }));
  await t.rejects(EmotionRunner.load(path), /no input "wrong"/);
  await writeFile(join(dir, 'loud-is-angry.json'), JSON.stringify({ name: 'x', input: { name: 'audio', kind: 'spectrogram' } }));
  await t.rejects(EmotionRunner.load(path), /input.kind must be/);
  await t.rejects(EmotionRunner.load(join(dir, 'missing.onnx')), /model card/);
});
