import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../../daemon/bus/bus.js';
import type { Envelope } from '../../../daemon/bus/events.js';
import { BotSession } from '../../../daemon/bot/dialog.js';
import { parseConfig, ConfigError } from '../../../daemon/config/load.js';
import type { Context } from '../../../daemon/extension.js';
import { KnowledgeExtension } from '../../../daemon/knowledge/extension.js';
import { knowledgeKpis } from '../../../daemon/knowledge/kpi.js';
import { parseKnowledge } from '../../../daemon/knowledge/load.js';
import { createLogger } from '../../../daemon/log.js';
import { openStore } from '../../../daemon/store/store.js';
import { cliPath } from '../../helpers/paths.js';
import { sleep } from '../../helpers/net.js';
import { createServices } from '../../../daemon/services.js';
import { KB_YAML } from '../../helpers/knowledge.js';
import { startFeature } from '../../helpers/feature.js';


const config = (kbFile: string, dataDir: string, extraBot = ''): string => `site: t
node: n1
language: en-US
timezone: Asia/Shanghai
lines:
  - { id: gsm1, kind: gsm, modem: huawei, at_port: /dev/null, voice_port: /dev/null }
queues:
  - id: general
hours:
  open: { mon-fri: "09:00-18:00", sat: "09:00-12:00" }
  holidays: ["2099-10-01", "2099-10-02", "2000-01-01"]
bot:
  greeting: "Hello."
  language: en-US
  menu:
    "3": faq
    "0": agent
  handoff: { default_queue: general }${extraBot}
knowledge:
  file: ${kbFile}
  menu: { size: 3 }
speech: { worker: false }
storage: { dir: ${dataDir} }
`;

async function tmp(t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-kb-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The store and the knowledge extension in process, on a real sqlite file, with a knowledge file. */
async function rig(t: { teardown: (fn: () => unknown) => void }, kbYaml: string) {
  const dir = await tmp(t);
  await writeFile(join(dir, 'kb.yaml'), kbYaml);
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, config('kb.yaml', join(dir, 'data')));
  const cfg = parseConfig(config('kb.yaml', join(dir, 'data')), file).config;
  const db = await openStore(join(dir, 'data'));
  const kb = new KnowledgeExtension();
  const daemon = { startedAt: 0, configHash: () => '', configFile: () => file, reload: async () => ({ ok: true }), healthy: () => true, activeCalls: () => 0 };
  const { ctx, bus, store } = await startFeature(t, { db, config: () => cfg, feature: kb, daemon });
  return { dir, file, cfg, db, bus, ctx, store, kb };
}

t.test('check-config rejects a duplicate entry, naming file:line:col', async (t) => {
  const dir = await tmp(t);
  await writeFile(join(dir, 'kb.yaml'), `${KB_YAML}  - id: hours2
    ask:
      zh: [几点开门]
      en: [office hours]
    answer: { zh: "九点。", en: "Nine." }
  - id: address
    ask: { zh: [停车], en: [parking] }
    answer: { zh: "有。", en: "Yes." }
`);
  await writeFile(join(dir, 'frontdesk.yaml'), config('kb.yaml', join(dir, 'data')));
  const r = spawnSync(process.execPath, [cliPath, 'check-config', join(dir, 'frontdesk.yaml')], { encoding: 'utf8' });
  t.equal(r.status, 1, 'exit 1');
  t.match(r.stderr, new RegExp(`${join(dir, 'kb.yaml')}:38:12: entries\\[4\\]\\.ask\\.zh\\[0\\]: duplicate question "几点开门": entry "hours" asks the same \\(entries\\[0\\]\\.ask\\.zh\\[1\\]\\)`), r.stderr);
  t.match(r.stderr, /kb\.yaml:41:9: entries\[5\]\.id: duplicate entry id "address" \(first used at entries\[1\]\)/);

  // The same file without the duplicates passes, and says how many entries it holds.
  await writeFile(join(dir, 'kb.yaml'), KB_YAML);
  const ok = spawnSync(process.execPath, [cliPath, 'check-config', join(dir, 'frontdesk.yaml')], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stderr, /kb\.yaml: OK \(4 knowledge-base entries\)/);
});

