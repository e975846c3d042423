import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath } from '../../helpers/paths.js';

t.test('`frontdesk demo --json`: the whole call on emulated hardware, audio verified both ways', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [cliPath, 'demo', '--json'], { timeout: 120_000, maxBuffer: 1 << 22 });
  const summary = JSON.parse(stdout) as {
    ok: boolean;
    console: { url: string; loginHome: string | null };
    calls: { outcome: string; agent: string; timestamps: Record<string, string | null>; audio: { callerToAgent: boolean; agentToCaller: boolean } }[];
  };
  t.equal(summary.ok, true);
  t.match(summary.console.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the demo turns the staff console on');
  t.equal(summary.console.loginHome, '/wallboard', 'its demo login works and lands on the wallboard');
  t.equal(summary.calls.length, 1);
  const call = summary.calls[0]!;
  t.equal(call.outcome, 'transferred');
  t.equal(call.agent, '801');
  t.same(call.audio.callerToAgent && call.audio.agentToCaller, true, 'audio verified in both directions');
  for (const [k, v] of Object.entries(call.timestamps)) t.ok(v, `timestamp ${k}`);
});
