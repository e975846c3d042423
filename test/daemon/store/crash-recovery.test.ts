import t from 'tap';
import { testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { callAndPress, eventAfter } from '../../helpers/routing.js';
import { sleep } from '../../helpers/net.js';
import type { Report } from '../../helpers/faults.js';

/**
 * kill -9 in the middle of a bridged call (GSM caller ⇄ baresip desk phone), then a restart: the
 * call is closed as interrupted (CDR and call.ended on MQTT), the modem that was still in the call
 * is hung up, the desk phone's dialog is ended with BYE, the agent is free again, and the restart
 * is logged with what was recovered.
 */
t.test('kill -9 mid-call: the restart closes the call, hangs up the modem, sends BYE to the desk phone', async (t) => {
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/#']);
  const phone = await testPhone(t, { user: '801', answer: 'auto' });
  const box = await startBox({
    agents: [phoneAgent(phone)],
    extra: `mqtt:\n  url: ${broker.url}\n  metrics_every: 1h\n`,
  });
  t.teardown(() => box.close());
  await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/status' && (m.json as { state?: string }).state === 'online', 20_000, 'status online');

  const since = phone.events.length;
  const id = await callAndPress(box, 0, '+8613800000007');
  await eventAfter(box, 0, 'queue.connect', (l) => l.callId === id, 15_000);
  await phone.waitEvent('CALL_ESTABLISHED', 10_000, since);
  await box.row<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE id = ? AND agent_answered_at IS NOT NULL", [id], (r) => r.n === 1);
  await sleep(500);

  const commandsBefore = box.emu.modem.commands.length;
  const closedBefore = phone.events.filter((e) => e.type === 'CALL_CLOSED').length;
  await box.restart(); // SIGKILL, then start again on the same store, ttys and ports

  const recovered = await box.event('restart after a crash: closed what the previous run left open', () => true, 20_000);
  t.same(recovered.calls, [id], 'the restart is logged with the call it closed');
  t.same(recovered.agents, ['801'], '... and the agent it freed');
  const row = await box.row<{ outcome: string | null; ended_at: string | null; hung_up_by: string | null }>('SELECT outcome, ended_at, hung_up_by FROM calls WHERE id = ?', [id], (r) => r.ended_at !== null);
  t.match(row, { outcome: 'interrupted', hung_up_by: 'system' }, 'the call record is closed as interrupted');

  const ended = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/events' && (m.json as Report).type === 'call.ended' && (m.json as Report).data.callId === id, 20_000, 'call.ended for the interrupted call');
  t.equal((ended.json as Report).data.outcome, 'interrupted', 'central IT hears call.ended, outcome interrupted');

  const after = (): string[] => box.emu.modem.commands.slice(commandsBefore).map((c) => c.line.trim().toUpperCase());
  await box.event('modem was still in a call nobody handles (restart after a crash); hung up', () => true, 15_000);
  t.ok(after().includes('AT+CLCC') && after().indexOf('AT+CHUP') > after().indexOf('AT+CLCC'), 'the emulated modem was asked for its calls and got a hang-up');

  const byeLog = await box.event('BYE for a SIP dialog left open by the previous run', () => true, 15_000);
  t.equal(byeLog.status, 200, 'the restarted daemon sent BYE in the old dialog and the phone accepted it');
  const bye = await phone.waitEvent('CALL_CLOSED', 15_000, since).then(() => true, () => false);
  t.ok(bye && phone.events.filter((e) => e.type === 'CALL_CLOSED').length > closedBefore, 'the desk phone got BYE: its call is closed');

  const agent = await central.waitFor((m) => m.topic === 'frontdesk/test/box-1/agents/801' && (m.json as { reason?: string }).reason === 'recovered after restart', 20_000, 'agent 801 freed');
  t.equal((agent.json as { state: string }).state, 'available', 'the agent is available again, as this run sees them');
});