t.test('missing language, unknown placeholder, unreachable entry, bad follow-up; CSV with cell positions', async (t) => {
  const cfg = parseConfig(config('kb.yaml', '/tmp/x'), 'f.yaml').config;
  const bad = `entries:
  - id: a
    ask: { zh: [营业时间], en: [opening hours] }
    answer: { zh: "{hours}" }
  - id: b
    ask: { zh: [地址], en: [address] }
    answer: { zh: "在{town}。", en: "In {town}." }
    then: queue:nope
`;
  const err = t.throws(() => parseKnowledge(bad, 'kb.yaml', cfg)) as ConfigError;
  const msgs = err.issues.map((i) => `${i.line}:${i.col}: ${i.path}: ${i.message}`);
  t.ok(msgs.some((m) => m.startsWith('4:13: entries[0].answer: no en answer')), msgs.join('\n'));
  t.ok(msgs.some((m) => m.startsWith('7:19: entries[1].answer.zh: unknown placeholder {town}')), msgs.join('\n'));
  t.ok(msgs.some((m) => m.startsWith('8:11: entries[1].then: no queue "nope"')), msgs.join('\n'));

  // then: ticket needs the tickets feature configured.
  const ticket = `entries:
  - id: lost
    ask: { zh: [挂失], en: [lost card] }
    answer: { zh: "好。", en: "OK." }
    then: ticket
`;
  const et = t.throws(() => parseKnowledge(ticket, 'kb.yaml', cfg)) as ConfigError;
  t.match(et.message, /kb\.yaml:5:11: entries\[0\]\.then: then: ticket needs a tickets section in the config/);
  const withTickets = parseConfig(`${config('kb.yaml', '/tmp/x')}tickets: { say: "Ticket {ticket}." }\n`, 'f.yaml').config;
  t.equal(parseKnowledge(ticket, 'kb.yaml', withTickets).entries[0]!.then, 'ticket', 'accepted with a tickets section');

  // Without a menu key for "faq", an entry whose only question is a handoff phrase cannot be reached.
  const noMenu = parseConfig(config('kb.yaml', '/tmp/x').replace('    "3": faq\n', ''), 'f.yaml').config;
  const shadowed = `entries:
  - id: person
    ask: { zh: [人工], en: [operator] }
    answer: { zh: "好。", en: "OK." }
`;
  const e2 = t.throws(() => parseKnowledge(shadowed, 'kb.yaml', noMenu)) as ConfigError;
  t.match(e2.message, /kb\.yaml:2:5: entries\[0\]: unreachable in zh: every question is understood as something else \(handoff\)/);
  t.doesNotThrow(() => parseKnowledge(shadowed, 'kb.yaml', cfg), 'the same entry is reachable through the menu');

  const csv = 'id,ask_zh,ask_en,answer_zh,answer_en,then\nhours,营业时间|几点开门,opening hours,"我们{hours}营业。","We are open {hours}."\nfees,收费,fees,免费,,agent\n';
  const e3 = t.throws(() => parseKnowledge(csv, 'kb.csv', cfg)) as ConfigError;
  t.match(e3.message, /kb\.csv:3:1: entries\[1\]\.answer: no en answer/);
  const okCsv = parseKnowledge(csv.replace('免费,,agent', '免费,Free.,agent'), 'kb.csv', cfg);
  t.same(okCsv.entries[0]!.ask.zh, ['营业时间', '几点开门'], 'several questions in one cell');
  t.equal(okCsv.entries[1]!.then, 'agent');
  const e4 = t.throws(() => parseKnowledge('id,question\nx,y\n', 'kb.csv', cfg)) as ConfigError;
  t.match(e4.message, /kb\.csv:1:4: unknown column "question"/);
});

