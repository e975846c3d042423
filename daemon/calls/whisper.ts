import type { HandoffRequest } from './handoff.js';

/** Digits read one by one, so TTS says "one three eight…" rather than a huge number. */
function spell(n: string): string {
  return n.replace(/^\+/, '').split('').join(' ');
}

const REASONS = {
  zh: { requested: '要求人工服务', 'no-match': '机器人没有听懂', 'no-input': '没有回应', vip: '贵宾客户', emotion: '情绪激动', menu: '菜单选择', line: '直接转接', fault: '系统故障转人工' },
  en: { requested: 'asked for a person', 'no-match': 'the bot did not understand', 'no-input': 'did not answer the bot', vip: 'a VIP customer', emotion: 'upset', menu: 'chose from the menu', line: 'put straight through by the line', fault: 'sent to a person after a system fault' },
} as const;

/**
 * The whisper (bot.handoff.tell_agent: whisper): what the agent hears before the caller is put
 * through — who is calling, why, and what the bot captured. Only the agent hears it.
 */
export function whisperText(caller: string | undefined, req: Pick<HandoffRequest, 'reason' | 'vip' | 'summary' | 'queue'>, lang: string): string {
  const zh = lang.startsWith('zh');
  const r = zh ? REASONS.zh : REASONS.en;
  const parts: string[] = [];
  if (zh) {
    parts.push(caller ? `来电号码 ${spell(caller)}` : '来电号码未知');
    if (req.vip && req.reason !== 'vip') parts.push('贵宾客户');
    parts.push(r[req.reason]);
    if (req.queue) parts.push(`队列 ${req.queue}`);
    for (const [slot, value] of Object.entries(req.summary.slots)) parts.push(`${slot} ${spell(value)}`);
    return `${parts.join(',')}。`;
  }
  parts.push(caller ? `Call from ${spell(caller)}` : 'Call from an unknown number');
  if (req.vip && req.reason !== 'vip') parts.push('a VIP customer');
  parts.push(r[req.reason]);
  if (req.queue) parts.push(`queue ${req.queue}`);
  for (const [slot, value] of Object.entries(req.summary.slots)) parts.push(`${slot} ${spell(value)}`);
  return `${parts.join(', ')}.`;
}
