import t from 'tap';
import { join } from 'node:path';
import { Db } from '../../../daemon/store/db.js';
import { migrate } from '../../../daemon/store/migrations.js';
import { customerLookup } from '../../../daemon/routing/customers.js';
import { numberVariants } from '../../../daemon/config/values.js';

t.test('a customer is found in whatever form the store holds their number', async (t) => {
  const db = await Db.open(join(t.testdir(), 'c.db'));
  t.teardown(() => db.close());
  await migrate(db);
  const at = '2026-11-29T08:00:00.000Z';
  // Tagged VIP from an SIP call (E.164); an earlier call on a GSM line that showed the national number.
  await db.run("INSERT INTO customers (number, vip, created_at) VALUES ('+8613900000001', 1, ?)", [at]);
  await db.run("INSERT INTO calls (id, line_id, caller, offered_at, agent_ext, ended_at) VALUES ('old', 'gsm1', '13900000001', ?, '801', ?)", [at, at]);

  const withCc = customerLookup(db, () => ({ country_code: '86' }));
  for (const form of ['13900000001', '+8613900000001', '8613900000001']) {
    const info = await withCc(form, 'new');
    t.equal(info.vip, true, `${form}: the VIP tag is found`);
    t.equal(info.previousCallAt, Date.parse(at), `${form}: and the earlier call`);
    t.match(info.lastAgent, { extension: '801' }, `${form}: and its agent`);
  }
  t.equal((await withCc('13900000002', 'new')).vip, false, 'another number is not');

  // Without a country code, national and E.164 cannot be told to be the same number.
  const noCc = customerLookup(db);
  t.equal((await noCc('13900000001', 'new')).vip, false);
  t.equal((await noCc('8613900000001', 'new')).vip, true, '"+" on or off still matches');
  t.same(numberVariants('021 5555 0000', '86').sort(), ['+862155550000', '021 5555 0000', '02155550000', '2155550000', '862155550000'].sort());
});
