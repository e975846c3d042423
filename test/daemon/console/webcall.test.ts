import t from 'tap';
import { join } from 'node:path';
import { toneLevel } from '../../../drivers/audio/tones.js';
import { sleep } from '../../helpers/net.js';
import { eventAfter, mark } from '../../helpers/routing.js';
import { shotDir, startDeskCallRig } from './rig.js';

interface FdWeb {
  ready(): boolean;
  levelAt(hz: number): number | null;
}

t.test('web caller: the public page reaches the bot and an agent on its own line; limited per address and at once', async (t) => {
  const { box, url, phone, browser } = await startDeskCallRig(t, { prefix: 'fd-web-', micHz: 1500, micSeconds: 40, consoleMore: '  web_callers: { line_id: web1, max_calls: 1, per_hour: 1 }\n' });
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  await page.goto(`${url}/call`);
  t.equal(new URL(page.url()).pathname, '/call', 'the call page needs no login');

  const from = mark(box);
  await page.click('#web-call');
  const offered = await eventAfter(box, from, 'call.offered', (l) => l.lineId === 'web1');
  const callId = String(offered.callId);
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'bot');
  await page.waitForSelector('#web-state[data-state="talking"]');
  await page.waitForFunction(() => (globalThis as unknown as { fdWeb: FdWeb }).fdWeb.ready());

  // While this call is up, another one is refused (max_calls 1).
  const busy = await fetch(`${url}/api/webcall`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ sdp: 'v=0\r\n' }) });
  t.equal(busy.status, 503, 'a second web call at once: busy');

  // The visitor presses 0: the bot hands off, the desk phone answers.
  await sleep(1000);
  await page.click('#web-key-0');
  await eventAfter(box, from, 'handoff.requested', (l) => l.callId === callId);
  await eventAfter(box, from, 'call.phase', (l) => l.callId === callId && l.phase === 'connected', 30_000);
  await sleep(2000);
  const lv = await page.evaluate(() => {
    const r = (globalThis as unknown as { fdWeb: FdWeb }).fdWeb;
    return { agent: r.levelAt(600)!, none: r.levelAt(2500)! };
  });
  t.ok(lv.agent - lv.none > 20, `the visitor hears the agent's 600 Hz (${(lv.agent - lv.none).toFixed(1)} dB above 2.5 kHz)`);
  await page.screenshot({ path: join(await shotDir(), 'webcall-en.png') });

  await page.click('#web-hangup');
  const ended = await eventAfter(box, from, 'call.ended', (l) => l.callId === callId);
  t.equal(ended.hungUpBy, 'caller', 'the visitor hung up');
  const heard = await phone.heard().catch(() => new Int16Array());
  t.ok(toneLevel(heard, 1500) > 0.02, `the agent heard the visitor's microphone (1500 Hz ${toneLevel(heard, 1500).toFixed(3)})`);
  const cdr = await box.row<{ line_id: string; outcome: string; agent_ext: string }>('SELECT line_id, outcome, agent_ext FROM calls WHERE id = ?', [callId], (r) => r.outcome !== null);
  t.same(cdr, { line_id: 'web1', outcome: 'transferred', agent_ext: '801' }, 'the CDR names the web line');

  // per_hour 1: the next call from this address is refused.
  await sleep(300);
  const again = await fetch(`${url}/api/webcall`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ sdp: 'v=0\r\n' }) });
  t.equal(again.status, 429, 'more than per_hour calls from one address: refused');
  t.ok(Number(again.headers.get('retry-after')) > 0, 'with Retry-After');
});
