import type { Party } from '../line.js';

/**
 * Caller ID as V.253 modems report it after AT+VCID=1 (formatted mode), between the first two rings:
 *   DATE = 0321 / TIME = 1405 / NMBR = 5551234 / NAME = JOHN DOE
 * "P" means withheld (private) and "O" unavailable (out of area); both leave the field unknown.
 */
const CID_LINE = /^(DATE|TIME|NMBR|NAME|DDN_NMBR|MESG)\s*=\s*(.*)$/;

export function isCallerIdLine(line: string): boolean {
  return CID_LINE.test(line);
}

export class CallerIdBlock {
  private readonly fields = new Map<string, string>();

  /** Take one line; true when it was a caller ID line. */
  add(line: string): boolean {
    const m = CID_LINE.exec(line);
    if (!m) return false;
    this.fields.set(m[1]!, m[2]!.trim());
    return true;
  }

  get hasNumber(): boolean {
    return this.fields.has('NMBR') || this.fields.has('DDN_NMBR');
  }

  get hasName(): boolean {
    return this.fields.has('NAME');
  }

  party(): Party {
    const p: Party = {};
    const n = this.fields.get('NMBR') ?? this.fields.get('DDN_NMBR');
    if (n && /^\+?[0-9*#]+$/.test(n)) p.number = n;
    const name = this.fields.get('NAME');
    if (name && name !== 'P' && name !== 'O') p.name = name;
    return p;
  }
}
