import t from 'tap';
import { AbandonedPlaces, compareWaiting, positionOf, type Waiting } from '../../../daemon/routing/priority.js';
import { WaitEstimator } from '../../../daemon/routing/estimator.js';

const w = (name: string, since: number, o: Partial<Waiting> = {}): Waiting & { name: string } => ({ name, vip: false, repeat: false, since, seq: since, ...o });

t.test('VIP, then repeat callers, then the longest wait', async (t) => {
  const a = w('a', 100);
  const b = w('b', 200);
  const rep = w('rep', 300, { repeat: true });
  const vip = w('vip', 400, { vip: true });
  const order = [b, vip, a, rep].sort(compareWaiting).map((x) => x.name);
  t.same(order, ['vip', 'rep', 'a', 'b']);
  t.equal(positionOf(vip, [a, b, rep, vip]), 1, 'a VIP joining last is next');
  t.equal(positionOf(b, [a, b, rep, vip]), 4);
});

t.test('abandoned-resume: the old entry time puts the caller back in place', async (t) => {
  const places = new AbandonedPlaces();
  places.remember('+861', 'general', 150, 10_000);
  t.equal(places.take('+861', 60_000, 100_000), undefined, 'too late');
  places.remember('+861', 'general', 150, 10_000);
  const p = places.take('+861', 60_000, 40_000);
  t.same(p, { queue: 'general', since: 150 });
  t.equal(places.take('+861', 60_000, 40_000), undefined, 'used once');
  const a = w('a', 100);
  const b = w('b', 200);
  const back = w('back', p!.since, { seq: 999 });
  t.same([b, back, a].sort(compareWaiting).map((x) => x.name), ['a', 'back', 'b'], 'between the caller before and after');
});

t.test('wait estimate scales per place from recent answered calls', async (t) => {
  const e = new WaitEstimator(3);
  t.equal(e.estimateMs('q', 1), undefined, 'unknown before any answer');
  e.answered('q', 60_000, 1);
  e.answered('q', 120_000, 2);
  t.equal(e.estimateMs('q', 3), 180_000);
  e.answered('q', 0, 1);
  e.answered('q', 0, 1);
  e.answered('q', 0, 1);
  t.equal(e.estimateMs('q', 3), 0, 'rolling window forgets old samples');
});
