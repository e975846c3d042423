import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess } from '../../helpers/daemon-process.js';
import { startBroker } from '../../helpers/mosquitto.js';
import { connectCentral, type Central } from '../../helpers/central.js';
import { freePort } from '../../helpers/net.js';

/** The real daemon on a real broker: retained status, Last Will on SIGKILL, commands. */

interface Reply {
  ok: boolean;
  command: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; details?: string[] };
}

async function command(central: Central, name: string, payload: string): Promise<{ reply: Reply; correlation: string | undefined }> {
  const corr = randomUUID();
  const responseTopic = `central/replies/${corr}`;
  await central.client.subscribeAsync(responseTopic, { qos: 1 });
  await central.client.publishAsync(`frontdesk/hq/box1/cmd/${name}`, payload, { qos: 1, properties: { responseTopic, correlationData: Buffer.from(corr) } });
  const m = await central.waitFor((x) => x.topic === responseTopic, 10_000, `reply to ${name}`);
  return { reply: m.json as Reply, correlation: m.packet.properties?.correlationData?.toString() };
}

t.test('daemon: status retained, commands, Last Will offline on SIGKILL', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const dir = await mkdtemp(join(tmpdir(), 'fd-daemon-mqtt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sipPort = await freePort(2);
  const file = join(dir, 'frontdesk.yaml');
  const yaml = `site: hq
node: box1
lines:
  - id: a1
    kind: analog
    port: /dev/null
sip:
  listen: 127.0.0.1:${sipPort}
agents:
  - extension: "801"
    name: Alice
bot:
  greeting: Hello
mqtt:
  url: ${broker.url}
  commands: [status, reload, agent-state]
storage:
  dir: ${dir}/data
service:
  drain_grace: 1s
`;
  await writeFile(file, yaml);
  const central = await connectCentral(broker.url, ['frontdesk/#']);
  t.teardown(() => central.close());

  const d = new DaemonProcess(['run', '-c', file], { NOTIFY_SOCKET: '' });
  t.teardown(() => d.kill('SIGKILL'));
  const status = await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/status' && (m.json as { state: string }).state === 'online', 20_000, 'status online');
  const s = status.json as Record<string, unknown>;
  t.equal(s.schema, 1);
  t.equal(s.configHash, createHash('sha256').update(await readFile(file)).digest('hex'), 'config hash of the file in force');
  t.match(s.version, /^\d+\.\d+\.\d+/);
  t.type(s.uptimeS, 'number');

  // A dashboard that connects later gets the retained state at once.
  const late = await connectCentral(broker.url, ['frontdesk/hq/box1/status', 'frontdesk/hq/box1/lines/+', 'frontdesk/hq/box1/agents/+']);
  t.teardown(() => late.close());
  const rs = await late.waitFor((m) => m.topic.endsWith('/status'), 5000, 'retained status');
  t.ok(rs.retain, 'status is retained');
  const line = await late.waitFor((m) => m.topic === 'frontdesk/hq/box1/lines/a1', 5000, 'retained line');
  t.equal((line.json as { kind: string }).kind, 'analog');
  await late.waitFor((m) => m.topic === 'frontdesk/hq/box1/agents/801', 5000, 'retained agent');

  // Commands: a round trip with correlation data, then malformed ones. agent-state is the call
  // core's (the owner of agent state registers it as it starts, after telemetry is up).
  await d.waitForLog((l) => l.msg === 'frontdesk running', 20_000);
  const st = await command(central, 'status', '');
  t.ok(st.reply.ok, 'status command ok');
  t.equal(st.correlation !== undefined, true, 'correlation data echoed');
  t.equal((st.reply.result!.status as { state: string }).state, 'online');
  const bad = await command(central, 'agent-state', '{not json');
  t.equal(bad.reply.ok, false);
  t.equal(bad.reply.error!.code, 'invalid-json');
  const invalid = await command(central, 'agent-state', JSON.stringify({ extension: '801', action: 'dance' }));
  t.equal(invalid.reply.error!.code, 'invalid-payload');
  t.ok(invalid.reply.error!.details!.length > 0, 'says what is wrong');
  const unknown = await command(central, 'self-destruct', '{}');
  t.equal(unknown.reply.error!.code, 'unknown-command');
  const pause = await command(central, 'agent-state', JSON.stringify({ extension: '801', action: 'pause', reason: 'lunch' }));
  t.ok(pause.reply.ok, JSON.stringify(pause.reply));
  await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/agents/801' && (m.json as { state: string }).state === 'paused', 5000, 'agent paused');
  await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/events' && (m.json as { type: string }).type === 'agent.state', 5000, 'agent.state event');

  await writeFile(file, yaml + '# changed\n');
  const reload = await command(central, 'reload', '{}');
  t.ok(reload.reply.ok, JSON.stringify(reload.reply));
  t.equal(reload.reply.result!.configHash, createHash('sha256').update(await readFile(file)).digest('hex'));
  t.ok(d.alive, 'still running after all that');

  d.kill('SIGKILL');
  await d.exited;
  const will = await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/status' && (m.json as { state: string }).state === 'offline', 10_000, 'Last Will');
  t.equal((will.json as { reason: string }).reason, 'connection-lost');
  const after = await connectCentral(broker.url, ['frontdesk/hq/box1/status']);
  t.teardown(() => after.close());
  const retained = await after.waitFor(() => true, 5000, 'retained offline');
  t.equal((retained.json as { state: string }).state, 'offline', 'offline stays retained');
});
