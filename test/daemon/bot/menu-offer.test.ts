import t from 'tap';
import { BotSession } from '../../../daemon/bot/dialog.js';
import { favourites } from '../../../daemon/bot/menu-offer.js';
import { callLanguage, voiceFor } from '../../../daemon/bot/language.js';
import type { BotConfig } from '../../../daemon/config/schema.js';

const bot: BotConfig = {
  greeting: { zh: '您好。', en: 'Welcome.' },
  language: 'zh-CN',
  menu_personalise: true,
  menu: {
    '0': { label: { zh: '人工服务', en: 'a person' }, then: 'agent' },
    '2': { label: { zh: '账单', en: 'billing' }, say: '账单。' },
    '1': { label: { zh: '营业时间', en: 'opening hours' }, say: { zh: '九点到六点。', en: 'Nine to six.' } },
    '3': { label: { zh: '业务办理' }, menu: { say: { zh: '请选择。', en: 'Choose.' }, personalise: true, keys: { '1': { label: '开户', say: '好。' }, '2': { label: '销户', say: '好。' }, '*': 'back' } } },
    '9': 'repeat',
  },
};
const said = (s: { say: { text: string }[] }): string => s.say.map((x) => x.text).join('');

t.test('labels are offered in keypad order (1..9, 0), in the call\'s language; unlabelled keys are not offered', async (t) => {
  t.equal(said(new BotSession(bot).start()), '您好。营业时间请按1。账单请按2。业务办理请按3。人工服务请按0。');
  const en = new BotSession(bot, { language: 'en-US' });
  t.equal(en.start().say.map((s) => s.text).join(' '), 'Welcome. For opening hours, press 1. For billing, press 2. For 业务办理, press 3. For a person, press 0.', 'a label without en falls back to zh');
  t.equal(said(en.input({ kind: 'digit', digit: '1' })), 'Nine to six.', 'answers in the call\'s language too');
});

t.test('a known caller\'s most-chosen option comes first; keys stay the same', async (t) => {
  // Newest first: 2 was chosen three times (once after an answer to 1), 1 twice.
  const history = ['2', '1>2', '2>0', '1', '2'];
  t.same([...favourites(bot.menu!, history)], [['', '2']]);
  const s = new BotSession(bot, { menuHistory: history });
  t.equal(said(s.start()), '您好。账单请按2。营业时间请按1。业务办理请按3。人工服务请按0。');
  t.equal(said(s.input({ kind: 'digit', digit: '2' })), '账单。', '2 still means billing');
  t.equal(said(s.input({ kind: 'digit', digit: '9' })), '您好。账单请按2。营业时间请按1。业务办理请按3。人工服务请按0。', 'repeat says the same order');

  t.equal(said(new BotSession(bot, { menuHistory: ['1', '2'] }).start()).indexOf('营业时间'), 3, 'a tie goes to the most recent choice');
  t.equal(said(new BotSession({ ...bot, menu_personalise: false }, { menuHistory: history }).start()), '您好。营业时间请按1。账单请按2。业务办理请按3。人工服务请按0。', 'without personalise: the configured order');
  t.equal(said(new BotSession(bot, { menuHistory: ['9', '7>1'] }).start()).indexOf('营业时间'), 3, 'keys that are no options (any more) count for nothing');
});

t.test('sub-menus learn on their own: the key chosen in them, replayed over the menu tree', async (t) => {
  const history = ['3>2', '1>3>2', '3>*>1', '3>1>*'];
  const fav = favourites(bot.menu!, history);
  t.equal(fav.get('3'), '2', 'in the sub-menu: 2 twice, 1 once');
  t.equal(fav.get(''), '3', 'top menu: 3 three times (the first key of each call there)');
  const s = new BotSession(bot, { menuHistory: history });
  t.match(said(s.start()), /^您好。业务办理请按3。/);
  t.equal(said(s.input({ kind: 'digit', digit: '3' })), '请选择。销户请按2。开户请按1。');
  t.equal(said(s.input({ kind: 'digit', digit: '2' })), '好。');
  t.equal(s.summary().menuPath, '3>2');
});

t.test('the call\'s language: the caller\'s when the greeting has it; the voice follows', async (t) => {
  t.equal(callLanguage(bot, 'zh-CN', 'en-US'), 'en-US');
  t.equal(callLanguage(bot, 'zh-CN', 'zh-TW'), 'zh-CN', 'the same language keeps the bot\'s tag');
  t.equal(callLanguage(bot, 'zh-CN', 'de-DE'), 'zh-CN', 'a language the texts do not have');
  t.equal(callLanguage({ ...bot, greeting: '您好。' }, 'zh-CN', 'en-US'), 'zh-CN', 'a one-language greeting keeps the bot\'s language');
  t.equal(callLanguage(bot, 'zh-CN', undefined), 'zh-CN');
  t.equal(voiceFor('en-US', 'zh-CN', 'cmn'), 'en');
  t.equal(voiceFor('zh-CN', 'zh-CN', 'cmn-latn-pinyin'), 'cmn-latn-pinyin');
});
