import t from 'tap';
import { execFile } from 'node:child_process';
import { access, readFile, writeFile, stat, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers/paths.js';

const exec = promisify(execFile);

t.test('install.sh stages a complete install into DESTDIR and is idempotent', async (t) => {
  const stage = t.testdir();
  const env = { ...process.env, DESTDIR: stage };
  await exec('bash', [`${repoRoot}/scripts/install.sh`], { env, maxBuffer: 1 << 24 });
  for (const f of [
    'opt/frontdesk/dist/daemon/cli.js',
    'opt/frontdesk/config/frontdesk.schema.json',
    'opt/frontdesk/node_modules/sqlite3/package.json',
    'etc/frontdesk/frontdesk.yaml',
    'etc/frontdesk/secrets.env',
    'etc/systemd/system/frontdesk.service',
    'usr/lib/sysusers.d/frontdesk.conf',
    'etc/udev/rules.d/99-frontdesk-modems.rules',
  ]) {
    await t.resolves(access(`${stage}/${f}`), f);
  }
  await t.rejects(access(`${stage}/opt/frontdesk/node_modules/tap`), 'dev dependencies pruned');
  await t.rejects(access(`${stage}/opt/frontdesk/dist/test`), 'tests not installed');
  t.equal(await readlink(`${stage}/usr/local/bin/frontdesk`), '/opt/frontdesk/dist/daemon/cli.js');
  t.equal((await stat(`${stage}/etc/frontdesk/secrets.env`)).mode & 0o777, 0o640, 'secrets not world-readable');
  const yaml = await readFile(`${stage}/etc/frontdesk/frontdesk.yaml`, 'utf8');
  t.match(yaml.split('\n')[0], '$schema=/opt/frontdesk/config/frontdesk.schema.json', 'editor schema points at the installed schema');

  // The installed program runs and validates the installed config.
  const { stderr } = await exec(process.execPath, [`${stage}/opt/frontdesk/dist/daemon/cli.js`, 'check-config', `${stage}/etc/frontdesk/frontdesk.yaml`], {
    env: { ...process.env, GSM1_PIN: '1234', PBX_PASSWORD: 'x', MQTT_PASSWORD: 'y' },
  });
  t.match(stderr, /OK/);

  // Re-running keeps the installer's edits.
  await writeFile(`${stage}/etc/frontdesk/frontdesk.yaml`, `${yaml}\n# edited by the installer\n`);
  await exec('bash', [`${repoRoot}/scripts/install.sh`], { env, maxBuffer: 1 << 24 });
  t.match(await readFile(`${stage}/etc/frontdesk/frontdesk.yaml`, 'utf8'), /edited by the installer/);
});

t.test('systemd accepts the unit and rates its exposure at most 2.5', async (t) => {
  try {
    await exec('systemd-analyze', ['--version']);
  } catch {
    t.comment('systemd-analyze is not available here; unit not checked');
    return;
  }
  const unit = `${repoRoot}/systemd/frontdesk.service`;
  const verify = await exec('systemd-analyze', ['verify', unit]).then((r) => r.stderr, (e: { stderr: string }) => `FAILED ${e.stderr}`);
  t.notMatch(verify, /frontdesk\.service.*(error|unknown|failed|FAILED)/i, verify || 'verify clean');
  const sec = await exec('systemd-analyze', ['security', '--offline=yes', unit]).then((r) => r.stdout, (e: { stdout: string }) => e.stdout);
  const m = /Overall exposure level for frontdesk\.service: ([0-9.]+)/.exec(sec);
  t.ok(m, 'exposure reported');
  t.ok(Number(m?.[1]) <= 2.5, `exposure ${m?.[1]} ≤ 2.5`);
});
