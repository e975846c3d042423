import t from 'tap';
import { askSurvey, isLowScore, surveyApplies, type SurveyIo } from '../../../daemon/bot/survey.js';

/** A caller who presses the given keys in turn (undefined: stays silent); records what was said and how long each wait was. */
function caller(keys: (string | undefined)[]): SurveyIo & { said: string[]; waits: number[] } {
  const said: string[] = [];
  const waits: number[] = [];
  return {
    said,
    waits,
    say: async (text) => void said.push(text),
    nextDigit: async (ms) => (waits.push(ms), keys.shift()),
    clear: () => undefined,
  };
}

const signal = new AbortController().signal;

t.test('a key 1..5 is the score; the thanks are said after it', async (t) => {
  const io = caller(['4']);
  t.equal(await askSurvey(io, { say: 'Rate us 1 to 5.', thanks: 'Merci.', timeout: '3s' }, 'en-US', signal), 4);
  t.same(io.said, ['Rate us 1 to 5.', 'Merci.']);
  t.same(io.waits, [3000], 'survey.timeout is the wait for the key');
  const zh = caller(['5']);
  await askSurvey(zh, { say: '请打分' }, 'zh-CN', signal);
  t.same(zh.waits, [8000], 'default timeout 8 s');
  t.match(zh.said[1], /谢谢/, 'default thanks in the call language');
});

t.test('a wrong key asks again once; silence or a second wrong key is no answer', async (t) => {
  const again = caller(['9', '2']);
  t.equal(await askSurvey(again, { say: 'Q' }, 'en', signal), 2);
  t.equal(again.said.filter((s) => s === 'Q').length, 2, 'asked twice');
  t.equal(await askSurvey(caller(['0', '#']), { say: 'Q' }, 'en', signal), undefined);
  t.equal(await askSurvey(caller([undefined]), { say: 'Q' }, 'en', signal), undefined);
});

t.test('when the survey applies, what is low', async (t) => {
  t.equal(surveyApplies(undefined, 'agent'), false);
  t.equal(surveyApplies({ say: 'Q' }, 'agent'), true, 'after_agent defaults on');
  t.equal(surveyApplies({ say: 'Q' }, 'bot'), false, 'after_bot defaults off');
  t.equal(surveyApplies({ say: 'Q', after_agent: false, after_bot: true }, 'bot'), true);
  t.equal(isLowScore({ say: 'Q' }, 1), false, 'no low_score: nothing is low');
  t.equal(isLowScore({ say: 'Q', low_score: { then: 'alarm' } }, 2), true, 'at_most defaults to 2');
  t.equal(isLowScore({ say: 'Q', low_score: { then: 'alarm', at_most: 3 } }, 3), true);
  t.equal(isLowScore({ say: 'Q', low_score: { then: 'alarm', at_most: 3 } }, 4), false);
});
