import t from 'tap';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { distRoot } from '../../helpers/paths.js';

const script = resolve(distRoot, 'test/helpers/fault-process.js');

function run(mode: string): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const p = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* not ours */
    }
  });
  return new Promise((r) => p.on('close', (code) => r({ code, lines })));
}

t.test('an uncaught exception and an unhandled rejection are logged with context, alarmed, and the process lives on', async (t) => {
  const { code, lines } = await run('faults');
  t.equal(code, 0, 'the process ran to its own end');
  t.ok(lines.some((l) => l.alive), 'still alive after both faults');
  const exc = lines.find((l) => l.kind === 'uncaughtException');
  const rej = lines.find((l) => l.kind === 'unhandledRejection');
  t.match(exc, { level: 50, origin: 'uncaughtException', activeCalls: 2, err: { message: 'boom from a timer', stack: /fault-process/ } }, 'the exception: message, stack, origin, calls at stake');
  t.match(rej, { level: 50, activeCalls: 2, err: { message: 'boom from a promise' } }, 'the rejection: message and context');
  const alarms = lines.filter((l) => l.alarm).map((l) => l.alarm as { code: string; active: boolean; message: string });
  t.match(alarms[0], { code: 'process-fault', active: true }, 'the process-fault alarm is raised');
  t.match(alarms[alarms.length - 1], { code: 'process-fault', active: false }, 'and cleared after a quiet period');
});

t.test('a storm of faults (a loop) exits with 70 for systemd to restart a clean process', async (t) => {
  const { code, lines } = await run('storm');
  t.equal(code, 70);
  t.ok(lines.some((l) => l.level === 60 && /too many unexpected errors/.test(String(l.msg))), 'says why, at fatal');
});
