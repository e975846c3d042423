import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliPath } from '../../helpers/paths.js';
import { runInProcess } from '../../helpers/cli-in-process.js';
import { openStore } from '../../../daemon/store/store.js';
import { parseCsv } from '../../../daemon/customers/csv.js';
import { run as customers } from '../../../daemon/commands/customers.js';

const run = promisify(execFile);

t.test('customers: CSV import (all or nothing, clear errors), export, profile with history', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-crm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'frontdesk.yaml');
  await writeFile(cfg, `site: s\nnode: n\nlines:\n  - { id: gsm1, kind: gsm, modem: huawei, at_port: /dev/null, voice_port: /dev/null }\nbot: { greeting: hi }\nstorage: { dir: ${join(dir, 'data')} }\n`);
  // The command's own run(), in this process (a node start per call costs seconds); one real CLI call below.
  const cli = (...a: string[]) => runInProcess(customers, [...a, '-c', cfg]);

  const good = join(dir, 'good.csv');
  await writeFile(good, '\ufeffnumber,name,vip,tags,notes,language\r\n+8613800000001,张三,yes,"vip,wholesale","prefers mornings, ""call first""",zh-CN\r\n138 0000 0002,Li Si,0,,,en-US\r\n');
  const bad = join(dir, 'bad.csv');
  await writeFile(bad, 'number,name,vip\n+8613800000003,ok,1\nnot-a-number,x,1\n+8613800000004,y,maybe\n');

  const refused = await cli('import', bad);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /line 3: "not-a-number" is not a phone number/);
  t.match(refused.stderr, /line 4: vip "maybe"/);
  t.match(refused.stderr, /nothing imported/);

  const ok = await cli('import', good);
  t.equal(ok.code, 0, ok.stderr);
  t.same(JSON.parse(ok.stdout), { inserted: 2, updated: 0 });
  const again = await cli('import', bad);
  t.equal(again.code, 1, 'the bad file still changes nothing');

  // Some history for the profile.
  const db = await openStore(join(dir, 'data'));
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, outcome, agent_ext) VALUES ('c1', 'gsm1', '+8613800000001', '2026-11-01T10:00:00Z', 'transferred', '801')");
  await db.run("INSERT INTO tickets (number, customer, status, created_by, created_at, updated_at, fields) VALUES ('2611010001', '+8613800000001', 'open', 'bot', '2026-11-01T10:01:00Z', '2026-11-01T10:01:00Z', '{}')");
  await db.run("INSERT INTO surveys (call_id, score, scale, at) VALUES ('c1', 5, 5, '2026-11-01T10:05:00Z')");
  const n = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM customers');
  await db.close();
  t.equal(n?.n, 2, 'nothing of the bad files got in');

  const upd = join(dir, 'upd.csv');
  await writeFile(upd, 'number,vip\n13800000002,yes\n');
  t.same(JSON.parse((await cli('import', upd)).stdout), { inserted: 0, updated: 1 }, 'a file with fewer columns updates only those');

  const exp = await cli('export');
  const { rows } = parseCsv(exp.stdout);
  t.same(rows[0], ['number', 'name', 'vip', 'tags', 'notes', 'language', 'last_agent', 'last_call_at']);
  t.same(rows[1]!.slice(0, 6), ['+8613800000001', '张三', '1', 'vip,wholesale', 'prefers mornings, "call first"', 'zh-CN'], 'quotes and commas survive the round trip');
  t.same(rows[2]!.slice(0, 6), ['13800000002', 'Li Si', '1', '', '', 'en-US']);

  const show = await run(process.execPath, [cliPath, 'customers', 'show', '+8613800000001', '-c', cfg]);
  const p = JSON.parse(show.stdout) as { name: string; vip: boolean; calls: { id: string }[]; tickets: { number: string }[]; surveys: { score: number }[] };
  t.equal(p.name, '张三');
  t.equal(p.vip, true);
  t.same([p.calls[0]?.id, p.tickets[0]?.number, p.surveys[0]?.score], ['c1', '2611010001', 5], 'history of calls, tickets and surveys');
});
