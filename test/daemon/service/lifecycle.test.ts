import t, { type Test } from 'tap';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess } from '../../helpers/daemon-process.js';
import { NotifySocket } from '../../helpers/notify-socket.js';

const config = (dir: string, greeting: string): string => `site: test
node: box-1
lines:
  - id: pstn1
    kind: analog
    port: /dev/null
bot:
  greeting: "${greeting}"
storage:
  dir: ${dir}/data
logging:
  level: debug
service:
  drain_grace: 2s
`;

/** The daemon on a config in the test's dir, started the way systemd starts it (NOTIFY_SOCKET, and `env`); killed when the test ends. */
async function underSystemd(t: Test, greeting: string, env: Record<string, string> = {}): Promise<{ dir: string; file: string; notify: NotifySocket; d: DaemonProcess }> {
  const dir = t.testdir();
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, config(dir, greeting));
  const notify = await NotifySocket.start();
  t.teardown(() => notify.close());
  const d = new DaemonProcess(['run', '-c', file], { NOTIFY_SOCKET: notify.path, ...env });
  t.teardown(() => d.kill('SIGKILL'));
  return { dir, file, notify, d };
}

t.test('the real process: READY, watchdog, SIGHUP reload (invalid kept out), SIGTERM drain', async (t) => {
  const { dir, file, notify, d } = await underSystemd(t, 'first', { WATCHDOG_USEC: '400000' });

  const ready = await notify.waitFor((m) => m.includes('READY=1'));
  t.match(ready, /STATUS=config [0-9a-f]{12}/, 'READY carries a status');
  const firstHash = /config ([0-9a-f]{12})/.exec(ready)![1]!;
  await notify.waitFor((m) => m === 'WATCHDOG=1', 3000);
  t.pass('watchdog pinged while healthy');

  // An invalid config: logged with file:line:col, the old config keeps running.
  await writeFile(file, (await readFile(file, 'utf8')).replace('kind: analog', 'kind: analgo'));
  d.kill('SIGHUP');
  const rejected = await d.waitForLog((l) => l.msg.startsWith('config reload rejected'));
  t.match((rejected.errors as string[])[0], /frontdesk\.yaml:5:11: lines\[0\]\.kind: unknown kind "analgo"/);
  t.equal(rejected.keeping, firstHash, 'says which config it keeps');
  t.ok(d.alive, 'still running');
  const status = await notify.waitFor((m) => m.startsWith('STATUS=') && notify.messages.indexOf(m) > notify.messages.findIndex((x) => x.startsWith('RELOADING=1')));
  t.match(status, `config ${firstHash}`, 'still reports the old config');

  // Issue 11's blockers: a misspelt zone and weekday never reach the running box.
  await writeFile(file, `${config(dir, 'first')}timezone: Asia/Shanghia\nhours:\n  open:\n    mon-fir: "09:00-18:00"\n`);
  d.kill('SIGHUP');
  const rejected2 = await d.waitForLog((l) => l.msg.startsWith('config reload rejected') && l !== rejected);
  t.match(rejected2.errors, [/frontdesk\.yaml:15:11: timezone: "Asia\/Shanghia" is not an IANA time zone; did you mean "Asia\/Shanghai"\?/, /frontdesk\.yaml:18:5: hours\.open\.mon-fir: "mon-fir" is not a weekday spec; did you mean "mon-fri"\?/]);
  t.equal(rejected2.keeping, firstHash, 'the old config stays in force');

  // A big broken file (validated off the main thread): the first 50 problems and how many more.
  const agents = Array.from({ length: 2000 }, (_, i) => `  - extension: "${1000 + i}"\n    name: A${i}\n    skils: { x: 1 }\n`).join('');
  await writeFile(file, `${config(dir, 'first')}agents:\n${agents}`);
  d.kill('SIGHUP');
  const rejected3 = await d.waitForLog((l) => l.msg.startsWith('config reload rejected') && l !== rejected && l !== rejected2);
  const errs = rejected3.errors as string[];
  t.equal(errs.length, 51, 'the first 50 problems ...');
  t.match(errs[0], /frontdesk\.yaml:18:5: agents\[0\]\.skils: unknown key "skils"; did you mean "skills"\?/);
  t.match(errs[50], /^\.\.\. and 1950 more \(frontdesk check-config .*frontdesk\.yaml lists them all\)$/, '... and how many more');
  t.equal(rejected3.keeping, firstHash);

  // A valid new config is applied.
  await writeFile(file, config(dir, 'second'));
  d.kill('SIGHUP');
  const applied = await d.waitForLog((l) => l.msg === 'config reloaded');
  t.not(applied.hash, firstHash, 'new config in force');

  d.kill('SIGTERM');
  await notify.waitFor((m) => m.startsWith('STOPPING=1'));
  const exit = await d.exited;
  t.equal(exit.code, 0, 'exits cleanly after draining');
  t.ok(d.logs.some((l) => l.msg.startsWith('stopping: no new calls')), 'logged the drain');
});

t.test('an invalid config at start: exit 1, errors on stderr, nothing started', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, config(dir, 'x').replace('site: test', 'site: test\nsitte: oops'));
  const d = new DaemonProcess(['run', '-c', file]);
  const exit = await d.exited;
  t.equal(exit.code, 1);
  t.match(d.stderr.join('\n'), /frontdesk\.yaml:2:1: sitte: unknown key "sitte"; did you mean "site"\?/);
});

t.test('under systemd (koffi loaded for the notifier) freed malloc memory goes back to the system after start', async (t) => {
  const { notify, d } = await underSystemd(t, 'hello');
  await notify.waitFor((m) => m.includes('READY=1'));
  const trimmed = await d.waitForLog((l) => l.msg === 'memory: freed malloc pages returned to the system', 20_000);
  const before = trimmed.rssBeforeMb as number;
  const after = trimmed.rssAfterMb as number;
  t.ok(before > 0 && after > 0, `RSS read: ${before} → ${after} MB`);
  // Start-up (the config worker's parse and schema compilation) leaves MBs of freed malloc memory.
  t.ok(after < before, 'RSS went down');
});
