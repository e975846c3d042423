import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startConsoleBox } from '../console/rig.js';
import { eventAfter, mark } from '../../helpers/routing.js';

/**
 * Reload is two-phase: every extension prepares the new config first, and only when all could does
 * any apply it. Here the console (the last extension) refuses a config because its TLS files are
 * missing, while the same config also changes a phone line (an earlier extension): nothing of it
 * may be applied. The line is not restarted and the console keeps serving as before. The same line
 * change alone then applies.
 */
t.test('a reload one extension refuses applies nothing anywhere; the same change alone applies', async (t) => {
  const cb = await startConsoleBox();
  t.teardown(() => cb.close());
  const { box } = cb;
  const file = join(box.dir, 'frontdesk.yaml');
  const original = await readFile(file, 'utf8');
  // The line change: an echo canceller on gsm1 (a changed line is restarted when applied).
  const lineChanged = original.replace(/(\n {4}voice_port: [^\n]+)/, '$1\n    echo_cancel: 64ms');
  t.not(lineChanged, original);
  const refused = lineChanged.replace(/(\nconsole:\n {2}listen: 127\.0\.0\.1:\d+\n)/, `$1  tls: { cert: ${join(box.dir, 'missing-cert.pem')}, key: ${join(box.dir, 'missing-key.pem')} }\n`);
  t.not(refused, lineChanged);

  const before = mark(box);
  await writeFile(file, refused);
  box.daemon.kill('SIGHUP');
  const refusal = await eventAfter(box, before, 'extension refused the new config; keeping the running config everywhere', () => true, 20_000);
  t.equal(refusal.extension, 'console', 'the console refused it (its TLS files are missing)');
  await new Promise((r) => setTimeout(r, 1000)); // anything applied by mistake would be logged by now
  const after = box.daemon.logs.slice(before);
  t.notOk(after.some((l) => l.msg === 'line settings changed: restarting it'), 'the line was not restarted');
  t.notOk(after.some((l) => l.msg === 'config reloaded'));
  t.equal((await fetch(`${cb.url}/login`)).status, 200, 'the console still serves on its address, without TLS');

  const again = mark(box);
  await writeFile(file, lineChanged);
  box.daemon.kill('SIGHUP');
  await eventAfter(box, again, 'config reloaded', () => true, 20_000);
  await eventAfter(box, again, 'line settings changed: restarting it', (l) => l.lineId === 'gsm1', 5000);
  await eventAfter(box, again, 'line started', (l) => l.lineId === 'gsm1', 30_000);
  t.equal((await fetch(`${cb.url}/login`)).status, 200, 'the console serves on');
});
