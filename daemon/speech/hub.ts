import type { SpeechService, SpeechStream, SpeechSupervisor } from './supervisor.js';

/**
 * Speech for calls, as a service of the app: the call core opens a stream per call here; the speech
 * extension puts the supervised worker in (or takes it out when speech is off or stopping).
 */
export class SpeechHub implements SpeechService {
  private sup: SpeechSupervisor | undefined;

  use(sup: SpeechSupervisor | undefined): void {
    this.sup = sup;
  }

  get supervisor(): SpeechSupervisor | undefined {
    return this.sup;
  }

  open(callId: string, lang: string, grammar?: string[]): SpeechStream | undefined {
    return this.sup?.open(callId, lang, grammar);
  }
}
