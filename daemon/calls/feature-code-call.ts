import type { Leg } from '../../drivers/line.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { PromptResolver } from '../speech/prompts.js';
import type { AgentPool } from '../routing/agents.js';
import { applyAgentAction, type AgentAction } from '../routing/feature-codes.js';
import { Speaker } from './speak.js';
import { callLanguage, promptVoice, textIn } from '../config/locale.js';

const CONFIRM = {
  en: { login: 'You are logged in.', logout: 'You are logged out.', pause: 'You are paused.', unpause: 'You are available again.', unknown: 'This phone is not an agent of this box.' },
  zh: { login: '您已签入。', logout: '您已签出。', pause: '您已暂停接听。', unpause: '您已恢复接听。', unknown: '这部电话不是本系统的坐席。' },
};

/**
 * A desk phone dialled a feature code to the box: answer, change the agent's state, say so, hang up.
 * The agent is the authenticated SIP user, else the caller's number (phones on an allowed address).
 */
export async function runFeatureCode(leg: Leg, agentExt: string | undefined, code: { action: AgentAction; reason?: string }, deps: { agents: AgentPool; config: Config; prompts: PromptResolver; log: Logger }): Promise<void> {
  const texts = textIn(CONFIRM, callLanguage(deps.config));
  const known = agentExt !== undefined && deps.agents.get(agentExt) !== undefined;
  let say = texts.unknown;
  if (known) {
    const r = applyAgentAction(deps.agents, agentExt, code.action, code.reason ? `code ${code.reason}` : undefined);
    deps.log.info({ extension: agentExt, action: code.action, state: r.state }, 'feature code');
    say = texts[code.action];
  } else deps.log.warn({ from: agentExt, action: code.action }, 'feature code from a phone that is not an agent');
  try {
    await leg.answer();
    if (leg.media) {
      const speaker = new Speaker(leg.media, deps.prompts, promptVoice(deps.config), deps.log);
      const gone = new AbortController();
      leg.once('ended', () => gone.abort());
      await speaker.say([{ text: say }], gone.signal);
      // Let the last frames reach the phone before the BYE.
      await new Promise((r) => setTimeout(r, 300));
      speaker.stop();
    }
  } catch (err) {
    deps.log.warn({ err }, 'feature code: could not confirm by voice');
  } finally {
    await leg.hangup('normal').catch(() => undefined); // the leg reports its own end
  }
}
