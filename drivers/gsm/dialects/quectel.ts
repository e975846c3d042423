import type { CallUrc, DialectProfile } from './types.js';

/**
 * Quectel EC2x: PCM over the USB tty with AT+QPCMV=1,0; call state in +QIND: "ccinfo" after
 * AT+QINDCFG="ccinfo",1,0; modem-side DTMF detection as +QTONEDET: <ascii code>.
 */
export const quectel: DialectProfile = {
  name: 'quectel',
  init: ['AT+QINDCFG="ccinfo",1,0', 'AT+QTONEDET=1'],
  urcPrefixes: ['+QIND:', '+QTONEDET:', 'RDY', '+CPIN:', '+QUSIM:', 'POWERED DOWN'],
  iccid: { command: 'AT+QCCID', prefix: '+QCCID:' },
  voiceOn: ['AT+QPCMV=1,0'],
  voiceOff: ['AT+QPCMV=0'],
  hangup: 'AT+CHUP',
  dtmfSource: 'modem',
  dtmf: (_idx, digit) => `AT+VTS=${digit}`,
  reset: 'AT+CFUN=1,1',
  parseCallUrc(line: string): CallUrc | null {
    if (line.startsWith('+QTONEDET:')) {
      const code = Number(line.slice(10).trim());
      return Number.isFinite(code) ? { type: 'dtmf', digit: String.fromCharCode(code) } : null;
    }
    if (!line.startsWith('+QIND:')) return null;
    // +QIND: "ccinfo",<idx>,<dir>,<stat>,<mode>,<mpty>,"<number>",<type>; stat as +CLCC, 6 = released.
    const m = /^\+QIND:\s*"ccinfo",(\d+),(\d),(\d+),(\d+),(\d+)(?:,"([^"]*)")?/.exec(line);
    if (!m || m[4] !== '0') return null; // voice calls only
    const stat = Number(m[3]);
    if (stat === 0) return { type: 'connected' };
    if (stat === 3) return { type: 'alerting' };
    if (stat === 4 || stat === 5) return m[6] ? { type: 'incoming', number: m[6] } : { type: 'incoming' };
    if (stat === 6 || stat === 7) return { type: 'ended', cause: 'normal', detail: `ccinfo stat ${stat}` };
    return null;
  },
};
