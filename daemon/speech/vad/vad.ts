/**
 * A voice activity detector: fixed-size windows of 8 kHz samples in, a speech probability (0..1)
 * out. Each call has its own instance (Silero carries recurrent state between windows).
 */
export interface Vad {
  readonly name: 'silero' | 'energy';
  /** Samples per window at 8 kHz. */
  readonly windowSamples: number;
  /** Speech probability of one window of exactly windowSamples samples. */
  process(win: Int16Array): Promise<number> | number;
  reset(): void;
}
