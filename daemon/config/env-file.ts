/**
 * A systemd EnvironmentFile (what the unit's EnvironmentFile=/etc/frontdesk/secrets.env gives the
 * service): KEY=VALUE lines, '#' and ';' comments, values optionally in single or double quotes.
 * Read by check-config so it expands ${VAR}s exactly as the service will.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\$`])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}
