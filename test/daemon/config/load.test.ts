import t from 'tap';
import { readFile } from 'node:fs/promises';
import { loadConfigFile, parseConfig, ConfigError, type ConfigIssue } from '../../../daemon/config/load.js';
import { fixtures, repoRoot } from '../../helpers/paths.js';

const secrets = { GSM1_PIN: '1234', PBX_PASSWORD: 'pbx-secret', MQTT_PASSWORD: 'mqtt-secret' };

async function issuesOf(file: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigIssue[]> {
  try {
    await loadConfigFile(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

t.test('both shipped examples are valid', async (t) => {
  const demo = await loadConfigFile(`${repoRoot}/config/demo.yaml`, {});
  t.equal(demo.config.lines[0]!.kind, 'gsm');
  t.match(demo.config.storage?.dir, /frontdesk-demo\/data$/, '${VAR:-default} falls back to the default');
  // Its files (/etc/frontdesk/ca.pem) exist only on a box: check-config's test covers them there.
  const branch = await loadConfigFile(`${repoRoot}/config/branch-office.example.yaml`, secrets, { host: false });
  t.equal(branch.config.lines.length, 4);
  const pbx = branch.config.lines.find((l) => l.id === 'pbx');
  t.equal(pbx?.kind === 'sip' && pbx.password, 'pbx-secret', '${VAR} is expanded from the environment');
  t.equal(branch.hash.length, 64);
  for (const f of ['demo.yaml', 'branch-office.example.yaml']) {
    const text = await readFile(`${repoRoot}/config/${f}`, 'utf8');
    t.match(text.split('\n')[0], /^# yaml-language-server: \$schema=/, `${f} has the editor schema header`);
  }
});

// Each broken fixture: the line:col and path a person must be pointed at, and words of the message.
const cases: [string, number, number, string, RegExp][] = [
  ['yaml-syntax.yaml', 5, 11, '', /YAML/],
  ['unknown-key.yaml', 7, 5, 'lines[0].at_prot', /unknown key "at_prot"; did you mean "at_port"\?/],
  ['wrong-type.yaml', 7, 11, 'lines[0].port', /expected integer, got "five thousand"/],
  ['missing-required.yaml', 4, 5, 'lines[0]', /missing required key "port"/],
  ['unset-var.yaml', 7, 15, 'lines[0].password', /environment variable FRONTDESK_TEST_UNSET_SECRET is not set/],
  ['duplicate-line-id.yaml', 8, 9, 'lines[1].id', /duplicate line id "gsm1"/],
];

for (const [file, line, col, path, msg] of cases) {
  t.test(`broken config: ${file}`, async (t) => {
    const issues = await issuesOf(fixtures('config-broken', file));
    const first = issues[0]!;
    t.equal(first.line, line, 'line');
    t.equal(first.col, col, 'column');
    t.equal(first.path, path, 'path');
    t.match(first.message, msg);
    t.match(first.file, new RegExp(`${file}$`));
  });
}

t.test('a wrong kind of line names the kinds that exist', async (t) => {
  const text = 'site: a\nnode: b\nlines:\n  - id: x\n    kind: isdn\nbot:\n  greeting: hi\n';
  const err = t.throws(() => parseConfig(text, 'x.yaml')) as ConfigError;
  t.match(err.issues[0], { line: 5, col: 11, path: 'lines[0].kind', message: /unknown kind "isdn"; expected "gsm", "analog" or "sip"/ });
});

t.test('every problem is reported at once, in file order', async (t) => {
  const text = [
    'site: a', 'node: b', 'lines:', '  - id: g', '    kind: gsm', '    modem: nokia', '    imei: "861234567890123"',
    'queues:', '  - id: q', '    strategy: fastest', 'bot:', '  greeting: hi', '  menu:', '    "1": queue:nope', 'colour: red', '',
  ].join('\n');
  const err = t.throws(() => parseConfig(text, 'x.yaml')) as ConfigError;
  const lines = err.issues.map((i) => i.line);
  t.same(lines, [...lines].sort((a, b) => a - b), 'sorted by position');
  t.ok(err.issues.some((i) => i.path === 'lines[0].modem' && i.line === 6), 'bad modem');
  t.ok(err.issues.some((i) => i.path === 'queues[0].strategy' && i.line === 10), 'bad strategy');
  t.ok(err.issues.some((i) => i.path === 'colour' && /unknown key/.test(i.message)), 'unknown top-level key');
});

t.test('references between sections are checked', async (t) => {
  const text = 'site: a\nnode: b\nlines:\n  - id: g\n    kind: analog\n    port: /dev/ttyACM0\n    answer: queue:sales\nbot:\n  greeting: hi\n  menu:\n    "1": queue:billing\n';
  const err = t.throws(() => parseConfig(text, 'x.yaml')) as ConfigError;
  t.match(err.issues, [
    { path: 'lines[0].answer', line: 7, message: /no queue "sales"/ },
    { path: 'bot.menu["1"]', line: 11, message: /no queue "billing"/ },
  ]);
});

t.test('$${VAR} stays literal and ${VAR:-default} works', async (t) => {
  const text = 'site: a\nnode: b\nlines:\n  - id: g\n    kind: analog\n    port: ${PORT:-/dev/ttyACM9}\nbot:\n  greeting: "costs $${PRICE}"\n';
  const { config } = parseConfig(text, 'x.yaml', {});
  t.equal(config.lines[0]!.kind === 'analog' && config.lines[0]!.port, '/dev/ttyACM9');
  t.equal(config.bot.greeting, 'costs ${PRICE}');
});
