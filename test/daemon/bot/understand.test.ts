import t from 'tap';
import { BotSession } from '../../../daemon/bot/dialog.js';
import { PhraseMatcher, Synonyms, lexiconNegativity, normalize } from '../../../daemon/bot/understand.js';
import type { BotConfig } from '../../../daemon/config/schema.js';

t.test('normalise and fuzzy phrase matching (zh, en)', async (t) => {
  t.equal(normalize('我 想 修改 密码。'), '我想修改密码', 'Vosk zh output (spaced) joins up');
  t.equal(normalize('Reset  my PASSWORD!'), 'reset my password');
  const m = new PhraseMatcher(
    [
      { value: 'pw', phrases: ['修改密码', 'reset password'] },
      { value: 'hours', phrases: ['营业时间', 'opening hours'] },
    ],
    new Synonyms(),
  );
  t.equal(m.match('我想更改密码')?.value, 'pw', '更改密码 ≈ 修改密码 (synonym)');
  t.equal(new PhraseMatcher([{ value: 'pw', phrases: ['修改密码'] }], new Synonyms({})).match('我要改密码')?.value, 'pw', '改密码: 3 of 4 characters');
  t.equal(m.match('我 想 修改 一下 密码')?.value, 'pw', 'words in between');
  t.equal(m.match('I want to reset my pasword please')?.value, 'pw', 'a misspelt word within one edit');
  t.equal(m.match('what are your opening hours')?.value, 'hours');
  t.equal(m.match('你们的营业时间是什么')?.value, 'hours');
  t.equal(m.match('今天天气很好'), undefined, 'nothing to do with anything');
  t.equal(m.match('密'), undefined, 'one character is not enough');
});

t.test('negative lexicon', async (t) => {
  t.equal(lexiconNegativity('thank you very much'), 0);
  t.ok(lexiconNegativity('this is ridiculous') > 0.7);
  t.ok(lexiconNegativity('我要投诉你们,太差了') > lexiconNegativity('我要投诉'));
});

const bot: BotConfig = {
  greeting: '您好',
  language: 'zh-CN',
  menu: { '1': 'agent' },
  faq: [{ ask: ['营业时间', 'opening hours'], say: '九点到六点' }, { ask: ['修改密码', 'reset password'], say: '请登录网站修改密码' }],
  intents: [{ id: 'billing', phrases: ['账单', '话费'], queue: 'billing', say: '正在为您转接账单组' }],
  handoff: { default_queue: 'general', when: { phrases: ['投诉'], no_match: 2, emotion: { label: 'angry', above: 0.7, for: 2 } } },
};

t.test('BotSession understands speech: FAQ, intents, handoff phrases, shared no-match', async (t) => {
  const b = new BotSession(bot);
  b.start();
  const faq = b.input({ kind: 'speech', text: '我想更改一下密码' });
  t.match(faq.say[0]?.text, /修改密码/, 'FAQ answer');
  t.equal(b.summary().intent, 'faq:修改密码');
  const intent = b.input({ kind: 'speech', text: '我想问一下话费' });
  t.same(intent.next, { kind: 'handoff', queue: 'billing', reason: 'menu' }, 'intent routes to its queue');

  const h = new BotSession(bot);
  h.start();
  t.same(h.input({ kind: 'speech', text: '转人工' }).next, { kind: 'handoff', queue: 'general', reason: 'requested' }, '转人工 hands off');
  const h2 = new BotSession(bot);
  t.same(h2.input({ kind: 'speech', text: 'can I talk to an operator' }).next.kind, 'handoff', 'operator (en) hands off');

  const n = new BotSession(bot);
  n.start();
  t.equal(n.input({ kind: 'speech', text: '今天天气很好' }).next.kind, 'listen', 'first miss: sorry');
  t.equal(n.input({ kind: 'digit', digit: '7' }).next.kind, 'handoff', 'a DTMF miss after a speech miss: the counter is shared');
  t.equal(n.summary().intent, 'no-match');

  const quiet = new BotSession(bot);
  t.same(quiet.input({ kind: 'speech' }).say, [], 'untranscribed speech changes nothing');
  t.equal(quiet.summary().noMatch, 0);
});

t.test('sustained negative emotion hands off with reason emotion', async (t) => {
  const angry = { label: 'angry', score: 0.9, scores: { angry: 0.9, negative: 0.9 } };
  const calm = { label: 'neutral', score: 0.8, scores: { neutral: 0.8, angry: 0.1, negative: 0.1 } };
  const b = new BotSession(bot);
  b.start();
  t.equal(b.input({ kind: 'speech', emotion: angry }).next.kind, 'listen', 'one angry utterance is not enough');
  t.equal(b.input({ kind: 'speech', emotion: calm }).next.kind, 'listen', 'calm again: the streak resets');
  t.equal(b.input({ kind: 'speech', emotion: angry }).next.kind, 'listen');
  t.same(b.input({ kind: 'speech', emotion: angry }).next, { kind: 'handoff', queue: 'general', reason: 'emotion' }, 'two in a row: handoff');
  t.equal(b.summary().intent, 'emotion');

  const arousalOnly = { label: 'agitated', score: 0.85, scores: { agitated: 0.85, arousal: 0.85, negative: 0.85 } };
  const c = new BotSession(bot);
  c.input({ kind: 'speech', emotion: arousalOnly });
  t.equal(c.input({ kind: 'speech', emotion: arousalOnly }).next.kind, 'handoff', 'a model without the label: its negative score counts');

  const words = new BotSession(bot);
  words.input({ kind: 'speech', text: '你们太差了', emotion: calm });
  t.same(words.input({ kind: 'speech', text: '这是什么破服务,太差劲了' }).next, { kind: 'handoff', queue: 'general', reason: 'emotion' }, 'negative words count as a negative reading');
});