t.test('20 calls through the common-questions menu: the menu learns the most-asked order; misses are kept', async (t) => {
  const { file, cfg, db, bus, ctx, store, kb } = await rig(t, KB_YAML);
  const events: Envelope[] = [];
  bus.onAny((e) => void events.push(e));

  const menuOf = (said: string): string[] => [...said.matchAll(/For ([^,]+), press (\d)/g)].filter((m) => m[1] !== 'more questions').map((m) => `${m[2]}:${m[1]}`);
  /** One call: open the menu (3), then the keys chosen from what it offers; what the bot said to each key. */
  const call = (n: number, choose: (menu: string[]) => string[]): string[] => {
    const callId = `c${n}`;
    bus.emit('call.offered', { callId, lineId: 'gsm1', caller: '+8613800000000' });
    const bot = new BotSession(cfg.bot, {
      language: 'en-US',
      knowledge: kb.current()!,
      onKnowledge: (e) => (e.type === 'kb.answered' ? bus.emit(e.type, { callId, entry: e.entry, via: e.via, language: 'en-US' }) : bus.emit(e.type, { callId, via: e.via, text: e.text })),
    });
    bot.start();
    const said = [bot.input({ kind: 'digit', digit: '3' }).say.map((s) => s.text).join(' ')];
    for (const k of choose(menuOf(said[0]!))) said.push(bot.input({ kind: 'digit', digit: k }).say.map((s) => s.text).join(' '));
    bus.emit('call.ended', { callId, outcome: 'bot-resolved', hungUpBy: 'caller' });
    return said;
  };

  const first = call(0, () => []);
  t.same(menuOf(first[0]!), ['1:opening hours', '2:our address', '3:holidays'], 'first the file order, a page of 3');
  t.match(first[0], /For more questions, press 9\. To go back, press star\./);
  // Page 2 holds the fourth entry.
  const paged = call(1, () => ['9', '1']);
  t.same(menuOf(paged[1]!), ['1:fees']);
  t.match(paged[2], /Opening an account is free\./);

  // Callers mostly want holidays, then fees, some the address; one presses a key that offers nothing.
  const plan = ['holidays', 'holidays', 'fees', 'holidays', 'address', 'fees', 'holidays', 'fees', 'holidays', 'address', 'holidays', 'fees', 'holidays', 'fees', 'holidays', 'fees', 'holidays', 'address'];
  const titles: Record<string, string> = { holidays: 'holidays', fees: 'fees', address: 'our address' };
  for (let i = 0; i < plan.length; i++) {
    const r = call(i + 2, (menu) => {
      const pos = menu.findIndex((m) => m.slice(2) === titles[plan[i]!]);
      const keys = pos >= 0 ? [String(pos + 1)] : ['9', '1'];
      return i === 5 ? ['7', ...keys] : keys;
    });
    if (i === 5) t.match(r[1], /Sorry/, 'a key that offers nothing is a no-match');
  }
  await store.flushed();
  const hits = await db.all<{ entry_id: string; hits: number }>('SELECT entry_id, hits FROM kb_hits ORDER BY hits DESC');
  t.same(hits.map((h) => [h.entry_id, h.hits]), [['holidays', 9], ['fees', 7], ['address', 3]], 'hit counts in the store');
  const now = call(500, () => ['1']);
  await store.flushed(); // the CLI below reads the file from another process
  t.same(menuOf(now[0]!), ['1:holidays', '2:fees', '3:our address'], 'after 20 calls the menu follows the hit counts');
  t.match(now[1], /We are closed on October 1, October 2\./, 'holidays from the config (past ones left out)');

  const miss = await db.get<{ via: string; text: string; count: number }>('SELECT via, text, count FROM kb_unanswered');
  t.same(miss, { via: 'menu', text: 'key 7', count: 1 }, 'the menu miss is in the unanswered list');
  const cli = spawnSync(process.execPath, [cliPath, 'knowledge', 'unanswered', '-c', file], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  t.match(cli.stdout, /^\s+1\s+menu\s+key 7 /m, 'and the installer sees it with `frontdesk knowledge unanswered`');
  const hitsCli = spawnSync(process.execPath, [cliPath, 'knowledge', 'hits', '-c', file], { encoding: 'utf8' });
  t.match(hitsCli.stdout, /^\s+10\s+holidays .*\n\s+7\s+fees .*\n\s+3\s+address /m, '`frontdesk knowledge hits` shows the counts the menu follows');

  const k = await knowledgeKpis(db, { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 1000) });
  t.same(k, { kbAnswered: 20, kbUnanswered: 1, faqHitRate: 0.9524, kbContained: 20, kbContainmentRate: 0.9524 }, 'FAQ hit rate and calls contained by the knowledge base');

  // A restart reads the counts back from the store.
  const again = new KnowledgeExtension();
  await again.start(ctx);
  t.same(again.current()!.menuOrder(), ['holidays', 'fees', 'address', 'hours']);
  await again.stop();
  t.ok(events.some((e) => e.type === 'kb.answered'), 'answers are bus events');
});

t.test('hot reload: a changed file applies, an invalid one keeps the old and raises an alarm', async (t) => {
  const dir = await tmp(t);
  const kbFile = join(dir, 'kb.yaml');
  await writeFile(kbFile, KB_YAML);
  const file = join(dir, 'frontdesk.yaml');
  const cfg = parseConfig(config('kb.yaml', join(dir, 'data')), file).config;
  const db = await openStore(join(dir, 'data'));
  const bus = new Bus();
  const alarms: boolean[] = [];
  bus.on('alarm', (e) => void (e.data.code === 'knowledge-invalid' && alarms.push(e.data.active)));
  const ctx: Context = { bus, db, log: createLogger({ level: 'silent', pretty: false }), config: () => cfg, accepting: () => true, services: createServices({ db, config: () => cfg }), daemon: { startedAt: 0, configHash: () => '', configFile: () => file, reload: async () => ({ ok: true }), healthy: () => true, activeCalls: () => 0 } };
  const kb = new KnowledgeExtension();
  await kb.start(ctx);
  t.teardown(async () => {
    await kb.stop();
    await db.close();
  });
  const ids = (): string[] => kb.current()!.entries('en').map((e) => e.id);
  const until = async (ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !ok(); i++) await sleep(50);
  };
  await writeFile(kbFile, `${KB_YAML}  - id: parking
    ask: { zh: [停车], en: [parking] }
    answer: { zh: "有停车场。", en: "There is parking." }
`);
  await until(() => ids().includes('parking'));
  t.ok(ids().includes('parking'), 'the new entry is live without a restart');
  const bot = new BotSession(cfg.bot, { language: 'en-US', knowledge: kb.current()! });
  t.equal(bot.understand('is there parking'), 'kb:parking', 'and speech understands it');

  await writeFile(kbFile, KB_YAML.replace('id: address', 'id: hours'));
  await until(() => alarms.length > 0);
  t.same(alarms, [true], 'knowledge-invalid raised');
  t.ok(ids().includes('parking'), 'the old knowledge base stays in force');

  await writeFile(kbFile, KB_YAML);
  await until(() => alarms.length > 1);
  t.same(alarms, [true, false], 'cleared once the file is valid again');
  t.notOk(ids().includes('parking'));
});

