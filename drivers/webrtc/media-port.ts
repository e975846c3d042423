import type wrtc from '@roamhq/wrtc';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../media/format.js';
import { PacedMediaPort } from '../media/port.js';
import { StreamResampler } from './resample.js';

type AudioSource = InstanceType<typeof wrtc.nonstandard.RTCAudioSource>;
type AudioSink = InstanceType<typeof wrtc.nonstandard.RTCAudioSink>;
interface SinkData {
  samples: Int16Array;
  sampleRate: number;
  channelCount?: number;
  numberOfFrames?: number;
}

const TEN_MS = SAMPLE_RATE / 100;

/**
 * A browser phone's audio as a MediaPort: outbound 20 ms frames go to the RTCAudioSource as two
 * 10 ms chunks at 8 kHz (libwebrtc resamples for Opus); inbound 10 ms chunks from the RTCAudioSink
 * (48 kHz from Opus, mono or stereo) are mixed to mono, resampled to 8 kHz and cut into 20 ms frames.
 */
export class WebRtcMediaPort extends PacedMediaPort {
  private resampler: StreamResampler | undefined;
  private pending: number[] = [];
  private keys: Buffer[] = [];

  constructor(private readonly source: AudioSource, private readonly sink: AudioSink) {
    super();
    (sink as unknown as { ondata: (d: SinkData) => void }).ondata = (d) => this.onSinkData(d);
  }

  start(): void {
    this.startPacing();
  }

  protected sendFrame(frame: Buffer): void {
    for (let half = 0; half < 2; half++) {
      const samples = new Int16Array(TEN_MS);
      for (let i = 0; i < TEN_MS; i++) samples[i] = frame.readInt16LE((half * TEN_MS + i) * 2);
      this.source.onData({ samples, sampleRate: SAMPLE_RATE, bitsPerSample: 16, channelCount: 1, numberOfFrames: TEN_MS });
    }
  }

  private onSinkData(d: SinkData): void {
    if (this.closed) return;
    const ch = d.channelCount ?? 1;
    const n = d.numberOfFrames ?? d.samples.length / ch;
    let mono = d.samples;
    if (ch > 1) {
      mono = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let c = 0; c < ch; c++) acc += d.samples[i * ch + c]!;
        mono[i] = Math.round(acc / ch);
      }
    }
    if (!this.resampler || this.resampler.fromRate !== d.sampleRate) this.resampler = new StreamResampler(d.sampleRate, SAMPLE_RATE);
    const out = d.sampleRate === SAMPLE_RATE ? mono : this.resampler.push(mono);
    for (const s of out) this.pending.push(s);
    while (this.pending.length >= FRAME_SAMPLES) {
      const frame = Buffer.alloc(FRAME_SAMPLES * 2);
      for (let i = 0; i < FRAME_SAMPLES; i++) frame.writeInt16LE(this.pending[i]!, i * 2);
      this.pending = this.pending.slice(FRAME_SAMPLES);
      // Keypad tones replace the microphone while they play.
      this.receive(this.keys.shift() ?? frame);
    }
  }

  /** Tones from the page's keypad, heard by the far end in band (as a desk phone sends them). */
  injectInbound(frames: Buffer[]): void {
    this.keys.push(...frames);
  }

  protected override onClose(): void {
    this.sink.stop();
  }
}
