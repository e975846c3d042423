/**
 * CSV as spreadsheets write it (RFC 4180): comma separated, fields in double quotes when they hold
 * a comma, quote or line break, quotes doubled. A UTF-8 BOM (Excel) is skipped.
 */
export function parseCsv(text: string): { rows: string[][]; lines: number[] } {
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const s = text.startsWith('\ufeff') ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) {
        rows.push(row);
        lines.push(rowLine);
      }
      row = [];
      field = '';
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted field is never closed`);
  row.push(field);
  if (row.some((f) => f !== '')) {
    rows.push(row);
    lines.push(rowLine);
  }
  return { rows, lines };
}

export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const esc = (v: string | number | null | undefined): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => r.map(esc).join(',')).join('\r\n') + '\r\n';
}