t.test('speech reaches entries (with synonyms); misunderstood speech is kept; the agent gets suggestions at handoff', async (t) => {
  const { cfg, db, bus, store, kb } = await rig(t, KB_YAML.replace('entries:', 'synonyms: { fees: [charges] }\nentries:'));
  const suggested: Envelope<'kb.suggested'>[] = [];
  bus.on('kb.suggested', (e) => void suggested.push(e));
  const callId = 's1';
  bus.emit('call.offered', { callId, lineId: 'gsm1' });
  const bot = new BotSession(cfg.bot, { language: 'en-US', knowledge: kb.current()!, onKnowledge: (e) => (e.type === 'kb.answered' ? bus.emit(e.type, { callId, entry: e.entry, via: e.via, language: 'en' }) : bus.emit(e.type, { callId, via: e.via, text: e.text })) });
  bot.start();
  const speak = (text: string): string => {
    const step = bot.input({ kind: 'speech', text });
    bus.emit('bot.turn', { callId, input: { kind: 'speech', value: text }, ...(bot.summary().intent ? { intent: bot.summary().intent! } : {}) });
    if (step.next.kind === 'handoff') bus.emit('handoff.requested', { callId, reason: step.next.reason });
    return step.say.map((s) => s.text).join(' ');
  };
  t.match(speak('when are you open on saturday'), /We are open Monday to Friday 9:00 to 18:00; Saturday 9:00 to 12:00\./, 'a question variant, config values filled in');
  t.match(speak('what are your charges'), /Opening an account is free\./, 'a synonym of the knowledge base (charges → fees)');
  t.equal(bot.summary().intent, 'kb:fees', 'the question stays the reason the agent sees');
  t.match(speak('can I bring my dog'), /Sorry/, 'not in the knowledge base');
  await store.flushed();
  t.same(await db.get('SELECT via, text, count FROM kb_unanswered'), { via: 'speech', text: 'can i bring my dog', count: 1 }, 'the utterance is kept for review');
  // The fees entry hands off to a person: the agent's screen gets the entries that match the call.
  t.equal(suggested.length, 1, 'kb.suggested at handoff');
  t.same(suggested[0]!.data.entries.map((e) => e.id).slice(0, 2), ['fees', 'hours'], 'the entries the bot answered, the latest first');
  t.match(suggested[0]!.data.entries[0]!.answer, /free/);
  t.same(kb.search('where is your address').map((e) => e.id), ['address'], 'search for the console');
});

t.test('SIGHUP (a reload with the config unchanged) re-reads the knowledge file at once', async (t) => {
  const { App } = await import('../../../daemon/app.js');
  const { loadConfigFile } = await import('../../../daemon/config/load.js');
  const dir = await tmp(t);
  const kbFile = join(dir, 'kb.yaml');
  await writeFile(kbFile, KB_YAML);
  const file = join(dir, 'frontdesk.yaml');
  await writeFile(file, config('kb.yaml', join(dir, 'data')));
  const kb = new KnowledgeExtension();
  const app = new App({ loaded: await loadConfigFile(file), log: createLogger({ level: 'silent', pretty: false }), extensions: () => [kb] });
  await app.start();
  t.teardown(() => app.stop(0));
  await writeFile(kbFile, KB_YAML.replace('We are at 1 People', 'We moved to 2 People'));
  // Before the file watcher's debounce (300 ms) could have fired:
  t.same(await app.reload(), { ok: true });
  t.match(kb.current()!.entries('en').find((e) => e.id === 'address')!.answer, /We moved to 2 People's Road/);
});

t.test('the shipped example knowledge base is valid', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { repoRoot } = await import('../../helpers/paths.js');
  // Without a menu key, so every entry must be reachable by speech, in both languages.
  const cfg = parseConfig(config('kb.yaml', '/tmp/x').replace('    "3": faq\n', ''), 'f.yaml').config;
  const kb = parseKnowledge(await readFile(join(repoRoot, 'config/knowledge.example.yaml'), 'utf8'), 'knowledge.example.yaml', cfg);
  t.equal(kb.entries.length, 4);
});
