import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBroker } from '../../helpers/mosquitto.js';
import { startRig } from '../../helpers/telemetry-rig.js';
import { cliPath } from '../../helpers/paths.js';
import { sleep } from '../../helpers/net.js';

const run = promisify(execFile);

t.test('frontdesk monitor --once shows boxes, lines, agents and events', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const rig = await startRig({ url: broker.url, mqtt: { metrics_every: '500ms' } });
  t.teardown(() => rig.close());
  await sleep(800);
  rig.bus.emit('agent.state', { extension: '801', state: 'busy' });
  rig.bus.emit('line.health', { lineId: 'gsm1', kind: 'gsm', state: 'ready', inCall: true, signalDbm: -71, sim: 'ready' });
  await sleep(1200);
  const json = await run(process.execPath, [cliPath, 'monitor', '--url', broker.url, '--once', '--json', '--wait', '1000']);
  const snap = JSON.parse(json.stdout) as { boxes: Record<string, { status: { state: string }; lines: Record<string, { state: string; signalDbm: number }>; agents: Record<string, { state: string }>; metrics: { windows: { today: { offered: number } } } }> };
  const box = snap.boxes['hq/box1']!;
  t.equal(box.status.state, 'online');
  t.equal(box.lines.gsm1!.signalDbm, -71);
  t.equal(box.agents['801']!.state, 'busy');
  t.equal(box.agents['802']!.state, 'unknown');
  t.equal(box.metrics.windows.today.offered, 0, 'metrics retained');
  const text = await run(process.execPath, [cliPath, 'monitor', '--url', broker.url, '--once', '--wait', '800']);
  t.match(text.stdout, /hq\/box1\s+online/);
  t.match(text.stdout, /gsm1\s+gsm\s+ready\s+-71 dBm/);
  t.match(text.stdout, /801\s+Alice\s+busy/);
  const bad = await run(process.execPath, [cliPath, 'monitor', '--once', '--url', 'mqtt://127.0.0.1:1']).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 1, 'unreachable broker: exit 1');
});
