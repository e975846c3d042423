import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Bus } from '../../../daemon/bus/bus.js';
import type { DomainEvents } from '../../../daemon/bus/events.js';
import { SpeechSupervisor, type SpeechStream, type Utterance } from '../../../daemon/speech/supervisor.js';
import type { WorkerSettings } from '../../../daemon/speech/worker/protocol.js';
import { Libvosk, checkModelDir } from '../../../daemon/speech/worker/vosk.js';
import { repoRoot } from '../../helpers/paths.js';
import { concat, espeak, silenceSamples, toBuffer } from '../../helpers/speech.js';

const log = pino({ level: 'silent' });
const vad = { engine: 'silero' as const, threshold: 0.5, startMs: 200, endSilenceMs: 700, bargeInMs: 400 };
const baseline = join(repoRoot, 'models', 'emotion-baseline.onnx');

function settings(over: Partial<WorkerSettings> = {}): WorkerSettings {
  return { vad, asrModels: {}, emotionModel: baseline, ...over };
}

/** Feed samples as 20 ms frames, `speed` times faster than real time. */
async function feed(stream: SpeechStream, samples: Int16Array, speed = 10): Promise<void> {
  const b = toBuffer(samples);
  for (let o = 0; o + 320 <= b.length; o += 320) {
    stream.write(b.subarray(o, o + 320));
    if ((o / 320) % 5 === 4) await new Promise((r) => setTimeout(r, 100 / speed));
  }
}

function nextUtterance(s: SpeechStream, timeoutMs = 20_000): Promise<Utterance> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no utterance')), timeoutMs);
    s.once('utterance', (u) => (clearTimeout(timer), resolve(u)));
  });
}

function alarms(bus: Bus): DomainEvents['alarm'][] {
  const out: DomainEvents['alarm'][] = [];
  bus.on('alarm', (e) => void out.push(e.data));
  return out;
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hello = await espeak('en', 'Hello, I would like to speak to somebody about my bill');

t.test('worker: speech events for a call, emotion on each utterance, round trip', async (t) => {
  const sup = new SpeechSupervisor({ settings: settings(), log });
  sup.start();
  t.teardown(() => sup.stop());
  await sup.whenReady();
  t.equal(sup.status?.vad, 'silero', 'Silero VAD loaded in the worker');
  t.equal(sup.status?.emotion, 'ok', 'baseline emotion model loaded through its card');
  const s = sup.open('call-1', 'en-US');
  const got: string[] = [];
  s.on('speech-start', () => got.push('start'));
  s.on('barge-in', () => got.push('barge-in'));
  const u = nextUtterance(s);
  await feed(s, concat(silenceSamples(1), hello, silenceSamples(1.5)));
  const utt = await u;
  t.same(got, ['start', 'barge-in'], 'speech-start then barge-in');
  t.ok(utt.durationMs > 1500, `utterance of ${utt.durationMs} ms`);
  t.equal(utt.text, undefined, 'no transcript without a model');
  t.ok(utt.emotion && typeof utt.emotion.arousal === 'number', `emotion reading: ${JSON.stringify(utt.emotion)}`);
  t.equal(s.asr, false);
  const rtt = await sup.ping();
  t.ok(rtt >= 0, `round trip ${rtt.toFixed(2)} ms`);
  s.close();
});

t.test('worker killed: alarm raised, restarted, alarm cleared, the stream hears again', async (t) => {
  const bus = new Bus();
  const seen = alarms(bus);
  const sup = new SpeechSupervisor({ settings: settings({ vad: { ...vad, engine: 'energy' } }), log, bus, backoffMinMs: 200 });
  sup.start();
  t.teardown(() => sup.stop());
  await sup.whenReady();
  const s = sup.open('call-2', 'en-US');
  const pid = sup.pid!;
  process.kill(pid, 'SIGKILL');
  await until(() => seen.some((a) => a.code === 'speech-worker-down' && a.active));
  t.equal(s.live, false, 'the stream is not live while the worker is down');
  s.write(Buffer.alloc(320)); // dropped, no throw
  await sup.whenReady();
  t.not(sup.pid, pid, 'a new worker process');
  await until(() => seen.some((a) => a.code === 'speech-worker-down' && !a.active));
  t.equal(sup.restarts, 1);
  const u = nextUtterance(s);
  await feed(s, concat(silenceSamples(1), hello, silenceSamples(1.5)));
  t.ok((await u).durationMs > 1000, 'the reopened stream reports speech again');
});

t.test('libvosk loads; a missing model degrades to no ASR with an alarm', async (t) => {
  const lib = await Libvosk.load();
  t.match(lib.path, /libvosk\.so$/, `libvosk loaded from ${lib.path}`);
  const dir = await mkdtemp(join(tmpdir(), 'fd-vosk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.match(checkModelDir(join(dir, 'nope')), /does not exist/);
  const bus = new Bus();
  const seen = alarms(bus);
  const sup = new SpeechSupervisor({ settings: settings({ asrModels: { en: join(dir, 'vosk-model-small-en-us-0.15') } }), log, bus });
  sup.start();
  t.teardown(() => sup.stop());
  await sup.whenReady();
  t.equal(sup.status?.libvosk, 'loaded', 'the worker loaded libvosk');
  t.match(sup.status?.asr['en'], /does not exist/, `clear reason: ${sup.status?.asr['en']}`);
  const a = seen.find((x) => x.code === 'speech-model-unavailable');
  t.ok(a?.active, `alarm: ${a?.message}`);
  const s = sup.open('call-3', 'en-US');
  const u = nextUtterance(s);
  await feed(s, concat(silenceSamples(0.5), hello, silenceSamples(1.2)));
  t.equal((await u).text, undefined, 'speech still detected (barge-in works), no transcript');
});

t.test('a broken model (garbage files) never leaves the box without a worker', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-vosk-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const f of ['am/final.mdl', 'conf/mfcc.conf', 'graph/HCLG.fst', 'graph/words.txt']) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), f.endsWith('.conf') ? '--sample-frequency=16000\n' : 'not a kaldi file\n');
  }
  const bus = new Bus();
  const seen = alarms(bus);
  const sup = new SpeechSupervisor({ settings: settings({ asrModels: { en: dir } }), log, bus, backoffMinMs: 100 });
  sup.start();
  t.teardown(() => sup.stop());
  await sup.whenReady();
  t.not(sup.status?.asr['en'], 'ok', `the model is reported unusable (${sup.status?.asr['en'] ?? 'left out'}; worker restarts: ${sup.restarts})`);
  t.ok(seen.some((a) => a.code === 'speech-model-unavailable' && a.active), 'alarm raised');
  t.equal(sup.up, true, 'a worker is running');
});
