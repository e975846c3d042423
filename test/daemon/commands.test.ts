import t from 'tap';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SECRETS_FILE } from '../../daemon/commands/check-config.js';
import { promisify } from 'node:util';
import { cliPath, fixtures, repoRoot } from '../helpers/paths.js';
import { schemaText } from '../../daemon/commands/schema.js';

const run = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

t.test('check-config accepts both examples', async (t) => {
  const demo = await run(['check-config', `${repoRoot}/config/demo.yaml`]);
  t.equal(demo.code, 0, demo.stderr);
  // As installed: /etc/frontdesk/frontdesk.yaml with secrets.env beside it (the unit's EnvironmentFile).
  const dir = t.testdir({ 'ca.pem': 'a CA certificate' });
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, (await readFile(`${repoRoot}/config/branch-office.example.yaml`, 'utf8')).replace('/etc/frontdesk/ca.pem', join(dir, 'ca.pem')));
  const unset = await run(['check-config', file]);
  t.equal(unset.code, 1);
  t.match(unset.stderr, /frontdesk\.yaml:35:15: lines\[3\]\.password: environment variable PBX_PASSWORD is not set; the service reads secrets from .*secrets\.env \(EnvironmentFile= in frontdesk\.service\): add PBX_PASSWORD=\.\.\. there/);
  await writeFile(join(dir, 'secrets.env'), '# secrets\nGSM1_PIN=1234\nPBX_PASSWORD="p w"\nMQTT_PASSWORD=m\n');
  const branch = await run(['check-config', file]);
  t.equal(branch.code, 0, branch.stderr);
  t.match(branch.stderr, /OK \(4 line\(s\), 4 agent\(s\), 2 queue\(s\); sha256 [0-9a-f]{12}; secrets from .*secrets\.env\)/);
  await writeFile(join(dir, 'other.env'), 'GSM1_PIN=12\n');
  const other = await run(['check-config', file, '--env-file', join(dir, 'other.env')]);
  t.equal(other.code, 1, '--env-file replaces the default file');
  t.match(other.stderr, /17:14: lines\[0\]\.sim_pin: "12" is not valid/);
  t.match(other.stderr, /PBX_PASSWORD is not set; the service reads secrets from .*other\.env/);
});

t.test('check-config\'s default secrets file is the one the systemd unit gives the service', async (t) => {
  const unit = await readFile(`${repoRoot}/systemd/frontdesk.service`, 'utf8');
  const envFile = /^EnvironmentFile=-?(.+)$/m.exec(unit)?.[1];
  const checked = /^ExecStartPre=.* check-config (\S+)$/m.exec(unit)?.[1];
  t.ok(envFile && checked, 'the unit has EnvironmentFile= and an ExecStartPre check-config');
  t.equal(join(dirname(checked!), SECRETS_FILE), envFile, 'secrets.env next to the config is the EnvironmentFile');
});

t.test('check-config reports a bug in a check as a sentence, never a stack trace', async (t) => {
  const dir = t.testdir({ 'x.yaml': 'a: &a [1]\nb: [*a, *a]\n' + 'c: '.concat('['.repeat(30000), ']'.repeat(30000), '\n') });
  const r = await run(['check-config', join(dir, 'x.yaml')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /x\.yaml:3:\d+: YAML: nested too deeply/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('check-config rejects every broken fixture with exit 1 and file:line:col on stderr', async (t) => {
  const dir = fixtures('config-broken');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 6);
  for (const f of files) {
    const r = await run(['check-config', `${dir}/${f}`]);
    t.equal(r.code, 1, `${f} exits 1`);
    t.match(r.stderr, new RegExp(`${f.replace('.', '\\.')}:\\d+:\\d+: `), `${f} names file:line:col`);
    t.equal(r.stdout, '', 'nothing on stdout');
  }
});

t.test('the committed JSON Schema is what `frontdesk schema` prints', async (t) => {
  const committed = await readFile(`${repoRoot}/config/frontdesk.schema.json`, 'utf8');
  t.equal(committed, schemaText(), 'run `node dist/daemon/cli.js schema > config/frontdesk.schema.json` after changing the schema');
  const r = await run(['schema']);
  t.equal(r.stdout, committed);
});

t.test('unknown command: usage and exit 2', async (t) => {
  const r = await run(['frobnicate']);
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown command: frobnicate/);
});

t.test('run refuses a broken config with its problems at file:line:col (checked in the loader worker)', async (t) => {
  for (const f of ['wrong-type.yaml', 'yaml-syntax.yaml']) {
    const check = await run(['check-config', fixtures('config-broken', f)]);
    const r = await run(['run', '-c', fixtures('config-broken', f)]);
    t.equal(r.code, 1, `${f}: exit 1`);
    t.match(r.stderr, new RegExp(`${f}:\\d+:\\d+: .*\\nfrontdesk: not starting: \\d+ problem\\(s\\) in `), `${f}: located problems, then why it does not start`);
    // The same problems check-config finds in this thread.
    const lines = (s: string): string[] => s.split('\n').filter((l) => l.includes(`${f}:`));
    t.same(lines(r.stderr), lines(check.stderr), `${f}: the same problems as check-config`);
  }
});
