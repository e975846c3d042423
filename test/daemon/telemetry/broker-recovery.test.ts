import t from 'tap';
import { PassThrough } from 'node:stream';
import { startBroker } from '../../helpers/mosquitto.js';
import { connectCentral } from '../../helpers/central.js';
import { startRig } from '../../helpers/telemetry-rig.js';
import { sleep } from '../../helpers/net.js';

/**
 * Broker recovery (issue 12) with the production reconnect backoff: after a 12 s outage (long
 * enough for an uncapped exponential backoff to wait 8-16 s) the backlog starts flowing within
 * 5 s of the broker coming back, and while it is away the box says so locally: one warning in
 * the log, `broker-unreachable` in the status line and the connection state.
 */
t.test('the backlog flows within 5 s of the broker coming back; broker-unreachable is visible locally', async (t) => {
  const broker = await startBroker({ persistence: true });
  t.teardown(() => broker.close());
  const central = await connectCentral(broker.url, ['frontdesk/+/+/events']);
  t.teardown(() => central.close());
  const logs: Record<string, unknown>[] = [];
  const dest = new PassThrough();
  dest.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
  });
  const rig = await startRig({ url: broker.url, backoff: {}, logLevel: 'debug', logDest: dest });
  t.teardown(() => rig.close());
  for (let i = 0; i < 100 && !rig.telemetry.connection?.connected; i++) await sleep(100);
  t.ok(rig.telemetry.connection?.connected, 'connected');

  await broker.stop();
  const N = 50;
  for (let i = 0; i < N; i++) rig.bus.emit('call.offered', { callId: `outage-${i}`, lineId: 'gsm1' });
  await sleep(12_000);
  t.equal(rig.telemetry.connection?.state().state, 'broker-unreachable', 'the connection state says broker-unreachable');
  t.match(rig.telemetry.status?.(), /^mqtt broker-unreachable since /, `systemd status line: "${rig.telemetry.status?.()}"`);
  const warns = logs.filter((l) => l.level === 40 && /broker unreachable/.test(String(l.msg)));
  const retries = logs.filter((l) => /broker still unreachable/.test(String(l.msg)));
  t.equal(warns.length, 1, 'one warning per outage');
  t.ok(retries.length >= 4, `retried ${retries.length} times in 12 s (logged at debug)`);

  const back = Date.now();
  await broker.start();
  await central.waitFor((m) => (m.json as { data?: { callId?: string } }).data?.callId === 'outage-0', 15_000, 'the first backlog event');
  const flowMs = Date.now() - back;
  t.ok(flowMs < 5000, `the backlog started flowing ${flowMs} ms after the broker came back`);
  await central.waitUntil(() => new Set(central.messages.map((m) => (m.json as { id: string }).id)).size >= N, 15_000, `${N} events`);
  t.equal(rig.telemetry.connection?.state().state, 'connected');
});
