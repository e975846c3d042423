import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../../daemon/bus/bus.js';
import { createLogger } from '../../../daemon/log.js';
import { Db } from '../../../daemon/store/db.js';
import { maskNumber } from '../../../daemon/store/mask.js';
import { migrate } from '../../../daemon/store/migrations.js';
import { Recorder, WriterRegistry, type OutboxOptions } from '../../../daemon/store/recorder.js';

async function setup(t: { teardown: (fn: () => Promise<void>) => void }, outbox: OutboxOptions | null) {
  const dir = await mkdtemp(join(tmpdir(), 'fd-rec-'));
  const db = await Db.open(join(dir, 'r.db'));
  await migrate(db);
  const bus = new Bus();
  const writers = new WriterRegistry();
  const rec = new Recorder({ db, bus, log: createLogger({ level: 'silent', pretty: false }), outbox, writers });
  rec.start();
  t.teardown(async () => {
    await rec.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { db, bus, rec, writers };
}

const box = { site: 'hq', node: 'box1', mask: true };

t.test('domain record and outbox row in one transaction', async (t) => {
  const { db, bus, rec } = await setup(t, box);
  bus.emit('agent.state', { extension: '801', state: 'paused', reason: 'lunch' });
  bus.emit('sms.received', { lineId: 'gsm1', from: '+8613912345678', text: 'call me', receivedAt: '2026-03-02T10:00:00.000Z' });
  bus.emit('line.alarm', { lineId: 'gsm1', code: 'sim-missing', active: true, message: 'no SIM' });
  bus.emit('survey.answered', { callId: 'c1', score: 4 });
  await rec.flushed();
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_state_log'))?.n, 1);
  t.equal((await db.get<{ peer: string }>('SELECT peer FROM sms'))?.peer, '+8613912345678', 'the store keeps the whole number');
  t.equal((await db.get<{ active: number }>("SELECT active FROM alarms WHERE code = 'sim-missing' AND source = 'gsm1'"))?.active, 1);
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM surveys'))?.n, 1);
  const rows = await db.all<{ seq: number; topic: string; payload: string }>('SELECT seq, topic, payload FROM outbox ORDER BY seq');
  t.same(rows.map((r) => r.topic), ['events', 'events', 'alarms', 'events']);
  const sms = JSON.parse(rows[1]!.payload) as { seq: number; data: Record<string, unknown> };
  t.equal(sms.seq, rows[1]!.seq, 'payload carries its seq');
  t.equal(sms.data.from, '+861******5678', 'report masks the number');
  t.equal(sms.data.text, undefined, 'and leaves the SMS body on the box');
  t.equal(sms.data.textLength, 7);
});

t.test('a failing writer rolls back its record but the event is still reported', async (t) => {
  const { db, bus, rec, writers } = await setup(t, box);
  const off = writers.register('call.offered', async (tx) => {
    await tx.run("INSERT INTO agent_state_log (extension, state, at) VALUES ('x', 'busy', 'now')");
    throw new Error('boom');
  });
  t.teardown(off);
  bus.emit('call.offered', { callId: 'c1', lineId: 'gsm1' });
  await rec.flushed();
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_state_log'))?.n, 0, 'partial record rolled back');
  const row = await db.get<{ payload: string }>('SELECT payload FROM outbox');
  t.match(JSON.parse(row!.payload), { type: 'call.offered', data: { callId: 'c1', recordFailed: true } });
});

t.test('no mqtt: records only, no outbox', async (t) => {
  const { db, bus, rec } = await setup(t, null);
  bus.emit('agent.state', { extension: '801', state: 'available' });
  await rec.flushed();
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n, 0);
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_state_log'))?.n, 1);
});

t.test('at the bound: health reports give way, call events are kept and a critical alarm is raised', async (t) => {
  const { db, bus, rec } = await setup(t, { ...box, bound: { maxEvents: 100 } });
  const alarms: unknown[] = [];
  bus.on('alarm', (e) => void alarms.push(e.data));
  for (let i = 0; i < 50; i++) bus.emit('line.health', { lineId: `l${i}`, kind: 'gsm', state: 'ready', inCall: false });
  for (let i = 0; i < 50; i++) bus.emit('call.offered', { callId: `a${i}`, lineId: 'gsm1' });
  await rec.flushed();
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n, 100, 'at the bound');
  bus.emit('line.health', { lineId: 'lx', kind: 'gsm', state: 'down', inCall: false });
  await rec.flushed();
  t.equal(rec.dropped, 1, 'a new health report is not queued at the bound');
  for (let i = 0; i < 60; i++) bus.emit('call.offered', { callId: `b${i}`, lineId: 'gsm1' });
  await rec.flushed();
  const n = (await db.get<{ n: number; h: number }>('SELECT COUNT(*) AS n, SUM(droppable) AS h FROM outbox'))!;
  t.equal(n.h, 0, 'the 50 health reports were evicted for call events');
  t.ok(n.n >= 110, `every call event kept (${n.n} rows, over the bound)`);
  t.match(alarms, [{ code: 'outbox-full', active: true, severity: 'critical' }]);
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%\"callId\":\"b%'"))?.n, 60);
});

t.test('line health: only changes are reported', async (t) => {
  const { db, bus, rec } = await setup(t, box);
  for (const dbm of [-70, -71, -72]) bus.emit('line.health', { lineId: 'gsm1', kind: 'gsm', state: 'ready', inCall: false, signalDbm: dbm });
  bus.emit('line.health', { lineId: 'gsm1', kind: 'gsm', state: 'down', reason: 'modem gone', inCall: false });
  await rec.flushed();
  t.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))?.n, 2);
  t.match(JSON.parse((await db.get<{ health: string }>('SELECT health FROM line_state'))!.health), { state: 'down' });
});

t.test('masking', async (t) => {
  t.equal(maskNumber('13812345678'), '138****5678');
  t.equal(maskNumber('sip:13812345678@pbx'), 'sip:138****5678@pbx');
  t.equal(maskNumber('801'), '801', 'extensions are not numbers to hide');
  t.equal(maskNumber('5551234'), '*****34');
});
