import t from 'tap';
import pino from 'pino';
import { Bus } from '../../../daemon/bus/bus.js';
import type { Config } from '../../../daemon/config/schema.js';
import { Recorder, WriterRegistry } from '../../../daemon/store/recorder.js';
import { registerRoutingWriters } from '../../../daemon/routing/writers.js';
import { AgentPool } from '../../../daemon/routing/agents.js';
import { Callbacks } from '../../../daemon/calls/callbacks.js';
import type { EnterRequest, Router } from '../../../daemon/routing/router.js';
import { PromptResolver } from '../../../daemon/speech/prompts.js';
import { migratedDb } from '../../helpers/store.js';

t.test('a callback request is stored before it is queued, and pending ones are queued again after a restart', async (t) => {
  const { db } = await migratedDb(t);
  const writers = new WriterRegistry();
  writers.install(registerRoutingWriters);
  const bus = new Bus();
  const log = pino({ level: 'silent' });
  const recorder = new Recorder({ db, bus, log, outbox: null, writers });
  recorder.start();
  const config = { site: 's', node: 'n', lines: [], bot: { greeting: 'hi' } } as unknown as Config;
  const entered: EnterRequest[] = [];
  // The router as the callbacks see it: entering gives a ticket whose decisions never come (no agent).
  const router = { enter: (r: EnterRequest) => (entered.push(r), { next: () => new Promise(() => {}) }) } as unknown as Router;
  const agents = new AgentPool([]);
  const deps = { db, bus, log, config: () => config, router, agents, dialAgent: () => Promise.reject(new Error('no agent is rung in this test')), lines: { get: () => undefined, all: () => [] }, prompts: () => new PromptResolver() };

  const first = new Callbacks(deps);
  const since = Date.now() - 90_000;
  const id = await first.request({ callId: 'call-1', number: '+8613800000002', queue: 'general', lineId: 'gsm2', since });
  const row = await db.get<{ state: string; entered_at: string }>('SELECT state, entered_at FROM callbacks WHERE id = ?', [id]);
  t.equal(row?.state, 'pending', 'stored as soon as request() resolves');
  t.equal(row?.entered_at, new Date(since).toISOString(), 'with the caller\'s place');
  t.equal(entered.length, 1);
  first.close();

  // "Restart": a new Callbacks on the same store.
  entered.length = 0;
  const second = new Callbacks(deps);
  t.equal(await second.restore(), 1);
  t.equal(entered[0]?.kind, 'callback');
  t.equal(entered[0]?.since, since, 'the place is kept across the restart');
  t.equal(entered[0]?.caller, '+8613800000002');
  second.close();
  await recorder.stop();
  agents.close();
});
