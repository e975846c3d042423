import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions } from 'mqtt';

/**
 * `frontdesk monitor --url mqtt://broker:1883`: central IT's live view of every box reporting to a
 * broker: status, lines, agents, today's KPIs and the latest events and alarms. `--once` prints a
 * snapshot of the retained state and exits; `--json` prints it as JSON.
 */

export const summary = 'monitor --url URL [--site S] [--ca F] [--username U] [--once] [--json]';

interface Box {
  status?: Record<string, unknown>;
  lines: Record<string, Record<string, unknown>>;
  agents: Record<string, Record<string, unknown>>;
  metrics?: Record<string, unknown>;
}

interface Snapshot {
  boxes: Record<string, Box>;
  events: Record<string, unknown>[];
}

const USAGE = `usage: frontdesk monitor --url mqtt://host:1883 [--site SITE] [--ca FILE] [--cert FILE] [--key FILE]
                         [--username USER] [--password PASS (or FRONTDESK_MQTT_PASSWORD)] [--once [--wait MS]] [--json]
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        site: { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`frontdesk monitor: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.url || !/^mqtts?:\/\//.test(values.url)) {
    process.stderr.write(`frontdesk monitor: --url mqtt://... or mqtts://... is required\n${USAGE}`);
    return 2;
  }
  const password = values.password ?? process.env.FRONTDESK_MQTT_PASSWORD;
  const opts: IClientOptions = {
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: values.once ? 0 : 2000,
    connectTimeout: 10_000,
    ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
    ...(values.cert ? { cert: readFileSync(values.cert) } : {}),
    ...(values.key ? { key: readFileSync(values.key) } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(password ? { password } : {}),
  };
  const snap: Snapshot = { boxes: {}, events: [] };
  const client = mqtt.connect(values.url, opts);
  const site = values.site ?? '+';
  let lastError = '';
  client.on('error', (err) => {
    lastError = err.message;
    if (values.once) process.stderr.write(`frontdesk monitor: ${err.message}\n`);
  });
  client.on('message', (topic, payload) => apply(snap, topic, payload.toString()));

  const connected = await new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true));
    client.once('close', () => resolve(false));
  });
  if (!connected && values.once) {
    client.end(true);
    process.stderr.write(`frontdesk monitor: cannot connect to ${values.url}${lastError ? `: ${lastError}` : ''}\n`);
    return 1;
  }
  const topics = ['status', 'lines/+', 'agents/+', 'metrics', 'events', 'alarms'].map((t) => `frontdesk/${site}/+/${t}`);
  client.subscribe(topics, { qos: 1 });

  if (values.once) {
    // Retained state arrives right after subscribing; give it a moment.
    await new Promise((r) => setTimeout(r, Number(values.wait ?? 1500)));
    await client.endAsync();
    process.stdout.write(values.json ? JSON.stringify(snap, null, 2) + '\n' : render(snap, values.url, false));
    return 0;
  }
  const draw = (): void => void process.stdout.write(`\x1b[2J\x1b[H${render(snap, values.url!, true)}${client.connected ? '' : `\n(disconnected${lastError ? `: ${lastError}` : ''}; retrying)\n`}`);
  const timer = setInterval(draw, 1000);
  draw();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await client.endAsync(true);
  return 0;
}

function apply(snap: Snapshot, topic: string, text: string): void {
  const parts = topic.split('/');
  if (parts[0] !== 'frontdesk' || parts.length < 4) return;
  const key = `${parts[1]}/${parts[2]}`;
  const box = (snap.boxes[key] ??= { lines: {}, agents: {} });
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    return;
  }
  const kind = parts[3];
  if (kind === 'status' && json) box.status = json;
  else if (kind === 'lines' && parts[4]) {
    if (json) box.lines[parts[4]] = json;
    else delete box.lines[parts[4]];
  } else if (kind === 'agents' && parts[4]) {
    if (json) box.agents[parts[4]] = json;
    else delete box.agents[parts[4]];
  } else if (kind === 'metrics' && json) box.metrics = json;
  else if ((kind === 'events' || kind === 'alarms') && json) {
    // Reports may arrive twice (at-least-once); keep one per id.
    if (snap.events.some((e) => e.id === json.id)) return;
    snap.events.push({ box: key, ...json });
    if (snap.events.length > 200) snap.events.splice(0, snap.events.length - 200);
  }
}

