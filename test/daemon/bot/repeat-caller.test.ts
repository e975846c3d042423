import t from 'tap';
import { BotSession } from '../../../daemon/bot/dialog.js';
import type { BotConfig } from '../../../daemon/config/schema.js';

const bot: BotConfig = {
  greeting: 'welcome, press 3 for hours',
  menu: { '3': { say: 'nine to six', then: 'menu' } },
  handoff: { default_queue: 'general' },
  repeat_caller: { within: '4h', say: 'Are you calling about {topic} again? Press 1 for yes, 2 for the menu.', topics: { billing: 'your bill' } },
};

t.test('a repeat caller is asked about their last queue first', async (t) => {
  const yes = new BotSession(bot, { repeatQueue: 'billing' });
  t.match(yes.start(), { say: [{ text: 'Are you calling about your bill again? Press 1 for yes, 2 for the menu.' }], next: { kind: 'listen' } });
  t.match(yes.input({ kind: 'digit', digit: '1' }), { next: { kind: 'handoff', queue: 'billing', reason: 'menu' } });
  t.equal(yes.summary().intent, 'repeat:billing');

  const no = new BotSession(bot, { repeatQueue: 'general' });
  t.match(no.start(), { say: [{ text: /about general again/ }] }, 'a queue without a topic is said by its id');
  t.match(no.input({ kind: 'digit', digit: '2' }), { say: [{ text: 'welcome, press 3 for hours' }], next: { kind: 'listen' } }, '2: the menu');

  const straight = new BotSession(bot, { repeatQueue: 'billing' });
  straight.start();
  t.match(straight.input({ kind: 'digit', digit: '3' }), { say: [{ text: 'nine to six' }] }, 'another key is a menu choice at once');

  t.match(new BotSession(bot).start(), { say: [{ text: 'welcome, press 3 for hours' }] }, 'a new caller hears the greeting');
});
