import t from 'tap';
import { AgentPool, type AgentInfo } from '../../../daemon/routing/agents.js';
import { matchFeatureCode, DEFAULT_FEATURE_CODES } from '../../../daemon/routing/feature-codes.js';
import { parseConfig } from '../../../daemon/config/load.js';

function pool(now: { t: number }, autoPause = 2) {
  const states: string[] = [];
  const p = new AgentPool(
    [
      { extension: '801', name: 'A', wrap_up: '1s' },
      { extension: '802', name: 'B', logged_in: false, max_calls: 2 },
    ],
    (a: AgentInfo) => states.push(`${a.extension}:${a.state}${a.pauseReason ? `(${a.pauseReason})` : ''}`),
    { autoPauseAfter: () => autoPause, busyBackoffMs: () => 5000, now: () => now.t },
  );
  return { p, states };
}

t.test('states follow the call life cycle, wrap-up included', async (t) => {
  const now = { t: 1_000_000 };
  const { p, states } = pool(now);
  t.teardown(() => p.close());
  const a = p.get('801')!;
  t.equal(a.state, 'available');
  t.equal(p.get('802')!.state, 'logged-out');
  p.startRing('801');
  t.equal(a.state, 'ringing');
  t.notOk(p.eligible(a), 'a desk phone takes one call');
  p.endRing('801', 'answered');
  t.equal(a.state, 'busy');
  now.t += 30_000;
  p.callEnded('801', 30_000);
  t.equal(a.state, 'wrap-up');
  t.notOk(p.eligible(a));
  now.t += 1001;
  await new Promise((r) => setTimeout(r, 1100));
  t.equal(a.state, 'available');
  t.equal(a.callsTaken, 1);
  t.equal(a.talkMs, 30_000);
  t.same(states.filter((s) => s.startsWith('801')), ['801:ringing', '801:busy', '801:wrap-up', '801:available']);
});

t.test('N misses in a row → auto-pause with a reason; an answer resets the count', async (t) => {
  const now = { t: 1_000_000 };
  const { p } = pool(now, 2);
  t.teardown(() => p.close());
  p.startRing('801');
  p.endRing('801', 'no-answer');
  p.startRing('801');
  p.endRing('801', 'answered');
  p.callEnded('801', 1);
  now.t += 2000;
  p.startRing('801');
  p.endRing('801', 'no-answer');
  t.equal(p.get('801')!.presence, 'in', 'one miss after an answer does not pause');
  p.startRing('801');
  p.endRing('801', 'no-answer');
  t.equal(p.get('801')!.state, 'paused');
  t.match(p.get('801')!.pauseReason, /auto/);
  p.unpause('801');
  t.equal(p.get('801')!.misses, 0);
});

t.test('486 busy backs off; own calls make the agent busy; logins and pauses', async (t) => {
  const now = { t: 1_000_000 };
  const { p } = pool(now);
  t.teardown(() => p.close());
  p.startRing('801');
  p.endRing('801', 'busy');
  t.equal(p.get('801')!.state, 'busy');
  t.notOk(p.eligible(p.get('801')!));
  now.t += 5001;
  t.ok(p.eligible(p.get('801')!), 'eligible again after the back-off');
  p.login('802');
  t.equal(p.get('802')!.state, 'available');
  p.ownCallStarted('802');
  t.equal(p.get('802')!.state, 'busy');
  t.ok(p.eligible(p.get('802')!), 'max_calls 2: still room for one');
  p.ownCallEnded('802');
  p.pause('802', 'lunch');
  t.equal(p.get('802')!.state, 'paused');
  t.equal(p.get('802')!.pauseReason, 'lunch');
  t.notOk(p.eligible(p.get('802')!));
  p.logout('802');
  t.equal(p.get('802')!.state, 'logged-out');
  t.throws(() => p.login('999'));
});

t.test('feature codes', async (t) => {
  t.same(matchFeatureCode('*51', DEFAULT_FEATURE_CODES), { action: 'login' });
  t.same(matchFeatureCode('%2A54', DEFAULT_FEATURE_CODES), { action: 'unpause' });
  t.same(matchFeatureCode('*532', DEFAULT_FEATURE_CODES), { action: 'pause', reason: '2' });
  t.equal(matchFeatureCode('*59', DEFAULT_FEATURE_CODES), undefined);
  t.equal(matchFeatureCode('801', DEFAULT_FEATURE_CODES), undefined);
  t.same(matchFeatureCode('#1', { ...DEFAULT_FEATURE_CODES, login: '#1' }), { action: 'login' });
});

t.test('an extension behind a PBX hunt group takes more than 8 calls: max_calls 40 in the config, 40 at once', async (t) => {
  const { config } = parseConfig('site: a\nnode: b\nlines:\n  - id: g\n    kind: analog\n    port: /dev/ttyACM0\nbot:\n  greeting: hi\nagents:\n  - extension: "900"\n    name: Hunt group\n    max_calls: 40\n', 'x.yaml', {});
  const p = new AgentPool(config.agents ?? [], () => undefined, {});
  t.teardown(() => p.close());
  const a = p.get('900')!;
  for (let i = 0; i < 40; i++) {
    t.ok(p.eligible(a), `room for call ${i + 1}`);
    p.startRing('900');
    if (i % 2 === 0) p.endRing('900', 'answered'); // some answered, some still ringing: both hold a line
  }
  t.notOk(p.eligible(a), 'the 41st waits');
  p.callEnded('900', 1000);
  t.ok(p.eligible(a), 'one line free again');
});
