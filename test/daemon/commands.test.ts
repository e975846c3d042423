import t from 'tap';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
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
  const branch = await run(['check-config', `${repoRoot}/config/branch-office.example.yaml`], { GSM1_PIN: '1234', PBX_PASSWORD: 'p', MQTT_PASSWORD: 'm' });
  t.equal(branch.code, 0, branch.stderr);
  t.match(branch.stderr, /OK \(4 line\(s\), 4 agent\(s\), 2 queue\(s\)/);
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
