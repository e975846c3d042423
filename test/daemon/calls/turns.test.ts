import t from 'tap';
import { Turns } from '../../../daemon/calls/turns.js';

/**
 * Call set-ups take turns with the audio timers: handed out in arrival order, as many per event-loop
 * iteration as fit in the budget (not one per iteration: that capped set-ups at the loop's rate, below
 * 300 calls/s under load), and a burst of costly ones leaves room for timers in between.
 */

/** Event-loop iterations so far: an immediate re-armed from itself runs once per iteration. */
function iterations(): { readonly n: number; stop(): void } {
  const c = { n: 0, timer: undefined as NodeJS.Immediate | undefined };
  const tick = (): void => {
    c.n++;
    c.timer = setImmediate(tick);
  };
  c.timer = setImmediate(tick);
  return {
    get n() {
      return c.n;
    },
    stop: () => clearImmediate(c.timer),
  };
}

t.test('cheap set-ups in a burst: all handed out in order, within a few iterations', async (t) => {
  const turns = new Turns(2);
  const loop = iterations();
  const order: number[] = [];
  const at: number[] = [];
  await Promise.all(Array.from({ length: 200 }, (_, i) => turns.take().then(() => (order.push(i), at.push(loop.n)))));
  loop.stop();
  t.same(order, Array.from({ length: 200 }, (_, i) => i), 'in arrival order');
  t.ok(at[at.length - 1]! - at[0]! <= 3, `200 set-ups within ${at[at.length - 1]! - at[0]!} iterations (one per iteration would take 200)`);
});

t.test('costly set-ups in a burst: the loop goes round (timers, sockets) between stretches of about the budget', async (t) => {
  const turns = new Turns(2);
  const loop = iterations();
  const at: number[] = [];
  await Promise.all(
    Array.from({ length: 30 }, () =>
      turns.take().then(() => {
        at.push(loop.n);
        const until = performance.now() + 1; // a set-up that takes 1 ms of CPU
        while (performance.now() < until);
      }),
    ),
  );
  loop.stop();
  const perIteration = new Map<number, number>();
  for (const n of at) perIteration.set(n, (perIteration.get(n) ?? 0) + 1);
  const most = Math.max(...perIteration.values());
  t.ok(most <= 3, `at most ${most} set-ups of 1 ms per iteration (budget 2 ms)`);
  t.ok(perIteration.size >= 10, `the burst spread over ${perIteration.size} iterations`);
});
