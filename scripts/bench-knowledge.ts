/**
 * Knowledge-base and quality-inspection costs: checking a knowledge file (done by check-config and
 * on every reload, in the daemon's event loop), setting up the bot for a call and understanding an
 * utterance against N entries, and measuring a call recording. Prints numbers; asserts nothing.
 *   node dist/scripts/bench-knowledge.js
 */
import { parseConfig } from '../daemon/config/load.js';
import { BotSession } from '../daemon/bot/dialog.js';
import { KnowledgeBase } from '../daemon/knowledge/kb.js';
import { parseKnowledge } from '../daemon/knowledge/load.js';
import { measureAudio } from '../daemon/quality/analyse.js';
import { toneSamples } from '../drivers/audio/tones.js';

const cfg = parseConfig(
  'site: t\nnode: n\nlines:\n  - { id: g, kind: gsm, modem: huawei, at_port: /dev/null, voice_port: /dev/null }\nbot:\n  greeting: hi\n  language: zh-CN\n  menu: { "3": faq }\nknowledge: { file: kb.yaml }\n',
  'bench.yaml',
).config;
const chars = '营业时间地址费用密码账户信用卡转账利率存款贷款手机银行网点停车预约排队证件挂失补办开户销户理财保险基金外汇汇率'.split('');
const words = ['account', 'card', 'loan', 'rate', 'branch', 'parking', 'password', 'transfer', 'deposit', 'mobile', 'insurance', 'fund', 'exchange', 'open', 'close', 'lost'];

function kbYaml(n: number): string {
  let y = 'entries:\n';
  for (let i = 0; i < n; i++) {
    const zh = (k: number): string => Array.from({ length: 4 }, (_, j) => chars[(i * 7 + j * 3 + k) % chars.length]).join('') + String(i);
    const en = (k: number): string => `${words[(i + k) % words.length]} ${words[(i * 3 + k + 5) % words.length]} ${i}`;
    y += `  - id: e${i}\n    ask: { zh: [${zh(0)}, ${zh(1)}, ${zh(2)}], en: [${en(0)}, ${en(1)}] }\n    answer: { zh: 答${i}, en: answer ${i} }\n`;
  }
  return y;
}

const ms = (f: () => unknown, n = 1): number => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t0) / n;
};

for (const n of [50, 200]) {
  const text = kbYaml(n);
  let data: ReturnType<typeof parseKnowledge> | undefined;
  const check = ms(() => (data = parseKnowledge(text, 'kb.yaml', cfg)));
  if (!data) throw new Error('the knowledge file did not parse');
  const kb = new KnowledgeBase(data, () => cfg, () => 0, '');
  let bot!: BotSession;
  const setup = ms(() => (bot = new BotSession(cfg.bot, { language: 'zh-CN', knowledge: kb })), 20);
  const hit = ms(() => bot.understand(`我想问一下${chars[3]}${chars[6]}${chars[9]}${chars[12]}3`), 200);
  const miss = ms(() => bot.understand('今天天气怎么样我想问一下别的事情'), 200);
  console.log(`${n} entries (${n * 5} phrases): check ${check.toFixed(0)} ms; bot set-up per call ${setup.toFixed(1)} ms; understand ${hit.toFixed(2)} ms (a match) / ${miss.toFixed(2)} ms (no match)`);
}

const minutes = 10;
const caller = new Int16Array(minutes * 60 * 8000);
const agent = new Int16Array(minutes * 60 * 8000);
for (let s = 0; s < minutes * 60; s += 6) {
  caller.set(toneSamples(1000, 2500).subarray(0, 20000), s * 8000);
  agent.set(toneSamples(600, 2500).subarray(0, 20000), (s + 3) * 8000);
}
const t0 = performance.now();
await measureAudio(caller, agent);
console.log(`quality: measuring a ${minutes}-minute two-leg recording ${(performance.now() - t0).toFixed(0)} ms (in slices that yield to the event loop)`);
