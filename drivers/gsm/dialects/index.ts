import { huawei } from './huawei.js';
import { quectel } from './quectel.js';
import { simcom } from './simcom.js';
import type { DialectName, DialectProfile } from './types.js';

export type { CallUrc, DialectName, DialectProfile } from './types.js';

export const DIALECTS: Readonly<Record<DialectName, DialectProfile>> = { huawei, quectel, simcom };
