import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfTones } from '../../../drivers/audio/tones.js';
import { startPhone } from '../../helpers/baresip.js';
import { KB_YAML } from '../../helpers/knowledge.js';
import { eventAfter, mark, ringToBot } from '../../helpers/routing.js';
import { launchChromium, pageAs, shotDir, startConsoleBox } from './rig.js';

const CALLER = '+8613812340000';
const BOT = `  greeting: "Welcome. For common questions press 3, or 0 for a person."
  language: en-US
  menu:
    "3": faq
    "0": agent
  menu_prompt: "Press 0 for a person."
  handoff:
    say: "Please hold."
    default_queue: general`;

t.test('the workbench shows the knowledge entries matching the caller\'s reason, and searches the knowledge base (en, zh)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-kbc-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'kb.yaml'), KB_YAML);
  const phone = await startPhone({ user: '801', answer: 'manual' });
  t.teardown(() => phone.stop());
  const cb = await startConsoleBox({
    agents: [
      { extension: '801', contact: phone.uri, extra: 'wrap_up: 0s' },
      // The console's second agent login; logged out, so 801 is the one rung.
      { extension: '802', contact: 'sip:802@127.0.0.1:9', extra: 'logged_in: false' },
    ],
    bot: BOT,
    ringTimeout: '60s',
    extra: `knowledge:\n  file: ${join(dir, 'kb.yaml')}\n`,
  });
  t.teardown(() => cb.close());
  const { box, url } = cb;
  const shots = await shotDir();
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { page: work } = await pageAs(browser, url, 'ann', 'en');
  await work.waitForSelector('#agent-state[data-state="available"]');
  await work.waitForSelector('#kb-card:not(.hidden)');
  t.equal(await work.textContent('#kb-suggested'), 'No entry matches this call yet.', 'no call, no suggestion');

  // The caller asks about fees in the common-questions menu; that entry hands off (then: agent).
  const from = mark(box);
  const callId = await ringToBot(box, 0, CALLER);
  box.emu.modem.play(dtmfTones('3', 120, 200));
  await eventAfter(box, from, 'bot.turn', (l) => l.callId === callId && /For fees, press 4/.test(String(l.say)));
  box.emu.modem.play(dtmfTones('4', 120, 200));
  const suggested = await eventAfter(box, from, 'kb.suggested', (l) => l.callId === callId);
  t.equal((suggested.entries as { id: string }[])[0]?.id, 'fees', 'kb.suggested at handoff: the entry the caller asked about first');
  await phone.waitEvent('CALL_INCOMING', 15_000);

  // The ringing workbench shows it: title and the answer the bot gave.
  await work.waitForSelector(`#kb-suggested[data-call-id="${callId}"] [data-entry="fees"]`);
  t.match(await work.textContent('#kb-suggested'), /Matching the caller's reason.*fees.*Opening an account is free\./s, 'the entry, with its answer');
  t.ok(await work.$('#pop.ringing-banner'), 'while the phone rings');

  // The agent looks something else up.
  await work.fill('#kb-q', 'where are you');
  await work.click('#kb-search');
  await work.waitForSelector('#kb-results-list [data-entry="address"]');
  t.match(await work.textContent('#kb-results'), /our address.*1 People's Road/s, 'search finds the address entry');
  await work.fill('#kb-q', 'zebra crossing');
  await work.click('#kb-search');
  await work.waitForSelector('#kb-results:has-text("No matching entry.")');
  t.pass('a search with no match says so');
  await work.fill('#kb-q', 'where are you');
  await work.click('#kb-search');
  await work.waitForSelector('#kb-results-list [data-entry="address"]');
  await work.screenshot({ path: join(shots, 'workbench-knowledge-en.png') });

  // Chinese: the same card, in Chinese (entries in the box's language).
  await work.click('#lang');
  await work.waitForSelector('#kb-card h2:has-text("知识库")');
  await work.waitForSelector(`#kb-suggested[data-call-id="${callId}"] [data-entry="fees"]`);
  t.match(await work.textContent('#kb-suggested'), /与来电原因相关的条目/, 'zh heading');
  t.equal(await work.getAttribute('#kb-q', 'placeholder'), '搜索知识库');

  // The caller hangs up: the card empties.
  box.emu.modem.hangup();
  await eventAfter(box, from, 'call.ended', (l) => l.callId === callId, 20_000);
  await work.waitForSelector('#kb-suggested:has-text("暂无与本次来电相关的条目。")');
  t.pass('no call, no suggestion again');
});
