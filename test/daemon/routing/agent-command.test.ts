import t from 'tap';
import pino from 'pino';
import { Bus } from '../../../daemon/bus/bus.js';
import type { Config } from '../../../daemon/config/schema.js';
import { CallsExtension } from '../../../daemon/calls/calls-extension.js';
import { createServices } from '../../../daemon/services.js';
import { migratedDb } from '../../helpers/store.js';

t.test('cmd/agent-state is served by the router: pause, unpause, logout, unknown agent', async (t) => {
  const { dir, db } = await migratedDb(t);
  const bus = new Bus();
  const states: { extension: string; state: string; reason?: string }[] = [];
  bus.on('agent.state', (e) => void states.push(e.data));
  const config = { site: 's', node: 'n', lines: [], bot: { greeting: 'hi' }, agents: [{ extension: '801', name: 'A' }], storage: { dir } } as unknown as Config;
  const services = createServices({ db, config: () => config });
  const calls = new CallsExtension();
  await calls.start({ bus, db, log: pino({ level: 'silent' }), config: () => config, accepting: () => true, services });
  t.teardown(() => calls.stop());
  const enabled = new Set(['agent-state']);
  // The app's command registry, as telemetry serves it.
  const run = async (p: object) => services.commands.handle('agent-state', Buffer.from(JSON.stringify(p)), enabled);

  const r = await run({ extension: '801', action: 'pause', reason: 'lunch' });
  t.same(r, { schema: r.schema, command: 'agent-state', ok: true, result: { extension: '801', state: 'paused', reason: 'mqtt: lunch' } });
  t.same(states.at(-1), { extension: '801', state: 'paused', reason: 'mqtt: lunch' }, 'announced on the bus (agents/<ext>, agent_state_log)');
  t.equal((await run({ extension: '801', action: 'unpause' })).ok, true);
  t.equal(calls.agentPool().get('801')!.state, 'available');
  await run({ extension: '801', action: 'logout' });
  t.equal(calls.agentPool().get('801')!.state, 'logged-out');
  const bad = await run({ extension: '999', action: 'login' });
  t.equal(bad.ok, false);
  t.match(JSON.stringify(bad), /no agent with extension/);
});
