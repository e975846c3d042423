import t from 'tap';
import { BotSession } from '../../../daemon/bot/dialog.js';
import type { BotConfig } from '../../../daemon/config/schema.js';

const bot: BotConfig = {
  greeting: 'welcome',
  menu: {
    '1': { say: 'hours are nine to six', then: 'menu' },
    '2': { queue: 'billing' },
    '3': { say: 'sub', menu: { say: 'press 1 for x', keys: { '1': { say: 'x!' }, '9': 'back' } } },
    '4': 'collect:phone',
  },
  menu_prompt: 'anything else?',
  collect: { phone: { say: 'your number please', kind: 'digits', length: 11 } },
  handoff: { say: 'transferring', default_queue: 'general', when: { no_match: 2, no_input: 3 } },
  no_input: { repeats: 1 },
  goodbye: 'bye',
};

t.test('greeting, a menu answer, then 0 hands off to the default queue', async (t) => {
  const s = new BotSession(bot);
  t.match(s.start(), { say: [{ text: 'welcome' }], next: { kind: 'listen' } });
  t.match(s.input({ kind: 'digit', digit: '1' }), { say: [{ text: 'hours are nine to six' }, { text: 'anything else?' }], next: { kind: 'listen' } });
  t.match(s.input({ kind: 'digit', digit: '0' }), { next: { kind: 'handoff', queue: 'general', reason: 'requested' } });
  t.match(s.summary(), { intent: 'agent', menuPath: '1>0' });
});

t.test('a menu key that names a queue hands off there', async (t) => {
  const s = new BotSession(bot);
  s.start();
  t.match(s.input({ kind: 'digit', digit: '2' }), { next: { kind: 'handoff', queue: 'billing', reason: 'menu' } });
});

t.test('sub-menus and back', async (t) => {
  const s = new BotSession(bot);
  s.start();
  t.match(s.input({ kind: 'digit', digit: '3' }), { say: [{ text: 'sub' }, { text: 'press 1 for x' }] });
  t.match(s.input({ kind: 'digit', digit: '1' }), { say: [{ text: 'x!' }] });
  t.match(s.input({ kind: 'digit', digit: '9' }), { say: [{ text: 'welcome' }] });
});

t.test('two misunderstandings in a row hand off', async (t) => {
  const s = new BotSession(bot);
  s.start();
  t.match(s.input({ kind: 'digit', digit: '7' }), { next: { kind: 'listen' } });
  t.match(s.input({ kind: 'digit', digit: '8' }), { next: { kind: 'handoff', reason: 'no-match', queue: 'general' } });
});

t.test('no input repeats the prompt, then hands off', async (t) => {
  const s = new BotSession(bot);
  s.start();
  t.match(s.input({ kind: 'timeout' }), { say: [{}, { text: 'welcome' }], next: { kind: 'listen' } });
  t.match(s.input({ kind: 'timeout' }), { next: { kind: 'handoff', reason: 'no-input' } });
});

t.test('digits are collected into a slot', async (t) => {
  const s = new BotSession(bot);
  s.start();
  t.match(s.input({ kind: 'digit', digit: '4' }), { say: [{ text: 'your number please' }] });
  for (const d of '1380013800') s.input({ kind: 'digit', digit: d });
  t.match(s.input({ kind: 'digit', digit: '0' }), { say: [{ text: 'anything else?' }], next: { kind: 'listen' } });
  t.same(s.summary().slots, { phone: '13800138000' });
});

t.test('VIP callers go straight to a human', async (t) => {
  const s = new BotSession(bot, { vip: true });
  t.match(s.start(), { next: { kind: 'handoff', reason: 'vip' } });
});
