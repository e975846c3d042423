/**
 * What the two channels of a call recording say about the conversation, without a language model:
 * per-leg speech by frame energy, then talk ratios, over-talk, dead air and the agent's first word.
 * Runs after the call on the stereo file (caller left, agent right), in chunks so a long call never
 * holds the event loop.
 */

const FRAME = 160; // 20 ms at 8 kHz
const FRAME_S = 0.02;

export interface Span {
  fromS: number;
  toS: number;
}

export interface AudioMeasures {
  durationS: number;
  callerTalkRatio: number;
  agentTalkRatio: number;
  silenceRatio: number;
  /** Seconds both spoke at once (overlaps of at least 0.5 s; a short "mm-hm" is not over-talk). */
  overTalkS: number;
  longestOverTalk?: Span;
  /** Longest stretch nobody spoke, from connect to the last word. */
  deadAir?: Span;
  /** Seconds from connect to the agent's first word; undefined if the agent never spoke. */
  agentFirstWordS?: number;
}

/** Frame levels, dBFS. */
async function levels(samples: Int16Array): Promise<Float64Array> {
  const n = Math.floor(samples.length / FRAME);
  const out = new Float64Array(n);
  for (let f = 0; f < n; f++) {
    let s = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) s += samples[i]! * samples[i]!;
    out[f] = 10 * Math.log10(s / FRAME / (32768 * 32768) + 1e-12);
    if (f % 20000 === 19999) await new Promise((r) => setImmediate(r)); // ~7 min of audio per slice
  }
  return out;
}

/**
 * Speech per frame: well above the channel's own floor (its 10th-percentile level) and above an
 * absolute gate; gaps under 200 ms inside speech are bridged and blips under 60 ms dropped.
 */
export function speechFrames(lv: Float64Array, opts: { gateDbfs?: number; marginDb?: number } = {}): Uint8Array {
  const sorted = Float64Array.from(lv).sort();
  const floor = sorted.length ? sorted[Math.floor(sorted.length * 0.1)]! : -120;
  const threshold = Math.max(opts.gateDbfs ?? -45, floor + (opts.marginDb ?? 12));
  const sp = new Uint8Array(lv.length);
  for (let i = 0; i < lv.length; i++) sp[i] = lv[i]! > threshold ? 1 : 0;
  fillRuns(sp, 0, 10); // bridge pauses < 200 ms
  fillRuns(sp, 1, 3); // drop blips < 60 ms
  return sp;
}

/** Set runs of `value` shorter than `min` frames (between runs of the other value) to the other value. */
function fillRuns(a: Uint8Array, value: 0 | 1, min: number): void {
  let i = 0;
  while (i < a.length) {
    if (a[i] !== value) {
      i++;
      continue;
    }
    let j = i;
    while (j < a.length && a[j] === value) j++;
    const inside = i > 0 && j < a.length;
    if (j - i < min && (inside || value === 1)) a.fill(value === 1 ? 0 : 1, i, j);
    i = j;
  }
}

/** Runs where pred holds, as frame index ranges [from, to). */
function runs(n: number, pred: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const on = i < n && pred(i);
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

const span = (r: [number, number]): Span => ({ fromS: Math.round(r[0] * FRAME_S * 10) / 10, toS: Math.round(r[1] * FRAME_S * 10) / 10 });
const round2 = (x: number): number => Math.round(x * 100) / 100;

export async function measureAudio(caller: Int16Array, agent: Int16Array): Promise<AudioMeasures> {
  const c = speechFrames(await levels(caller));
  const a = speechFrames(await levels(agent));
  const n = Math.min(c.length, a.length);
  let cTalk = 0, aTalk = 0, silent = 0, lastSpeech = -1;
  for (let i = 0; i < n; i++) {
    cTalk += c[i]!;
    aTalk += a[i]!;
    if (!c[i] && !a[i]) silent++;
    else lastSpeech = i;
  }
  const overlaps = runs(n, (i) => c[i] === 1 && a[i] === 1).filter(([f, t]) => t - f >= 25);
  const longestOver = overlaps.reduce<[number, number] | undefined>((b, r) => (!b || r[1] - r[0] > b[1] - b[0] ? r : b), undefined);
  const quiet = runs(lastSpeech + 1, (i) => c[i] === 0 && a[i] === 0);
  const longestQuiet = quiet.reduce<[number, number] | undefined>((b, r) => (!b || r[1] - r[0] > b[1] - b[0] ? r : b), undefined);
  const first = a.indexOf(1);
  return {
    durationS: round2(n * FRAME_S),
    callerTalkRatio: n ? round2(cTalk / n) : 0,
    agentTalkRatio: n ? round2(aTalk / n) : 0,
    silenceRatio: n ? round2(silent / n) : 0,
    overTalkS: round2(overlaps.reduce((s, [f, t]) => s + (t - f), 0) * FRAME_S),
    ...(longestOver ? { longestOverTalk: span(longestOver) } : {}),
    ...(longestQuiet ? { deadAir: span(longestQuiet) } : {}),
    ...(first >= 0 && first < n ? { agentFirstWordS: round2(first * FRAME_S) } : {}),
  };
}
