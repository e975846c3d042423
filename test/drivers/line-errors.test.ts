import t from 'tap';
import { LineError } from '../../drivers/line.js';
import { WebRtcPhones } from '../../drivers/webrtc/phones.js';
import { WebCallerLine } from '../../drivers/webrtc/web-line.js';
import { startBox } from '../helpers/sip-box.js';

// A refused dial says why as a code the call core can switch on, whatever the line.
const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: unknown) => (e instanceof LineError ? e.code : `not a LineError: ${String(e)}`));

t.test('SIP line: no trunk for an extension, a malformed extension', async (t) => {
  const direct = await startBox();
  t.teardown(() => direct.stop());
  t.equal(await codeOf(direct.dial('801')), 'not-routable', 'an extension without a trunk');
  const trunked = await startBox({ trunk: { host: '127.0.0.1', port: direct.ua.port, username: 'u', password: 'p' } });
  t.teardown(() => trunked.stop());
  t.equal(await codeOf(trunked.dial('80 1')), 'bad-number', 'a space in an extension');
});

t.test('browser phones and web callers', async (t) => {
  const phones = new WebRtcPhones();
  t.equal(await codeOf(phones.dial('801')), 'unreachable', 'an agent without a workbench open');
  t.equal(await codeOf(new WebCallerLine('web').dial('801')), 'not-routable', 'a web caller line cannot dial out');
});
