import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBox } from '../../helpers/box.js';
import { testPhone } from '../../helpers/baresip.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { waitFor } from '../../drivers/gsm/emu.js';
import { sleep } from '../../helpers/net.js';
import { runInProcess } from '../../helpers/cli-in-process.js';
import { run as campaignsCommand } from '../../../daemon/commands/campaigns.js';
import { parseCsv } from '../../../daemon/customers/csv.js';

const BOT = `  greeting: "Hello."
  language: en-US
  no_input: { timeout: 700ms, repeats: 0 }
  handoff: { default_queue: general, say: "Connecting you." }
  goodbye: "Goodbye."`;

const ALL = Array.from({ length: 20 }, (_, i) => i + 1);
const n = (i: number) => `+86137000001${String(i).padStart(2, '0')}`;

t.test('a 20-contact campaign over two GSM lines: window, do-not-call, busy and no-answer retried, a handoff on request, every outcome recorded and on MQTT', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/test/box-1/events']);
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
  const phone = await testPhone(t, { user: '801', answer: 'auto' });
  const box = await startBox({ agents: [{ extension: '801', contact: phone.uri }], lines: 2, bot: BOT, extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 1h\ndialing:\n  allowed_prefixes: ["+86137"]\n${campaign(true)}` });
  t.teardown(() => box.close());
  await box.event('frontdesk running');
  const file = join(box.dir, 'frontdesk.yaml');
  const contacts = join(box.dir, 'contacts.csv');
  await writeFile(contacts, `number,name\n${ALL.map((i) => `${n(i)},Customer ${i}`).join('\n')}\n`);
  await writeFile(file, (await readFile(file, 'utf8')).replace('CONTACTS', contacts));
  for (const e of box.emus) {
    // Contacts answer (or are busy) 0.5 s after the dial instead of 1 s: 21 dials over two lines.
    e.modem.dialAnswerMs = 500;
    e.modem.dialOutcomes.set(n(2), 'busy');
    e.modem.dialOutcomes.set(n(6), 'no-answer');
  }
  // The file changed under the running daemon: reload so it reads the contacts (window still closed).
  box.daemon.kill('SIGHUP');
  await box.event('config reloaded');
  await box.row<{ n: number }>('SELECT COUNT(*) AS n FROM campaign_contacts', [], (r) => r.n === 20);
  await sleep(2500);
  const dials = () => box.emus.flatMap((e) => e.modem.commands.filter((c) => c.line.startsWith('ATD')).map((c) => c.line.slice(3, -1)));
  t.same(dials(), [], 'nobody is called outside the window (today is a holiday)');

  await writeFile(file, (await readFile(file, 'utf8')).replace(`, holidays: ["${today}"]`, ''));
  box.daemon.kill('SIGHUP');
  // Contact 3 asks for a person (0) as soon as the bot greets them: the agent's desk phone answers.
  const emu3 = await waitFor('contact 3 dialled', () => box.emus.find((e) => e.modem.commands.some((c) => c.line === `ATD${n(3)};`)), 60_000);
  const lineId = `gsm${box.emus.indexOf(emu3) + 1}`;
  const offered = await box.event('call.offered', (l) => l.lineId === lineId && l.caller === n(3), 30_000);
  await box.event('call.phase', (l) => l.callId === offered.callId && l.phase === 'bot');
  emu3.modem.play(dtmfTones('0', 120, 200));
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  await box.event('call.phase', (l) => l.callId === offered.callId && l.phase === 'connected', 30_000);
  emu3.modem.hangup();
  const done = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM campaign_contacts WHERE state IN ('done', 'skipped')", [], (r) => r.n === 20, 120_000);
  t.equal(done.n, 20);

  const { stdout } = await runInProcess(campaignsCommand, ['export', 'followup', '-c', file]);
  const rows = parseCsv(stdout).rows;
  const byNumber = new Map(rows.slice(1).map((r) => [r[0], { state: r[2], outcome: r[3], attempts: Number(r[4]), line: r[5] }]));
  for (const i of ALL.filter((i) => ![2, 4, 6].includes(i))) t.match(byNumber.get(n(i)), { state: 'done', outcome: 'answered', attempts: 1 }, `${n(i)} answered and heard the bot`);
  t.match(byNumber.get(n(2)), { state: 'done', outcome: 'busy', attempts: 2 }, 'busy: tried again, then given up');
  t.match(byNumber.get(n(6)), { state: 'done', outcome: 'no-answer', attempts: 2 }, 'no answer: tried again, then given up');
  t.match(byNumber.get(n(4)), { state: 'skipped', outcome: 'do-not-call', attempts: 0 });
  t.notOk(dials().includes(n(4)), 'the do-not-call number was never dialled');
  t.equal(dials().filter((d) => d === n(2)).length, 2);
  t.same(new Set([...byNumber.values()].map((v) => v.line).filter(Boolean)), new Set(['gsm1', 'gsm2']), 'both lines worked the list');
  const answered = box.daemon.logs.filter((l) => l.msg === 'call.phase' && l.phase === 'bot').length;
  t.equal(answered, 17, '17 contacts got the bot flow');
  // Progress on MQTT: every try and the skip, as campaign.contact events (numbers masked).
  await central.waitUntil(() => central.messages.filter((m) => (m.json as { type?: string })?.type === 'campaign.contact').length === 22, 20_000, '22 campaign.contact events');
  const states = central.messages.filter((m) => (m.json as { type?: string })?.type === 'campaign.contact').map((m) => (m.json as { data: { state: string } }).data.state);
  t.same({ retry: states.filter((s) => s === 'retry').length, skipped: states.filter((s) => s === 'skipped').length, done: states.filter((s) => s === 'done').length }, { retry: 2, skipped: 1, done: 19 });
  const handed = await box.row<{ outcome: string; agent_ext: string }>('SELECT outcome, agent_ext FROM calls WHERE id = ?', [String(offered.callId)], (r) => r.outcome !== null);
  t.same(handed, { outcome: 'transferred', agent_ext: '801' }, 'contact 3 was handed to the agent on request');
  const cdr = await box.row<{ n: number; out: number }>("SELECT COUNT(*) AS n, SUM(direction = 'outbound') AS out FROM calls", [], (r) => r.n >= 17);
  t.equal(cdr.out, cdr.n, 'their CDRs say outbound (kept out of the inbound KPIs)');
});
