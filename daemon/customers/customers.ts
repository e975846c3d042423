import type { Db } from '../store/db.js';
import { parseCsv, toCsv } from './csv.js';

/** The CSV columns, in export order. number is the key; last_agent is exported, never imported. */
export const COLUMNS = ['number', 'name', 'vip', 'tags', 'notes', 'language', 'last_agent', 'last_call_at'] as const;
const IMPORTED = new Set(['number', 'name', 'vip', 'tags', 'notes', 'language']);

export interface ImportResult {
  inserted: number;
  updated: number;
}

export class CsvImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem(s) in the CSV; nothing imported:\n${problems.join('\n')}`);
  }
}

function vipOf(v: string): number | undefined {
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'y', 'vip', '是'].includes(s)) return 1;
  if (['0', 'false', 'no', 'n', '', '否'].includes(s)) return 0;
  return undefined;
}

/**
 * Import customers from CSV with a header row. All or nothing: every row is checked first and any
 * problem (with its line number) rejects the whole file, so a half-imported list never happens.
 * Columns not in the file keep their stored values.
 */
export async function importCustomers(db: Db, csv: string, now = new Date()): Promise<ImportResult> {
  let parsed: ReturnType<typeof parseCsv>;
  try {
    parsed = parseCsv(csv);
  } catch (err) {
    throw new CsvImportError([(err as Error).message]);
  }
  const { rows, lines } = parsed;
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  lines.shift();
  const problems: string[] = [];
  if (!header.includes('number')) throw new CsvImportError(['line 1: the header needs a "number" column']);
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  if (unknown.length) problems.push(`line 1: unknown column(s) ${unknown.join(', ')}; known: ${COLUMNS.join(', ')}`);
  const records: Record<string, string | number>[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const at = `line ${lines[i]}`;
    if (r.length !== header.length) problems.push(`${at}: ${r.length} field(s), the header has ${header.length}`);
    const rec: Record<string, string | number> = {};
    header.forEach((h, k) => {
      if (IMPORTED.has(h)) rec[h] = (r[k] ?? '').trim();
    });
    const number = String(rec.number ?? '').replace(/[\s-]/g, '');
    if (!/^\+?[0-9]{3,20}$/.test(number)) problems.push(`${at}: "${String(rec.number ?? '')}" is not a phone number`);
    else if (seen.has(number)) problems.push(`${at}: ${number} appears twice`);
    seen.add(number);
    rec.number = number;
    if ('vip' in rec) {
      const v = vipOf(String(rec.vip));
      if (v === undefined) problems.push(`${at}: vip "${String(rec.vip)}" is not yes/no/1/0`);
      else rec.vip = v;
    }
    if (rec.language && !/^[a-z]{2,3}(-[A-Z]{2})?$/.test(String(rec.language))) problems.push(`${at}: language "${String(rec.language)}" is not like zh-CN`);
    records.push(rec);
  });
  if (problems.length) throw new CsvImportError(problems);
  const at = now.toISOString();
  return db.transaction(async (tx) => {
    let inserted = 0;
    let updated = 0;
    for (const rec of records) {
      const exists = await tx.get('SELECT 1 AS x FROM customers WHERE number = ?', [rec.number!]);
      const cols = Object.keys(rec).filter((k) => k !== 'number');
      if (exists) {
        if (cols.length) await tx.run(`UPDATE customers SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE number = ?`, [...cols.map((c) => (rec[c] === '' && c !== 'vip' ? null : rec[c]!)), at, rec.number!]);
        updated++;
      } else {
        await tx.run(`INSERT INTO customers (number, ${cols.map((c) => `${c}, `).join('')}created_at, updated_at) VALUES (?, ${cols.map(() => '?, ').join('')}?, ?)`, [rec.number!, ...cols.map((c) => (rec[c] === '' && c !== 'vip' ? null : rec[c]!)), at, at]);
        inserted++;
      }
    }
    return { inserted, updated };
  });
}

export async function exportCustomers(db: Db): Promise<string> {
  const rows = await db.all<Record<string, string | number | null>>(`SELECT ${COLUMNS.join(', ')} FROM customers ORDER BY number`);
  return toCsv([COLUMNS, ...rows.map((r) => COLUMNS.map((c) => r[c]))]);
}

/** A customer's profile and history: calls, tickets, surveys, SMS. */
export async function customerProfile(db: Db, number: string): Promise<Record<string, unknown> | undefined> {
  const c = await db.get<Record<string, unknown>>('SELECT * FROM customers WHERE number = ?', [number]);
  if (!c) return undefined;
  const [calls, tickets, surveys, sms] = await Promise.all([
    db.all('SELECT id, offered_at AS at, outcome, agent_ext AS agent, intent FROM calls WHERE caller = ? ORDER BY offered_at DESC LIMIT 50', [number]),
    db.all('SELECT number, status, owner, subject, created_at AS at FROM tickets WHERE customer = ? ORDER BY created_at DESC LIMIT 50', [number]),
    db.all("SELECT s.call_id AS callId, s.score, s.scale, s.at FROM surveys s JOIN calls c ON c.id = s.call_id WHERE c.caller = ? ORDER BY s.at DESC LIMIT 50", [number]),
    db.all('SELECT id, kind, state, created_at AS at FROM sms_out WHERE to_number = ? ORDER BY created_at DESC LIMIT 50', [number]),
  ]);
  const optout = await db.get('SELECT word, at FROM sms_optout WHERE number = ?', [number]);
  return { ...c, vip: Boolean(c.vip), smsOptOut: optout ?? null, calls, tickets, surveys, sms };
}
