import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Config } from '../../../daemon/config/schema.js';
import { openStore } from '../../../daemon/store/store.js';
import { withCrmLookup } from '../../../daemon/customers/lookup.js';
import { WebhookSender } from '../../../daemon/customers/webhook.js';
import { makeCa } from '../../helpers/mosquitto.js';

const SECRET = 'crm-secret-0123456789abcdef';

t.test('a slow CRM: the lookup falls back within its timeout and caches; a webhook request times out and is retried', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-crm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { caFile, certFile, keyFile } = await makeCa(dir);
  let requests = 0;
  let slow = true;
  const server = createServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (req, res) => {
    requests++;
    req.resume();
    if (slow) return; // never answers
    res.writeHead(req.url === '/lookup' ? 200 : 204, { 'content-type': 'application/json' }).end(req.url === '/lookup' ? '{"vip":true}' : '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => (server.closeAllConnections(), server.close()));
  const port = (server.address() as { port: number }).port;
  const db = await openStore(join(dir, 'data'));
  t.teardown(() => db.close());
  const config = { site: 's', node: 'n', lines: [], bot: { greeting: 'hi' }, crm_lookup: { url: `https://127.0.0.1:${port}/lookup`, secret: SECRET, ca: caFile, timeout: '300ms', cache: '1h' }, webhook: { url: `https://127.0.0.1:${port}/hook`, secret: SECRET, ca: caFile, events: ['ticket.created'], timeout: '300ms', retry_after: '200ms' } } as unknown as Config;
  const log = pino({ level: 'silent' });

  const lookup = withCrmLookup(async () => ({ vip: false }), { db, log, config: () => config });
  const t0 = Date.now();
  t.same(await lookup('+8613800000001', 'c1'), { vip: false }, 'the local record when the CRM does not answer');
  t.ok(Date.now() - t0 < 1500, `gave up after about the timeout (${Date.now() - t0} ms)`);
  slow = false;
  t.same(await lookup('+8613800000001', 'c2'), { vip: false }, 'the failure is cached too: not asked again');
  t.equal(requests, 1);
  t.same(await lookup('+8613800000002', 'c3'), { vip: true }, 'another caller: asked, answered');

  slow = true;
  await db.run("INSERT INTO webhook_outbox (id, event, body, next_at, created_at) VALUES ('d1', 'ticket.created', '{}', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z')");
  const alarms: boolean[] = [];
  const sender = new WebhookSender({ db, log, config: () => config, alarm: (a) => void alarms.push(a), pollMs: 100 });
  sender.start();
  t.teardown(() => sender.stop());
  const until = Date.now() + 5000;
  while (!alarms.includes(true) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const row = await db.get<{ attempts: number; last_error: string }>('SELECT attempts, last_error FROM webhook_outbox');
  t.match(row, { attempts: 1, last_error: /no answer within 300 ms/ }, 'timed out, kept for a retry');
  slow = false;
  const until2 = Date.now() + 5000;
  while ((await db.get('SELECT 1 AS x FROM webhook_outbox')) && Date.now() < until2) await new Promise((r) => setTimeout(r, 50));
  t.notOk(await db.get('SELECT 1 AS x FROM webhook_outbox'), 'delivered on the retry');
  t.same(alarms, [true, false], 'webhook-failing raised, then cleared');
});
