import t from 'tap';
import { maskReport } from '../../../daemon/store/mask.js';

t.test('reports mask numbers, including what the bot captured', async (t) => {
  const out = maskReport({ callId: 'c1', caller: '+8613812345678', reason: 'requested', slots: { phone: '13800138000', account: '5678', note: 'call me at 13900001111 please' } });
  t.same(out, { callId: 'c1', caller: '+861******5678', reason: 'requested', slots: { phone: '138****8000', account: '5678', note: 'call me at 139****1111 please' } });
});
