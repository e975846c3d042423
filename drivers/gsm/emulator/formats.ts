import type { DialectName } from '../dialects/types.js';

/**
 * What each emulated modem says, in the exact formats the real firmware uses (from chan_dongle,
 * chan_quectel and the vendors' AT manuals). Only the parts that differ between vendors live here.
 */
export interface EmulatedDialect {
  /** Commands only this vendor knows, answered with these info lines (then OK). */
  extraCommands: Record<string, (m: { iccid: string }) => string[]>;
  /** The command that switches the voice tty on, and the one that switches it off. */
  voiceOn: string;
  voiceOff?: string;
  clip(number: string): string;
  /** URCs when an incoming call starts ringing (before the first RING). */
  incoming(number: string): string[];
  /** URCs after ATA succeeded. */
  answered(): string[];
  /** URCs when the far end hangs up (after `secs` of talk). */
  remoteHangup(secs: number): string[];
  /** URCs after our AT+CHUP. */
  localHangup(secs: number): string[];
  /** Outbound call progress. */
  dialing(number: string): string[];
  alerting(number: string): string[];
  connected(number: string): string[];
  busy(): string[];
  /** URC for a DTMF digit the modem detected, if the vendor reports them. */
  dtmf?(digit: string): string;
  dtmfCommand: RegExp;
  /** What the module says once it has booted (after AT+CFUN=1,1 or power-up). */
  boot: string[];
}

const pad = (n: number) => String(n).padStart(6, '0');

export const EMULATED: Record<DialectName, EmulatedDialect> = {
  huawei: {
    extraCommands: {
      'AT^CURC=0': () => [],
      'AT^CVOICE?': () => ['^CVOICE:0,8000,16,20'],
      'AT^ICCID?': (m) => [`^ICCID: ${m.iccid}`],
    },
    voiceOn: 'AT^DDSETEX=2',
    clip: (n) => `+CLIP: "${n}",${n.startsWith('+') ? 145 : 129},,,,0`,
    incoming: () => [],
    answered: () => ['^CONN:1,0'],
    remoteHangup: (s) => [`^CEND:1,${s},104,16`],
    localHangup: (s) => [`^CEND:1,${s},104,16`],
    dialing: () => ['^ORIG:1,0'],
    alerting: () => ['^CONF:1'],
    connected: () => ['^CONN:1,0'],
    busy: () => ['^CEND:1,0,104,17'],
    dtmfCommand: /^AT\^DTMF=\d+,([0-9*#A-D])$/,
    boot: ['^SYSSTART'],
  },
  quectel: {
    extraCommands: {
      'AT+QINDCFG="ccinfo",1,0': () => [],
      'AT+QTONEDET=1': () => [],
      'AT+QCCID': (m) => [`+QCCID: ${m.iccid}`],
    },
    voiceOn: 'AT+QPCMV=1,0',
    voiceOff: 'AT+QPCMV=0',
    clip: (n) => `+CLIP: "${n}",${n.startsWith('+') ? 145 : 129},"",0,"",0`,
    incoming: (n) => [`+QIND: "ccinfo",1,1,4,0,0,"${n}",${n.startsWith('+') ? 145 : 129}`],
    answered: () => ['+QIND: "ccinfo",1,1,0,0,0,"",129'],
    remoteHangup: () => ['+QIND: "ccinfo",1,1,6,0,0,"",129', 'NO CARRIER'],
    localHangup: () => ['+QIND: "ccinfo",1,1,6,0,0,"",129'],
    dialing: (n) => [`+QIND: "ccinfo",1,0,2,0,0,"${n}",129`],
    alerting: (n) => [`+QIND: "ccinfo",1,0,3,0,0,"${n}",129`],
    connected: (n) => [`+QIND: "ccinfo",1,0,0,0,0,"${n}",129`],
    busy: () => ['BUSY'],
    dtmf: (d) => `+QTONEDET: ${d.charCodeAt(0)}`,
    dtmfCommand: /^AT\+VTS="?([0-9*#A-D])"?$/,
    boot: ['RDY', '+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', 'SMS DONE'],
  },
  simcom: {
    extraCommands: {
      'AT+CLCC=0': () => [],
      'AT+CICCID': (m) => [`+ICCID: ${m.iccid}`],
    },
    voiceOn: 'AT+CPCMREG=1',
    voiceOff: 'AT+CPCMREG=0',
    clip: (n) => `+CLIP: "${n}",${n.startsWith('+') ? 145 : 129},"",0,"",0`,
    incoming: () => [],
    answered: () => ['VOICE CALL: BEGIN'],
    remoteHangup: (s) => [`VOICE CALL: END: ${pad(s)}`, 'NO CARRIER'],
    localHangup: (s) => [`VOICE CALL: END: ${pad(s)}`],
    dialing: () => [],
    alerting: () => [],
    connected: () => ['VOICE CALL: BEGIN'],
    busy: () => ['BUSY'],
    dtmf: (d) => `+RXDTMF: ${d}`,
    dtmfCommand: /^AT\+VTS="?([0-9*#A-D])"?$/,
    boot: ['RDY', '+CPIN: READY', 'SMS DONE', 'PB DONE'],
  },
};
