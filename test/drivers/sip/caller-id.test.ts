import t from 'tap';
import { callerIdHeaders } from '../../../drivers/sip/trunk-line.js';
import { startBox } from '../../helpers/sip-box.js';

t.test('caller_id modes: the caller in P-Asserted-Identity, Remote-Party-ID, both or neither', async (t) => {
  const pai = callerIdHeaders('pai', '+8613812345678', 'VIP +8613812345678 agent', 'pbx.local');
  t.same(pai, { 'P-Asserted-Identity': '"VIP +8613812345678 agent" <sip:+8613812345678@pbx.local>' });
  const rpid = callerIdHeaders('rpid', '13812345678', undefined, 'pbx.local');
  t.same(rpid, { 'Remote-Party-ID': '<sip:13812345678@pbx.local>;party=calling;screen=yes;privacy=off' });
  t.same(Object.keys(callerIdHeaders('both', '801', 'x', 'h')).sort(), ['P-Asserted-Identity', 'Remote-Party-ID']);
  t.same(callerIdHeaders('none', '801', 'x', 'h'), {});
  t.same(callerIdHeaders('pai', 'unknown caller<>', 'x', 'h'), {}, 'nothing that is not a number goes into a URI');
});

t.test('extensions_via_trunk off: a bare extension is not dialled through the trunk', async (t) => {
  const line = await startBox({ trunk: { host: '127.0.0.1', port: 9, username: 'fd', password: 'x', keepaliveMs: 0, extensions: false } });
  t.teardown(() => line.stop());
  await t.rejects(line.dial('801'), /extensions_via_trunk is off/);
  const on = await startBox({ trunk: { host: '127.0.0.1', port: 9, username: 'fd', password: 'x', keepaliveMs: 0 } });
  t.teardown(() => on.stop());
  t.same(on.resolveTarget('801').destination, { transport: 'udp', address: '127.0.0.1', port: 9 }, 'on (the default): through the trunk');
});
