import type { CallUrc, DialectProfile } from './types.js';

/** SIMCom SIM7600: PCM on the audio tty after AT+CPCMREG=1; "VOICE CALL: BEGIN/END"; +RXDTMF. */
export const simcom: DialectProfile = {
  name: 'simcom',
  init: ['AT+CLCC=0'],
  urcPrefixes: ['VOICE CALL:', '+RXDTMF:', 'MISSED_CALL:', 'RDY', '+CPIN:', 'SMS DONE', 'PB DONE', '+CLCC:'],
  iccid: { command: 'AT+CICCID', prefix: '+ICCID:' },
  voiceOn: ['AT+CPCMREG=1'],
  voiceOff: ['AT+CPCMREG=0'],
  hangup: 'AT+CHUP',
  dtmfSource: 'modem',
  dtmf: (_idx, digit) => `AT+VTS=${digit}`,
  reset: 'AT+CFUN=1,1',
  parseCallUrc(line: string): CallUrc | null {
    if (line.startsWith('+RXDTMF:')) return { type: 'dtmf', digit: line.slice(8).trim() };
    if (line === 'VOICE CALL: BEGIN') return { type: 'connected' };
    if (line.startsWith('VOICE CALL: END')) return { type: 'ended', cause: 'normal', detail: line };
    return null;
  },
};
