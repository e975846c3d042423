import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { startBox } from '../../helpers/box.js';
import { cliPath } from '../../helpers/paths.js';
import { brokerAndCentral } from '../../helpers/central.js';
import { FAQ_BOT, KB_YAML } from '../../helpers/knowledge.js';

/**
 * A DTMF-only box (no speech model) answers FAQs through the common-questions menu: real GSM calls
 * through the modem emulator, keys in band. The second call's menu has learnt from the first.
 */
t.test('a DTMF-only box answers a FAQ through the common-questions menu, and the menu learns', async (t) => {
  const kbDir = await mkdtemp(join(tmpdir(), 'fd-kbe-'));
  t.teardown(() => rm(kbDir, { recursive: true, force: true }));
  await writeFile(join(kbDir, 'kb.yaml'), KB_YAML);
  const { broker, central } = await brokerAndCentral(t, ['frontdesk/test/box-1/metrics']);
  const box = await startBox({
    agents: [{ extension: '801', contact: 'sip:801@127.0.0.1:9' }],
    bot: FAQ_BOT,
    extra: `hours:\n  open: { mon-sun: "00:00-24:00" }\nknowledge:\n  file: ${join(kbDir, 'kb.yaml')}\n  menu: { size: 3, say: "Frequently asked." }\nmqtt:\n  url: ${broker.url}\n  metrics_every: 1s\n`,
  });
  t.teardown(() => box.close());
  const modem = box.emu.modem;

  /** One call: press each key once the bot has answered the previous one; the bot's replies. */
  const call = async (keys: string[]): Promise<{ callId: string; said: string[] }> => {
    const n = box.daemon.logs.filter((l) => l.msg === 'call.offered').length;
    modem.ring('+8613812345678');
    const offered = await box.event('call.offered', () => box.daemon.logs.filter((l) => l.msg === 'call.offered').length > n);
    const callId = String(offered.callId);
    await box.event('call.phase', (l) => l.callId === callId && l.phase === 'bot');
    const said: string[] = [];
    for (const [i, k] of keys.entries()) {
      modem.play(dtmfTones(k, 120, 200));
      const turn = await box.event('bot.turn', (l) => l.callId === callId && box.daemon.logs.filter((x) => x.msg === 'bot.turn' && x.callId === callId).indexOf(l) === i);
      said.push(typeof turn.say === 'string' ? turn.say : '');
    }
    modem.hangup();
    await box.event('call.ended', (l) => l.callId === callId);
    return { callId, said };
  };

  const c1 = await call(['3', '2', '7']);
  t.equal(c1.said[0], 'Frequently asked. For opening hours, press 1. For our address, press 2. For holidays, press 3. For more questions, press 9. To go back, press star.', 'the menu, in file order at first');
  t.match(c1.said[1], /^We are at 1 People's Road\. Anything else\?/, 'key 2 answers the second entry');
  t.match(c1.said[2], /^Sorry/, 'key 7 offers nothing');

  const unanswered = spawnSync(process.execPath, [cliPath, 'knowledge', 'unanswered', '--json', '-c', join(box.dir, 'frontdesk.yaml')], { encoding: 'utf8' });
  t.equal(unanswered.status, 0, unanswered.stderr);
  const rows = JSON.parse(unanswered.stdout) as { via: string; text: string; count: number; lastCallId: string }[];
  t.same(rows.map((r) => [r.via, r.text, r.count, r.lastCallId]), [['menu', 'key 7', 1, c1.callId]], 'the menu miss is in the unanswered list');

  // The address was asked once: it now comes first; the opening hours answer quotes the config.
  const c2 = await call(['3', '1', '2']);
  t.match(c2.said[0], /^Frequently asked\. For our address, press 1\. For opening hours, press 2\. For holidays, press 3\./, 'the menu follows the hit counts');
  t.match(c2.said[1], /^We are at 1 People's Road\./);
  t.match(c2.said[2], /^We are open Monday to Sunday 0:00 to 24:00\./, 'answers fill in config values');
  const cdr = await box.row<{ intent: string | null; outcome: string }>('SELECT intent, outcome FROM calls WHERE id = ?', [c2.callId], (r) => r.outcome !== null);
  t.equal(cdr.outcome, 'bot-resolved');
  const hits = await box.row<{ n: number }>("SELECT hits AS n FROM kb_hits WHERE entry_id = 'address'", [], (r) => r.n === 2);
  t.equal(hits.n, 2);

  // The knowledge-base KPIs, published with the others: 3 answers, 1 miss; both calls contained.
  await central.waitUntil(() => {
    const m = [...central.messages].reverse().find((x) => x.topic.endsWith('/metrics'));
    const k = (m?.json as { windows?: { today?: Record<string, unknown> } } | undefined)?.windows?.today;
    return k?.kbAnswered === 3 && k.kbUnanswered === 1 && k.faqHitRate === 0.75 && k.kbContained === 2 && k.kbContainmentRate === 1;
  }, 20_000, 'kbAnswered 3, kbUnanswered 1, faqHitRate 0.75, kbContained 2, kbContainmentRate 1 on metrics');
  t.pass('FAQ hit rate and calls contained by the knowledge base reach MQTT');
});
