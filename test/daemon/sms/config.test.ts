import t from 'tap';
import { parseConfig, type ConfigError } from '../../../daemon/config/load.js';

t.test('after-call config: slots, templates and campaign lines must exist', async (t) => {
  const text = `site: a
node: b
lines:
  - { id: pbx, kind: sip, host: 127.0.0.1 }
bot:
  greeting: hi
  collect:
    order: { say: "order?", kind: digits }
sms:
  templates:
    confirm: "Order {order} confirmed"
  on_capture:
    order_nr: confirm
    order: confrim
tickets:
  when_captured: [order, fault]
  sms: ticket
campaigns:
  - { id: c1, contacts: /tmp/c.csv, lines: [pbx, gsm9] }
`;
  const err = t.throws(() => parseConfig(text, 'x.yaml')) as ConfigError;
  t.match(err.issues, [
    { path: 'sms.on_capture.order_nr', message: /no bot.collect slot "order_nr"/ },
    { path: 'sms.on_capture.order', message: /no sms.templates.confrim \(templates: confirm\)/ },
    { path: 'tickets.when_captured[1]', message: /no bot.collect slot "fault"/ },
    { path: 'tickets.sms', message: /no sms.templates.ticket/ },
    { path: 'campaigns[0].lines[0]', message: /SIP line/ },
    { path: 'campaigns[0].lines[1]', message: /no line "gsm9"/ },
  ]);
});

t.test('sms.survey.low_score (an earlier release\'s key) says where the setting lives now', async (t) => {
  const text = `site: a
node: b
lines:
  - { id: pbx, kind: sip, host: 127.0.0.1 }
bot:
  greeting: hi
  survey: { say: "Rate us", sms: true }
sms:
  survey:
    low_score: { below: 3, then: alarm }
`;
  const err = t.throws(() => parseConfig(text, 'x.yaml')) as ConfigError;
  t.match(err.issues, [{ path: 'sms.survey.low_score', line: 10, col: 5, message: /"low_score" has moved: set bot\.survey\.low_score/ }]);
});
