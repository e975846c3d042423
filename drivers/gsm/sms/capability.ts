import type { DialectName } from '../dialects/types.js';

/**
 * Whether a modem family sends SMS while a voice call is up on it. Huawei E1550/E173-class
 * firmware answers AT+CMGS during a call with +CMS ERROR (chan_dongle queues SMS until the call
 * ends for that reason); Quectel EC2x and SIMCom SIM7600 carry both.
 */
/** The line refused before anything reached the modem: certainly not sent. */
export class SmsNotSent extends Error {}

export const SMS_DURING_CALL: Readonly<Record<DialectName, boolean>> = { huawei: false, quectel: true, simcom: true };
