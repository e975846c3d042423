import t from 'tap';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { startPhone, testPhone } from '../../helpers/baresip.js';
import { phoneAgent, startBox } from '../../helpers/box.js';
import { sleep } from '../../helpers/net.js';

t.test('routing.check_phones: a desk phone that stops answering OPTIONS is skipped, not rung', async (t) => {
  const dead = await startPhone({ user: '801', answer: 'auto' });
  const alive = await testPhone(t, { user: '802', answer: 'auto' });
  const box = await startBox({
    agents: [phoneAgent(dead), phoneAgent(alive)],
    sip: '  timers: { t1: 100ms }', // Timer F = 64·T1 = 6.4 s: a silent phone is noticed quickly
    extra: 'routing:\n  check_phones: 1s\n',
  });
  t.teardown(() => box.close());

  await dead.stop();
  await box.event('agent.state', (l) => l.extension === '801' && l.state === 'unreachable', 30_000);
  t.pass('801 became unreachable once its phone stopped answering OPTIONS');

  box.emu.modem.ring('+8613800000077');
  await box.event('call.phase', (l) => l.phase === 'bot');
  await sleep(800);
  box.emu.modem.play(dtmfTones('0', 120, 200));
  await box.event('call.phase', (l) => l.phase === 'connected' && (l.detail as { agent: string }).agent === '802', 30_000);
  t.notOk(box.daemon.logs.some((l) => l.msg === 'call.agent' && l.extension === '801'), 'the dead phone was never rung');
  box.emu.modem.hangup();
  await box.event('call.ended');
});