const pct = (x: unknown): string => (typeof x === 'number' ? `${Math.round(x * 100)}%` : '-');
const secs = (x: unknown): string => (typeof x === 'number' ? `${x}s` : '-');
const dur = (s: unknown): string => {
  if (typeof s !== 'number') return '-';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
};
/** A reported value as text (JSON for anything but a string or number). */
const str = (x: unknown, dflt = '-'): string => (x === undefined || x === null ? dflt : typeof x === 'string' ? x : typeof x === 'number' ? String(x) : JSON.stringify(x));
const time = (iso: unknown): string => (typeof iso === 'string' ? new Date(iso).toLocaleTimeString('en-GB') : '-');

function table(rows: string[][], indent = ''): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => indent + r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function render(snap: Snapshot, url: string, live: boolean): string {
  let out = `frontdesk monitor  ${url}${live ? `  ${new Date().toLocaleTimeString('en-GB')}` : ''}\n\n`;
  const keys = Object.keys(snap.boxes).sort();
  if (keys.length === 0) out += '(no boxes reporting yet)\n';
  for (const k of keys) {
    const b = snap.boxes[k]!;
    const s = b.status ?? {};
    const alarms = Array.isArray(s.alarms) ? (s.alarms as { code: string; source: string }[]).map((a) => (a.source ? `${a.code}:${a.source}` : a.code)).join(' ') : '';
    out += table([
      ['BOX', 'STATE', 'UP', 'VERSION', 'CALLS', 'OUTBOX', 'ALARMS'],
      [k, str(s.state, '?'), s.state === 'online' ? dur(s.uptimeS) : '-', str(s.version, '-'), str(s.activeCalls, '-'), String((s.outbox as { pending?: number } | undefined)?.pending ?? '-'), alarms || '-'],
    ]);
    const lines = Object.values(b.lines);
    if (lines.length) out += table([['LINE', 'KIND', 'STATE', 'SIGNAL', 'SIM', 'IN-CALL'], ...lines.map((l) => [str(l.lineId), str(l.kind), str(l.state), l.signalDbm !== undefined ? `${str(l.signalDbm)} dBm` : '-', str(l.sim, '-'), l.inCall ? 'yes' : 'no'])], '  ');
    const agents = Object.values(b.agents);
    if (agents.length) out += table([['AGENT', 'NAME', 'STATE', 'SINCE'], ...agents.map((a) => [str(a.extension), str(a.name, '-'), str(a.state), time(a.since)])], '  ');
    const today = (b.metrics?.windows as Record<string, Record<string, unknown>> | undefined)?.today;
    if (today) out += `  today: offered ${String(today.offered)}  contained ${pct(today.containmentRate)}  transferred ${pct(today.transferRate)}  SL ${pct(today.serviceLevel)}  ASA ${secs(today.asa)}  AHT ${secs(today.aht)}  abandoned ${pct(today.abandonRate)}  CSAT ${pct(today.csat)}  FCR ${pct(today.fcr)}  occupancy ${pct(today.occupancy)}\n`;
    out += '\n';
  }
  if (snap.events.length) {
    out += 'RECENT EVENTS\n';
    out += table(snap.events.slice(-12).map((e) => [time(e.at), String(e.box), String(e.type), summarize(e.data)]));
  }
  return out;
}

function summarize(d: unknown): string {
  if (!d || typeof d !== 'object') return '';
  const o = d as Record<string, unknown>;
  const pick = ['callId', 'lineId', 'extension', 'state', 'phase', 'outcome', 'code', 'active', 'caller', 'message'].filter((k) => o[k] !== undefined);
  return pick.map((k) => `${k}=${String(o[k])}`).join(' ').slice(0, 100);
}
