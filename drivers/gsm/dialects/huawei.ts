import type { EndCause } from '../../line.js';
import type { CallUrc, DialectProfile } from './types.js';

/** ^CEND end_status/cause → our cause words. cc_cause 17 is user busy, 19 no answer, 16 normal. */
function causeOf(cc: number): EndCause {
  if (cc === 17) return 'busy';
  if (cc === 18 || cc === 19) return 'no-answer';
  if (cc === 21) return 'rejected';
  return 'normal';
}

/** Huawei E1550/E173 class: serial voice on a second tty after AT^DDSETEX=2. */
export const huawei: DialectProfile = {
  name: 'huawei',
  // ^CURC=0 silences ^RSSI/^MODE/^BOOT chatter; ^CVOICE? confirms 8 kHz/16 bit/20 ms voice.
  init: ['AT^CURC=0', 'AT^CVOICE?'],
  urcPrefixes: ['^RSSI:', '^MODE:', '^BOOT:', '^ORIG:', '^CONF:', '^CONN:', '^CEND:', '^SRVST:', '^SIMST:', '^SMMEMFULL'],
  iccid: { command: 'AT^ICCID?', prefix: '^ICCID:' },
  voiceOn: ['AT^DDSETEX=2'],
  voiceOff: [],
  hangup: 'AT+CHUP',
  dtmfSource: 'in-band',
  dtmf: (idx, digit) => `AT^DTMF=${idx},${digit}`,
  reset: 'AT+CFUN=1,1',
  parseCallUrc(line: string): CallUrc | null {
    if (line.startsWith('^CONF:')) return { type: 'alerting' };
    if (line.startsWith('^CONN:')) return { type: 'connected' };
    if (line.startsWith('^CEND:')) {
      // ^CEND:<idx>,<duration>,<end_status>,<cc_cause>
      const f = line.slice(6).split(',').map((s) => s.trim());
      const cc = Number(f[3] ?? '16');
      return { type: 'ended', cause: causeOf(cc), detail: `^CEND cause ${f[3] ?? '?'}` };
    }
    return null;
  },
};
