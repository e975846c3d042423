/** A CSV cell with where it starts (1-based), for error messages. */
export interface CsvCell {
  value: string;
  line: number;
  col: number;
}

/**
 * RFC 4180 CSV as spreadsheets write it: commas, double-quoted cells (with "" for a quote and line
 * breaks inside), CRLF or LF, an optional UTF-8 byte-order mark.
 */
export function parseCsv(text: string): CsvCell[][] {
  const s = text.replace(/^\uFEFF/, '');
  const rows: CsvCell[][] = [];
  let row: CsvCell[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  let cell: CsvCell = { value: '', line, col };
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
  };
  while (i < s.length) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        cell.value += '"';
        i += 2;
        col += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else cell.value += ch;
      if (ch === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
      continue;
    }
    if (ch === '"' && cell.value === '') {
      quoted = true;
    } else if (ch === ',') {
      endCell();
      cell = { value: '', line, col: col + 1 };
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      endCell();
      rows.push(row);
      row = [];
      line++;
      col = 0;
      cell = { value: '', line, col: 1 };
    } else cell.value += ch;
    i++;
    col++;
  }
  if (cell.value !== '' || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}
