import t from 'tap';
import { EnergyVad } from '../../../daemon/speech/vad/energy.js';
import { Endpointer } from '../../../daemon/speech/vad/endpointer.js';
import { SileroModel } from '../../../daemon/speech/vad/silero.js';
import type { Vad } from '../../../daemon/speech/vad/vad.js';
import { concat, endpoints, espeak, lineNoise, silenceSamples } from '../../helpers/speech.js';

const silero = await SileroModel.load();
const engines: [string, () => Vad][] = [
  ['silero', () => silero.vad()],
  ['energy', () => new EnergyVad()],
];

const speech = {
  en: await espeak('en', 'Hello, I would like to change my password please'),
  zh: await espeak('cmn', '你好,我想修改我的密码'),
};

for (const [name, make] of engines) {
  for (const [lang, s] of Object.entries(speech)) {
    t.test(`${name} VAD finds the ${lang} espeak-ng utterance, and only it`, async (t) => {
      const lead = 1.5;
      const audio = concat(silenceSamples(lead), s, silenceSamples(1.5));
      const evs = await endpoints(make(), audio);
      const starts = evs.filter((e) => e.kind === 'start');
      const ends = evs.filter((e) => e.kind === 'end');
      t.ok(starts.length >= 1 && starts.length <= 2, `one utterance (maybe split at a pause): ${starts.length}`);
      t.equal(ends.length, starts.length, 'each utterance ends');
      const first = starts[0] as { atMs: number } | undefined;
      const speechMs = (s.length / 8000) * 1000;
      t.ok(first && first.atMs >= lead * 1000 - 100 && first.atMs <= lead * 1000 + 400, `onset near the speech (${first?.atMs} ms, speech at ${lead * 1000} ms)`);
      const last = ends[ends.length - 1] as { endMs: number } | undefined;
      t.ok(last && last.endMs >= lead * 1000 + speechMs - 500 && last.endMs <= lead * 1000 + speechMs + 300, `end near the speech's end (${last?.endMs} ms, speech ends at ${(lead * 1000 + speechMs).toFixed(0)} ms)`);
      t.ok(evs.some((e) => e.kind === 'barge-in'), 'long enough to barge in');
    });
  }
  t.test(`${name} VAD hears nothing in silence or line noise`, async (t) => {
    t.same(await endpoints(make(), silenceSamples(4)), [], 'digital silence');
    t.same(await endpoints(make(), lineNoise(6, -40)), [], 'line noise at -40 dBFS (white + 50 Hz hum)');
    t.same(await endpoints(make(), lineNoise(6, -30, 11)), [], 'line noise at -30 dBFS');
  });
  t.test(`${name} VAD: speech below -50 dBFS (a cancelled line echo's residue) is not a caller talking; at -20 dBFS it is`, async (t) => {
    const peak = speech.en.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
    const at = (dbfsPeak: number): Int16Array => {
      const g = (32768 * 10 ** (dbfsPeak / 20)) / peak;
      return concat(silenceSamples(1), speech.en.map((x) => Math.round(x * g)), silenceSamples(1));
    };
    t.same(await endpoints(make(), at(-44)), [], 'peaks at -44 dBFS (no 32 ms window above -53 dBFS): nothing');
    t.ok((await endpoints(make(), at(-20))).some((e) => e.kind === 'barge-in'), 'peaks at -20 dBFS: speech that barges in');
  });
  t.test(`${name} VAD finds speech over line noise`, async (t) => {
    const noise = lineNoise(1.5 + speech.en.length / 8000 + 1.5, -45);
    const audio = concat(silenceSamples(1.5), speech.en, silenceSamples(1.5));
    for (let i = 0; i < audio.length; i++) audio[i] = Math.max(-32768, Math.min(32767, audio[i]! + noise[i]!));
    const evs = await endpoints(make(), audio);
    t.ok(evs.some((e) => e.kind === 'start'), 'speech found');
  });
}

t.test('endpointer: start, barge-in and end timing from config', async (t) => {
  const ep = new Endpointer({ windowMs: 20, threshold: 0.5, startMs: 200, endSilenceMs: 600, bargeInMs: 400 });
  const run = (n: number, v: number): number[] => new Array<number>(n).fill(v);
  const seq = [...run(5, 0), ...run(5, 1), ...run(3, 0), ...run(30, 1), ...run(40, 0)];
  const out: { kind: string; t: number }[] = [];
  for (const p of seq) for (const e of ep.push(p)) out.push({ kind: e.kind, t: ep.nowMs });
  t.same(
    out.map((e) => e.kind),
    ['start', 'barge-in', 'end'],
    'a 100 ms blip is ignored; one utterance',
  );
  t.equal(out[0]!.t, (5 + 5 + 3 + 10) * 20, 'starts after 200 ms of speech');
  t.equal(out[1]!.t, (5 + 5 + 3 + 20) * 20, 'barge-in 400 ms after the onset');
  t.equal(out[2]!.t, (5 + 5 + 3 + 30 + 30) * 20, 'ends after 600 ms of silence');
});
