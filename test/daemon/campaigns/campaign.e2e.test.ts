import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';
import { runInProcess } from '../../helpers/cli-in-process.js';
import { run as campaignsCommand } from '../../../daemon/commands/campaigns.js';
import { parseCsv } from '../../../daemon/customers/csv.js';

const BOT = `  greeting: "Hello, this is a follow-up call."
  language: en-US
  no_input: { timeout: 1s, repeats: 0 }
  goodbye: "Goodbye."`;

const n = (i: number) => `+86137000001${String(i).padStart(2, '0')}`;

t.test('a campaign over two GSM lines: window, do-not-call, busy and no-answer retried, every outcome recorded', async (t) => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const campaign = (closed: boolean) => `campaigns:
  - id: followup
    contacts: CONTACTS
    lines: [gsm1, gsm2]
    window: { open: { mon-sun: "00:00-24:00" }${closed ? `, holidays: ["${today}"]` : ''} }
    attempts: 2
    retry_after: 1s
    ring_timeout: 3s
    do_not_call: ["${n(4)}"]
`;
  const box = await startBox({ agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:5999' }], lines: 2, bot: BOT, sip: '  outbound_dialing: { allowed_prefixes: ["+86137"] }', extra: campaign(true) });
  t.teardown(() => box.close());
  await box.event('frontdesk running');
  const file = join(box.dir, 'frontdesk.yaml');
  const contacts = join(box.dir, 'contacts.csv');
  await writeFile(contacts, `number,name\n${[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `${n(i)},Customer ${i}`).join('\n')}\n`);
  await writeFile(file, (await readFile(file, 'utf8')).replace('CONTACTS', contacts));
  for (const e of box.emus) {
    e.modem.dialOutcomes.set(n(2), 'busy');
    e.modem.dialOutcomes.set(n(6), 'no-answer');
  }
  // The file changed under the running daemon: reload so it reads the contacts (window still closed).
  box.daemon.kill('SIGHUP');
  await box.event('config reloaded');
  await box.row<{ n: number }>('SELECT COUNT(*) AS n FROM campaign_contacts', [], (r) => r.n === 8);
  await sleep(2500);
  const dials = () => box.emus.flatMap((e) => e.modem.commands.filter((c) => c.line.startsWith('ATD')).map((c) => c.line.slice(3, -1)));
  t.same(dials(), [], 'nobody is called outside the window (today is a holiday)');

  await writeFile(file, (await readFile(file, 'utf8')).replace(`, holidays: ["${today}"]`, ''));
  box.daemon.kill('SIGHUP');
  const done = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM campaign_contacts WHERE state IN ('done', 'skipped')", [], (r) => r.n === 8, 90_000);
  t.equal(done.n, 8);

  const { stdout } = await runInProcess(campaignsCommand, ['export', 'followup', '-c', file]);
  const rows = parseCsv(stdout).rows;
  const byNumber = new Map(rows.slice(1).map((r) => [r[0], { state: r[2], outcome: r[3], attempts: Number(r[4]), line: r[5] }]));
  for (const i of [1, 3, 5, 7, 8]) t.match(byNumber.get(n(i)), { state: 'done', outcome: 'answered', attempts: 1 }, `${n(i)} answered and heard the bot`);
  t.match(byNumber.get(n(2)), { state: 'done', outcome: 'busy', attempts: 2 }, 'busy: tried again, then given up');
  t.match(byNumber.get(n(6)), { state: 'done', outcome: 'no-answer', attempts: 2 }, 'no answer: tried again, then given up');
  t.match(byNumber.get(n(4)), { state: 'skipped', outcome: 'do-not-call', attempts: 0 });
  t.notOk(dials().includes(n(4)), 'the do-not-call number was never dialled');
  t.equal(dials().filter((d) => d === n(2)).length, 2);
  t.same(new Set([...byNumber.values()].map((v) => v.line).filter(Boolean)), new Set(['gsm1', 'gsm2']), 'both lines worked the list');
  const answered = box.daemon.logs.filter((l) => l.msg === 'call.phase' && l.phase === 'bot').length;
  t.ok(answered >= 5, `${answered} contacts got the bot flow`);
  const cdr = await box.row<{ n: number; out: number }>("SELECT COUNT(*) AS n, SUM(direction = 'outbound') AS out FROM calls", [], (r) => r.n >= 5);
  t.equal(cdr.out, cdr.n, 'their CDRs say outbound (kept out of the inbound KPIs)');
});
