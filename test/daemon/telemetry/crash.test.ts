import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Db } from '../../../daemon/store/db.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { distRoot } from '../../helpers/paths.js';

/** Events recorded but not yet sent when the process is SIGKILLed go out after it restarts. */

const producer = resolve(distRoot, 'test/helpers/outbox-producer.js');

function runProducer(args: string[], until: RegExp): { done: Promise<void>; kill: () => void; exited: Promise<unknown> } {
  const p = spawn(process.execPath, [producer, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => p.once('exit', r));
  const done = new Promise<void>((resolveDone, reject) => {
    createInterface({ input: p.stdout }).on('line', (l) => until.test(l) && resolveDone());
    p.once('exit', (code, sig) => reject(new Error(`producer exited ${code ?? sig} before ${until}`)));
  });
  done.catch(() => undefined);
  return { done, kill: () => p.kill('SIGKILL'), exited };
}

t.test('SIGKILL with events unsent: they arrive after the restart, in order', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/+/+/events']);
  const dir = await mkdtemp(join(tmpdir(), 'fd-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const N = 400;
  const first = runProducer(['produce', dir, broker.url, String(N)], /^recorded/);
  t.teardown(first.kill);
  await first.done;
  first.kill(); // the moment all are committed, while the publisher has only started
  await first.exited;

  const db = await Db.open(join(dir, 'frontdesk.db'));
  const left = (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))!.n;
  await db.close();
  const before = central.messages.length;
  t.ok(left > 0, `${left} rows left in the outbox at the kill (${before} already received)`);

  const second = runProducer(['flush', dir, broker.url], /^drained/);
  t.teardown(second.kill);
  await second.done;
  await central.waitUntil(() => new Set(central.messages.map((m) => (m.json as { id: string }).id)).size >= N, 20_000, `${N} distinct events`);
  const seen = new Map<string, { seq: number; callId: string }>();
  for (const m of central.messages) {
    const r = m.json as { id: string; seq: number; data: { callId: string } };
    if (!seen.has(r.id)) seen.set(r.id, { seq: r.seq, callId: r.data.callId });
  }
  const firsts = [...seen.values()];
  t.equal(firsts.length, N, 'every recorded event arrived');
  t.same(firsts.map((f) => f.callId), Array.from({ length: N }, (_, i) => `k-${i}`), 'first arrivals in the order produced');
  t.comment(`${central.messages.length - N} duplicate(s) by id (sent before the kill, PUBACK lost with the process); consumers de-duplicate by id`);
});
