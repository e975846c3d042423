import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, ConfigError, MAX_CONFIG_BYTES, type ConfigIssue } from '../../../daemon/config/load.js';
import { isOpen, isOpenSafe } from '../../../daemon/bot/hours.js';
import { ConfigFaultsExtension } from '../../../daemon/config/faults.js';
import { Bus } from '../../../daemon/bus/bus.js';
import { createLogger } from '../../../daemon/log.js';
import { Db } from '../../../daemon/store/db.js';
import { migrate } from '../../../daemon/store/migrations.js';
import { encodeWav } from '../../../drivers/audio/wav.js';
import { createServices } from '../../../daemon/services.js';
import { tone } from '../../../drivers/audio/tones.js';

// A minimal valid config; `extra` is appended at the top level (after bot, so line numbers below are stable).
const HEAD = 'site: a\nnode: b\nlines:\n  - id: g\n    kind: analog\n    port: /dev/ttyACM0\nbot:\n  greeting: hi\n'; // 8 lines

function issues(text: string, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    parseConfig(text, 'x.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

async function fileIssues(file: string): Promise<ConfigIssue[]> {
  try {
    await loadConfigFile(file, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

/** Each bad value: where it is (line:col), the path and words of the message. */
const rejected: [string, string, number, number, string, RegExp][] = [
  ['misspelt time zone', 'timezone: Asia/Shanghia\n', 9, 11, 'timezone', /"Asia\/Shanghia" is not an IANA time zone; did you mean "Asia\/Shanghai"\?/],
  ['made-up time zone', 'timezone: Mars/Olympus\n', 9, 11, 'timezone', /not an IANA time zone \(e\.g\./],
  ['misspelt weekday in a range', 'hours:\n  open:\n    mon-fir: "09:00-18:00"\n', 11, 5, 'hours.open.mon-fir', /"mon-fir" is not a weekday spec; did you mean "mon-fri"\?/],
  ['capitalised and misspelt', 'hours:\n  open:\n    Mon-Fir: "09:00-18:00"\n', 11, 5, 'hours.open.Mon-Fir', /did you mean "mon-fri"\?/],
  ['full day name', 'hours:\n  open:\n    monday: "09:00-18:00"\n', 11, 5, 'hours.open.monday', /"monday" is not a weekday spec/],
  ['numbers for days', 'hours:\n  open:\n    "1-5": "09:00-18:00"\n', 11, 5, 'hours.open["1-5"]', /not a weekday spec/],
  ['spaces in a range', 'hours:\n  open:\n    "mon - fri": "09:00-18:00"\n', 11, 5, 'hours.open["mon - fri"]', /"mon - fri" is not a weekday spec; did you mean "mon-fri"\?/],
  ['a weekday in a list', 'hours:\n  open:\n    "mon,wend": "09:00-12:00"\n', 11, 5, 'hours.open["mon,wend"]', /did you mean "mon,wed"\?/],
  ['queue hours too', 'queues:\n  - id: q\n    hours:\n      open:\n        tues: "09:00-18:00"\n', 13, 9, 'queues[0].hours.open.tues', /did you mean "tue"\?/],
  ['time range past midnight', 'hours:\n  open:\n    sat: "18:00-09:00"\n', 11, 10, 'hours.open.sat', /ends before it starts/],
  ['a time that does not exist', 'hours:\n  open:\n    sat: ["09:00-12:00", "13:00-24:30"]\n', 11, 26, 'hours.open.sat[1]', /"13:00-24:30" has a time of day that does not exist/],
  ['holiday not in the calendar', 'hours:\n  open: { mon: "09:00-18:00" }\n  holidays: ["2026-10-01", "2026-02-30"]\n', 11, 28, 'hours.holidays[1]', /"2026-02-30" is not a day in the calendar/],
  ['national VIP number without country_code', 'priority:\n  vip_numbers: ["13900000001"]\n', 10, 17, 'priority.vip_numbers[0]', /not in E\.164 form; .*set country_code/],
  ['too short for E.164', 'priority:\n  vip_numbers:\n    - "+86139"\n', 11, 7, 'priority.vip_numbers[0]', /"\+86139" is not an E\.164 number/],
  ['RTP range the wrong way round', 'sip:\n  rtp_ports: 20999-20000\n', 10, 14, 'sip.rtp_ports', /not a usable port range/],
  ['RTP range over the SIP port', 'sip:\n  listen: 127.0.0.1:20100\n  rtp_ports: 20000-20999\n', 11, 14, 'sip.rtp_ports', /includes the SIP port 20100/],
  ['SIP port out of range', 'sip:\n  listen: 127.0.0.1:70000\n', 10, 11, 'sip.listen', /port 70000 is outside 1-65535/],
  ['callback on a line that does not exist', 'routing:\n  callback: { line: gsm9 }\n', 10, 21, 'routing.callback.line', /no line "gsm9" \(lines: g\)/],
  ['one feature code for two actions', 'routing:\n  feature_codes: { login: "*51", logout: "*51" }\n', 10, 42, 'routing.feature_codes.logout', /"\*51" is already the login code/],
  ['an address that is not one', 'sip:\n  allow_from: [192.168.10.0/24, 192.168.300.1]\n', 10, 33, 'sip.allow_from[1]', /"192\.168\.300\.1" is not an IP address/],
  ['a prefix too long', 'sip:\n  allow_from:\n    - 10.0.0.0/33\n', 11, 7, 'sip.allow_from[0]', /"\/33" is longer than an IPv4 address/],
  ['a desk phone URI with a bad port', 'agents:\n  - extension: "801"\n    name: A\n    contact: sip:801@127.0.0.1:99999\n', 12, 14, 'agents[0].contact', /not a SIP URI the box can call \(bad URI port\)/],
  ['hold music outside prompts_dir', 'queues:\n  - id: q\n    hold_music: ../../etc/passwd\n', 11, 17, 'queues[0].hold_music', /is not valid: Prompt id of the hold music/],
  ['hold music without prompts_dir', 'queues:\n  - id: q\n    hold_music: jazz\n', 11, 17, 'queues[0].hold_music', /hold music "jazz" is a recording in speech\.prompts_dir, which is not set/],
];

for (const [name, extra, line, col, path, msg] of rejected) {
  t.test(`rejected: ${name}`, async (t) => {
    const found = issues(HEAD + extra);
    t.equal(found.length, 1, JSON.stringify(found));
    t.match(found[0], { file: 'x.yaml', line, col, path, message: msg });
  });
}

t.test('weekday specs: the accepted forms, and what they mean', async (t) => {
  const ok = (spec: string): boolean => t.same(issues(`${HEAD}hours:\n  open:\n    "${spec}": "09:00-17:00"\n`), [], spec);
  for (const s of ['mon', 'Mon-Fri', 'MON-FRI', 'fri-mon', 'mon,wed,fri', 'Mon-Wed,sat', 'sun']) ok(s);
  // 2026-11-27 is a Friday; 2026-11-29 a Sunday; 2026-11-25 a Wednesday (12:00 UTC).
  const at = (d: string): Date => new Date(`${d}T12:00:00Z`);
  const open = (spec: string, d: string): boolean => isOpen({ open: { [spec]: '09:00-17:00' } }, 'UTC', at(d));
  t.ok(open('Mon-Fri', '2026-11-27'), 'capitalised range opens on Friday');
  t.notOk(open('Mon-Fri', '2026-11-29'), '... and not on Sunday');
  t.ok(open('fri-mon', '2026-11-29'), 'a range wraps round the week');
  t.notOk(open('fri-mon', '2026-11-25'), '... and leaves out the middle');
  t.ok(open('mon,wed,fri', '2026-11-25'), 'a list');
  t.notOk(open('mon,wed,fri', '2026-11-29'));
  t.ok(isOpen({ open: { sat: ['09:00-12:00', '13:00-24:00'] } }, 'UTC', new Date('2026-11-28T23:59:00Z')), '24:00 closes at midnight');
  t.throws(() => isOpen({ open: { 'mon-fir': '09:00-17:00' } }, 'UTC', at('2026-11-27')), /hours\.open\["mon-fir"\]/, 'a spec that slipped through names its key instead of opening every day');
  t.throws(() => isOpen({ open: { mon: '09:00-17:00' } }, 'Asia/Shanghia', at('2026-11-27')), /^timezone: /, 'a bad zone names the key');
});

t.test('country_code: national numbers are accepted and normalised', async (t) => {
  const { config } = parseConfig(`${HEAD}country_code: "86"\npriority:\n  vip_numbers: ["13900000001", "021 5555 0000", "+8613900000002", "008613900000003"]\n`, 'x.yaml', {});
  t.equal(config.country_code, '86');
  t.match(issues(`${HEAD}country_code: "086"\n`), [{ line: 9, col: 15, path: 'country_code' }]);
});

t.test('schema errors and cross-reference errors come together, sorted by line', async (t) => {
  const text = `${HEAD.replace('  greeting: hi\n', '  greeting: hi\n  menu:\n    "1": queue:billing\n')}timezone: Europe/Berln\nqueues:\n  - id: general\n    strategy: fastest\n`;
  const found = issues(text);
  t.same(
    found.map((i) => `${i.line}:${i.col} ${i.path}`),
    ['10:10 bot.menu["1"]', '11:11 timezone', '14:15 queues[0].strategy'],
  );
  t.match(found[0]!.message, /no queue "billing" \(queues: general\)/);
  t.match(found[1]!.message, /did you mean "Europe\/Berlin"/);
  t.match(found[2]!.message, /expected "longest-idle" or "round-robin" or .* or "random", got "fastest"/, 'one sentence for a union of words');
});

t.test('an unset variable says where it should come from', async (t) => {
  const [i] = issues(`${HEAD}mqtt:\n  url: mqtt://127.0.0.1:1883\n  password: \${MQTT_PASSWORD}\n`);
  t.match(i, { line: 11, col: 13, path: 'mqtt.password', message: /MQTT_PASSWORD is not set; set it in the environment \(the service reads \/etc\/frontdesk\/secrets\.env/ });
  const [j] = (() => {
    try {
      parseConfig(`${HEAD}mqtt:\n  url: mqtt://127.0.0.1:1883\n  password: \${MQTT_PASSWORD}\n`, 'x.yaml', {}, { envFile: '/etc/frontdesk/secrets.env' });
    } catch (err) {
      return (err as ConfigError).issues;
    }
    return [];
  })();
  t.match(j?.message, /add MQTT_PASSWORD=\.\.\. there/);
});

t.test('files the config points at: hold music, prompts, TLS, the espeak-ng voice', async (t) => {
  const dir = t.testdir();
  await mkdir(join(dir, 'prompts'));
  await writeFile(join(dir, 'prompts', 'jazz.wav'), encodeWav(tone([440], 200, -12), 8000));
  await writeFile(join(dir, 'prompts', 'broken.wav'), 'not a wav');
  const file = join(dir, 'frontdesk.yaml');
  const body = (hold: string, extra = ''): string =>
    `${HEAD.replace('  greeting: hi\n', `  greeting: hi\n  menu:\n    "1": { prompt: opening-hours }\n    "2": { prompt: hello, say: Hello }\n`)}queues:\n  - id: q\n    hold_music: ${hold}\nspeech:\n  prompts_dir: ${join(dir, 'prompts')}\n  tts: { voice: en }\n${extra}`;
  await writeFile(file, body('jazz'));
  let found = await fileIssues(file);
  t.same(found.map((i) => `${i.line}:${i.col} ${i.path}`), ['10:20 bot.menu["1"].prompt'], 'a prompt without text must exist; one with text falls back to TTS');
  t.match(found[0]!.message, /prompt "opening-hours" not found: no .*opening-hours\.en\.wav or .*opening-hours\.wav/);

  await writeFile(join(dir, 'prompts', 'opening-hours.wav'), encodeWav(tone([440], 200, -12), 8000));
  await writeFile(file, body('jazzz', `mqtt:\n  url: mqtts://127.0.0.1:8883\n  ca: ${join(dir, 'ca.pem')}\n  cert: ${join(dir, 'prompts', 'jazz.wav')}\n`));
  found = await fileIssues(file);
  t.same(found.map((i) => `${i.line}:${i.col} ${i.path}`), ['14:17 queues[0].hold_music', '20:7 mqtt.ca', '21:9 mqtt.cert']);
  t.match(found[0]!.message, /hold music "jazzz" not found: no .*jazzz\.wav/);
  t.match(found[1]!.message, /cannot read .*ca\.pem: ENOENT/);
  t.match(found[2]!.message, /needs both mqtt\.cert and mqtt\.key/);

  await writeFile(file, body('broken').replace('voice: en', 'voice: englsh'));
  found = await fileIssues(file);
  t.same(found.map((i) => `${i.line}:${i.col} ${i.path}`), ['14:17 queues[0].hold_music', '17:17 speech.tts.voice']);
  t.match(found[0]!.message, /not a WAV file the box can play/);
  t.match(found[1]!.message, /espeak-ng has no voice "englsh"/);
});

t.test('loader bounds: size, aliases, nesting; never a crash', async (t) => {
  const dir = t.testdir();
  const big = join(dir, 'big.yaml');
  await writeFile(big, `${HEAD}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
  t.match(await fileIssues(big), [{ line: 1, col: 1, message: /a config may be at most 1048576 bytes/ }]);

  const bomb = `${HEAD}x-a: &a [x, x, x, x, x, x, x, x, x, x]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nx-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
  t.match(issues(bomb), [{ line: 10, col: 10, message: /YAML: aliases expand too often .*alias bomb/ }]);

  t.match(issues(`${HEAD}  goodbye: *bye\n`), [{ line: 9, col: 12, message: /YAML: alias \*bye has no anchor &bye before it/ }]);

  const deep = `${HEAD}x: ${'['.repeat(100)}${']'.repeat(100)}\n`;
  t.match(issues(deep), [{ line: 9, col: 67, message: /YAML: nested more than 64 levels deep/ }]);
  const deeper = `${HEAD}x: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
  const d = issues(deeper);
  t.equal(d[0]?.line, 9);
  t.match(d[0]?.message, /YAML: nested too deeply to read/);
});

t.test('a config error that slips through at run time: open (the caller reaches a person), one alarm naming the key, a log line saying what to fix', async (t) => {
  const alarms: { source: string; message: string }[] = [];
  const logs: string[] = [];
  const sink = { alarm: (a: { source: string; message: string }) => alarms.push(a), log: { error: (_o: object, msg: string) => logs.push(msg) } };
  const cfg = {};
  const at = new Date('2026-11-29T03:00:00Z'); // a Sunday: closed by these hours if they were understood
  t.equal(isOpenSafe(cfg, { open: { 'mon-fri': '09:00-17:00' } }, 'Asia/Shanghia', at, sink), true, 'treated as open');
  t.equal(isOpenSafe(cfg, { open: { 'mon-fri': '09:00-17:00' } }, 'Asia/Shanghia', at, sink), true);
  t.match(alarms, [{ code: 'config-error', source: 'timezone', severity: 'critical', message: /^timezone: .*Asia\/Shanghia.*; calls are treated as within business hours/ }], 'one alarm per config and key');
  t.match(logs, [/fix timezone in the config file/, /fix timezone/]);
  isOpenSafe(cfg, { open: { 'sun-fir': '09:00-17:00' } }, 'UTC', at, sink);
  t.match(alarms[1], { source: 'hours.open["sun-fir"]' });
  isOpenSafe(cfg, { open: { 'sun-fir': '09:00-17:00' } }, 'UTC', at, sink, 'queues[2].hours');
  t.match(alarms[2], { source: 'queues[2].hours.open["sun-fir"]' }, 'a queue\'s hours name the queue');
  t.equal(isOpenSafe({}, { open: { 'mon-fri': '09:00-17:00' } }, 'UTC', at, sink), false, 'a good config is untouched');
});

t.test('map keys have a form too: menu keys, skills; a union of shapes fails in one sentence', async (t) => {
  const text = `${HEAD}  menu:\n    "12": agent\n    "1": { menu: { say: sub, keys: { "a": back } } }\nagents:\n  - extension: "801"\n    name: A\n    skills: { "bad skill": 2 }\nhours:\n  open:\n    sat: 5\nqueues:\n  - id: q\n    overflow: 7\n`;
  const found = issues(text);
  t.same(
    found.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`),
    [
      '10:5 bot.menu["12"]: "12" is not a valid key here: one DTMF key: 0-9, * or #',
      '11:38 bot.menu["1"].menu.keys.a: "a" is not a valid key here: one DTMF key: 0-9, * or #',
      '15:15 agents[0].skills["bad skill"]: "bad skill" is not a valid key here: letters, digits, _ and -',
      '18:10 hours.open.sat: expected string or array, got number 5',
      '21:15 queues[0].overflow: expected object, got number 7',
    ],
    'and no cross-reference noise below a value the schema refused (overflow.to)',
  );
});

t.test('what happens after an FAQ answer or a captured slot is checked like a menu action', async (t) => {
  const text = `${HEAD}  faq:\n    - ask: [hours]\n      say: nine to five\n      then: queue:sales\n  collect:\n    order: { say: number please, kind: digits, then: agnet }\nqueues:\n  - id: general\n`;
  t.same(
    issues(text).map((i) => `${i.line}:${i.col} ${i.path}`),
    ['12:13 bot.faq[0].then', '14:54 bot.collect.order.then'],
  );
  t.match(issues(text), [{ message: /no queue "sales" \(queues: general\)/ }, { message: /"agnet" is not valid: What happens next/ }]);
});

t.test('config-error alarms left from the last run are cleared at start (the new config passed the loader)', async (t) => {
  const dir = t.testdir();
  const db = await Db.open(join(dir, 'f.db'));
  t.teardown(() => db.close());
  await migrate(db);
  await db.run("INSERT INTO alarms (code, source, active, severity, message, raised_at) VALUES ('config-error', 'timezone', 1, 'critical', 'x', '2026-11-29T00:00:00Z'), ('disk-low', '', 1, 'warning', 'y', '2026-11-29T00:00:00Z')");
  const bus = new Bus();
  const seen: unknown[] = [];
  bus.on('alarm', (e) => {
    seen.push(e.data);
  });
  const ext = new ConfigFaultsExtension();
  await ext.start({ bus, db, log: createLogger({ level: 'silent', pretty: false }), config: () => ({}) as never, accepting: () => true, services: createServices({ db, config: () => ({}) as never }) });
  t.match(seen, [{ code: 'config-error', source: 'timezone', active: false }], 'only config-error alarms are cleared');
  t.equal(seen.length, 1);
});

t.test('menu labels and personalise: zh/en texts; a personalised menu needs two labelled options', async (t) => {
  const ok = `${HEAD.replace('  greeting: hi\n', '  greeting: { zh: 您好, en: hi }\n  menu_personalise: true\n  menu:\n    "1": { label: { zh: 账单, en: billing }, say: bill }\n    "2": { label: hours, label_prompt: offer-hours, then: agent }\n')}`;
  t.same(issues(ok), [], 'labels as text or zh/en, a recorded offer');
  const one = `${HEAD.replace('  greeting: hi\n', '  greeting: hi\n  menu:\n    "3": { say: x, menu: { say: y, personalise: true, keys: { "1": { label: a, say: b }, "2": agent } } }\n')}`;
  t.match(issues(one), [{ path: 'bot.menu["3"].menu.personalise', message: /give at least two of its options a label \(1 labelled\)/ }]);
  t.match(issues(`${HEAD.replace('  greeting: hi\n', '  greeting: { fr: salut }\n')}`), [{ path: 'bot.greeting' }], 'only zh and en versions');
});

t.test('a recorded offer without a label text must exist', async (t) => {
  const dir = t.testdir();
  await mkdir(join(dir, 'prompts'));
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, `${HEAD.replace('  greeting: hi\n', '  greeting: hi\n  menu:\n    "1": { label_prompt: offer-hours, say: a }\n    "2": { label: fees, label_prompt: offer-fees, say: b }\n')}speech:\n  prompts_dir: ${join(dir, 'prompts')}\n  tts: { voice: en }\n`);
  const found = await fileIssues(file);
  t.same(found.map((i) => `${i.line}:${i.col} ${i.path}`), ['10:26 bot.menu["1"].label_prompt'], 'with a label it falls back to TTS');
  t.match(found[0]!.message, /prompt "offer-hours" not found: no .*offer-hours\.en\.wav or .*offer-hours\.wav/);
});

t.test('analog ringback timers longer than a voice modem takes are refused', async (t) => {
  const text = HEAD.replace('    port: /dev/ttyACM0\n', '    port: /dev/ttyACM0\n    ringback_gone: 30s\n    ringback_never: 25s\n');
  const found = issues(text);
  t.equal(found.length, 1, JSON.stringify(found));
  t.match(found[0], { line: 7, path: 'lines[0].ringback_gone', message: /"30s" is longer than a voice modem's AT\+VRA timer goes \(at most 25\.5s\)/ });
  t.same(issues(HEAD.replace('    port: /dev/ttyACM0\n', '    port: /dev/ttyACM0\n    ringback_gone: 4.5s\n    ringback_never: 26s\n')).map((i) => i.path), ['lines[0].ringback_never']);
});

t.test('analog/GSM echo and silence keys: bad values are refused at line:col, SIP lines have none', async (t) => {
  const analog = (key: string): ConfigIssue[] => issues(HEAD.replace('    port: /dev/ttyACM0\n', `    port: /dev/ttyACM0\n    ${key}\n`));
  const at = (found: ConfigIssue[]): string[] => found.map((i) => `${i.line}:${i.col} ${i.path}`);
  // Form (schema): every one at line 7, where the value starts.
  for (const [key, col] of [['echo_cancel: on', 18], ['echo_cancel: 128', 18], ['silent_caller_hangup: never', 27], ['silence_events: -1', 21], ['silence_events: 21', 21], ['silence_events: two', 21]] as const) {
    const found = analog(key);
    t.same(at(found), [`7:${col} lines[0].${key.split(':')[0]!}`], key);
  }
  // Meaning (value check): a tail the canceller cannot take, a backstop that would end every call.
  t.match(analog('echo_cancel: 2s'), [{ line: 7, col: 18, path: 'lines[0].echo_cancel', message: /"2s" is not an echo tail the canceller takes \(20ms-500ms/ }]);
  t.match(analog('echo_cancel: 10ms'), [{ line: 7, col: 18, path: 'lines[0].echo_cancel' }]);
  t.match(analog('silent_caller_hangup: 0s'), [{ line: 7, col: 27, path: 'lines[0].silent_caller_hangup', message: /"0s" is too short .*at least 1s/ }]);
  for (const ok of ['echo_cancel: "off"', 'echo_cancel: 64ms', 'echo_cancel: 256ms', 'silent_caller_hangup: "off"', 'silent_caller_hangup: 45s', 'silence_events: 0', 'silence_events: 3']) t.same(analog(ok), [], ok);
  const gsm = 'site: a\nnode: b\nlines:\n  - id: g\n    kind: gsm\n    modem: quectel\n    at_port: /dev/ttyUSB2\n    echo_cancel: 1m\nbot:\n  greeting: hi\n';
  t.match(issues(gsm), [{ line: 8, col: 18, path: 'lines[0].echo_cancel' }], 'GSM lines too');
  t.same(issues(gsm.replace('echo_cancel: 1m', 'echo_cancel: 64ms')), [], 'a GSM module without its own canceller');
  const sip = 'site: a\nnode: b\nlines:\n  - id: s\n    kind: sip\n    echo_cancel: 128ms\nbot:\n  greeting: hi\n';
  const found = issues(sip);
  t.ok(found.some((i) => i.line === 6 && /echo_cancel/.test(`${i.path} ${i.message}`)), `SIP lines take no echo_cancel: ${JSON.stringify(found.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`))}`);
});
