import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPbx, startPbxWithPhone } from '../../helpers/kamailio.js';
import { startPhone } from '../../helpers/baresip.js';
import { startBox as startSipStack } from '../../helpers/sip-box.js';
import { startBox } from '../../helpers/box.js';
import { callAndPress, eventAfter, hangUp, mark } from '../../helpers/routing.js';
import { waitFor } from '../../helpers/net.js';
import type { SipLeg } from '../../../drivers/sip/leg.js';

const CALLER = '+8613812345678';

/** The SIP trunk to kamailio as a line of the box (agents have no contact: they are reached through the PBX). */
const trunk = (port: number, password: string, callerId = 'both'): string =>
  `  - id: pbx\n    kind: sip\n    host: 127.0.0.1\n    port: ${port}\n    username: frontdesk\n    password: ${password}\n    caller_id: ${callerId}`;

t.test('through a digest-protected PBX: the desk phone rings, shows the caller, and gets P-Asserted-Identity / Remote-Party-ID', async (t) => {
  const pbx = await startPbx({ '801': 'p801', '802': 'p802', frontdesk: 'fd-secret' });
  t.teardown(() => pbx.stop());
  const phone = await startPhone({ user: '801', answer: 'auto', registerTo: { host: pbx.host, port: pbx.port, password: 'p801' } });
  t.teardown(() => phone.stop());
  // A second desk phone: our own SIP stack registered at kamailio, to read the INVITE's headers.
  const desk802 = await startSipStack({ id: 'desk-802', trunk: { host: pbx.host, port: pbx.port, username: '802', password: 'p802', register: true } });
  t.teardown(() => desk802.stop());
  const invites: SipLeg[] = [];
  desk802.on('incoming', (leg) => invites.push(leg as SipLeg));
  await phone.waitRegistered();
  await waitFor(() => desk802.health().registered === true, 5000, '802 registered');

  const box = await startBox({
    agents: [{ extension: '801' }, { extension: '802' }],
    queues: '  - id: general\n    skill: general\n    strategy: ring-all\n    ring_timeout: 15s',
    moreLines: trunk(pbx.port, 'fd-secret'),
  });
  t.teardown(() => box.close());
  const from = mark(box);
  const callId = await callAndPress(box, 0, CALLER);

  const est = await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  t.match(String(est.peerdisplayname ?? ''), CALLER, `the desk phone shows the caller's number (${String(est.peerdisplayname)})`);
  t.match(String(est.peeruri ?? ''), /^sip:frontdesk@/, 'From is the trunk identity, so the PBX accepted the digest');
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'connected');
  await waitFor(() => invites.length > 0, 5000, 'INVITE at 802');
  const h = (name: string): string | undefined => invites[0]!.headers.find((x) => x.name.toLowerCase() === name.toLowerCase())?.value;
  t.match(h('P-Asserted-Identity'), `<sip:${CALLER}@`, `P-Asserted-Identity carries the caller (${h('P-Asserted-Identity')})`);
  t.match(h('Remote-Party-ID'), new RegExp(`<sip:\\${CALLER}@.*party=calling`), `Remote-Party-ID too (${h('Remote-Party-ID')})`);
  t.match(h('From'), /sip:frontdesk@/, 'From is the trunk user');

  await hangUp(box, 0, callId);
  const cdr = await box.row<{ agent_ext: string; outcome: string }>('SELECT agent_ext, outcome FROM calls WHERE id = ?', [callId], (r) => r.outcome !== null);
  t.same(cdr, { agent_ext: '801', outcome: 'transferred' });
  const alarms = await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM alarm_log WHERE code = 'agent-unreachable'", [], () => true);
  t.equal(alarms.n, 0, 'no agent-unreachable alarm');
});

t.test('a wrong trunk password: warn with the SIP status, agent-unreachable names the extension; cleared once the agent is reached', async (t) => {
  const { pbx, phone } = await startPbxWithPhone(t, { trunkPassword: 'fd-secret', answer: 'auto' });
  const box = await startBox({
    agents: [{ extension: '801', extra: 'wrap_up: 0s' }],
    queues: '  - id: general\n    skill: general\n    ring_timeout: 10s',
    moreLines: trunk(pbx.port, 'wrong'),
    extra: 'routing: { busy_backoff: 1s }',
  });
  t.teardown(() => box.close());
  const from = mark(box);
  const callId = await callAndPress(box, 0, CALLER);
  const warn = await box.daemon.waitForLog((l) => l.level === 40 && /agent 801 unreachable/.test(String(l.msg)), 20_000);
  t.match(String(warn.status), /^407/, `logged at warn with the SIP status (${String(warn.status)})`);
  const alarm = await box.row<{ source: string; message: string; active: number }>("SELECT source, message, active FROM alarms WHERE code = 'agent-unreachable'", [], (r) => r.active === 1);
  t.equal(alarm.source, 'agent:801', 'the alarm names the extension');
  t.match(alarm.message, /801.*407/, `and carries the status (${alarm.message})`);
  t.notOk(phone.events.some((e) => e.type === 'CALL_INCOMING' || e.type === 'CALL_ESTABLISHED'), 'the desk phone never rang');
  const failed = await eventAfter(box, from, 'call.agent', (l) => l.callId === callId && l.result === 'failed');
  t.match(failed.detail, /^407/, `the call's timeline says why (${String(failed.detail)})`);
  await hangUp(box, 0, callId);

  // The installer fixes the password and reloads: the next caller reaches the agent, the alarm clears.
  const file = join(box.dir, 'frontdesk.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('password: wrong', 'password: fd-secret'));
  const beforeReload = mark(box);
  box.daemon.kill('SIGHUP');
  // The reload is committed (not just the line restarted) before the next caller dials.
  await eventAfter(box, beforeReload, 'config reloaded', () => true, 20_000);
  await eventAfter(box, beforeReload, 'line started', (l) => l.lineId === 'pbx', 20_000);
  const second = await callAndPress(box, 0, CALLER);
  await phone.waitEvent('CALL_ESTABLISHED', 30_000);
  await eventAfter(box, from, 'call.phase', (l) => l.callId === second && l.phase === 'connected');
  const cleared = await box.row<{ active: number }>("SELECT active FROM alarms WHERE code = 'agent-unreachable' AND source = 'agent:801'", [], (r) => r.active === 0);
  t.equal(cleared.active, 0, 'agent-unreachable cleared when the agent was reached');
  await hangUp(box, 0, second);
});
