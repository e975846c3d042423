import t from 'tap';
import { PassThrough } from 'node:stream';
import { startBroker } from '../../helpers/mosquitto.js';
import { connectCentral } from '../../helpers/central.js';
import { startRig } from '../../helpers/telemetry-rig.js';
import { sleep } from '../../helpers/net.js';

/** mqtts with a CA made here by openssl and a mosquitto password file. */

t.test('TLS + password: right credentials connect; wrong ones give a clear log, an alarm and a slow retry', async (t) => {
  const broker = await startBroker({ tls: true, users: { box: 's3cret', central: 'c3ntral' } });
  t.teardown(() => broker.close());
  t.match(broker.url, /^mqtts:\/\/127\.0\.0\.1:/);
  const central = await connectCentral(broker.url, ['frontdesk/#'], { ca: broker.caFile!, username: 'central', password: 'c3ntral' });
  t.teardown(() => central.close());

  const good = await startRig({ url: broker.url, mqtt: { ca: broker.caFile!, username: 'box', password: 's3cret' } });
  t.teardown(() => good.close());
  await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/status' && (m.json as { state: string }).state === 'online', 15_000, 'status over TLS');
  good.bus.emit('alarm', { code: 'test', active: true, message: 'over tls' });
  await central.waitFor((m) => m.topic === 'frontdesk/hq/box1/alarms', 10_000, 'an alarm over TLS');
  t.pass('connected over TLS with a password');

  const lines: Record<string, unknown>[] = [];
  const dest = new PassThrough();
  dest.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  const bad = await startRig({ url: broker.url, mqtt: { ca: broker.caFile!, username: 'box', password: 'wrong', client_id: 'frontdesk-bad' }, logLevel: 'info', logDest: dest, backoff: { minMs: 200, maxMs: 1000 } });
  t.teardown(() => bad.close());
  const refusedAt = Date.now();
  for (let i = 0; i < 100 && !lines.some((l) => /refused our credentials/.test(String(l.msg))); i++) await sleep(100);
  const log = lines.find((l) => /refused our credentials/.test(String(l.msg)));
  t.ok(log, 'a clear error in the log');
  t.equal(log?.level, 50, 'at error level');
  t.ok(Number(log?.retryInMs) >= 30_000, `retry much later (${Number(log?.retryInMs)} ms), not in a tight loop`);
  await bad.recorder.flushed();
  const alarm = await bad.db.get<{ active: number; severity: string; message: string }>("SELECT active, severity, message FROM alarms WHERE code = 'mqtt-auth'");
  t.equal(alarm?.active, 1, 'mqtt-auth alarm raised (recorded, and queued for when the box gets through)');
  t.equal(alarm?.severity, 'critical');
  await sleep(Math.max(0, 3000 - (Date.now() - refusedAt)));
  t.equal(bad.telemetry.connection!.attemptsMade, 1, 'one attempt in 3 s');
  const refusals = broker.log.filter((l) => /frontdesk-bad/.test(l) && /not authori[sz]ed|bad user name or password/i.test(l));
  t.ok(refusals.length <= 1, `broker saw ${refusals.length} refused connection(s) from the box`);
});
