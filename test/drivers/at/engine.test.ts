import t from 'tap';
import { AtEngine, type AtEngineOptions } from '../../../drivers/at/engine.js';
import { AtCommandError, AtTimeoutError, parseFinal } from '../../../drivers/at/results.js';
import { AtTokenizer } from '../../../drivers/at/tokenizer.js';

/** An engine wired to an in-memory modem: we see what it writes and feed it bytes. */
function rig(opts: Partial<AtEngineOptions> = {}) {
  const written: string[] = [];
  const urcs: string[] = [];
  const e = new AtEngine({ write: (b) => void written.push(b.toString('latin1')) }, { isUrc: (l) => /^(RING|\+CLIP:|\^RSSI:|\+CMTI:|\+CREG:)/.test(l), ...opts });
  e.on('urc', (l) => urcs.push(l));
  const feed = (s: string) => e.feed(Buffer.from(s, 'latin1'));
  return { e, written, urcs, feed };
}
const tick = () => new Promise((r) => setImmediate(r));

t.test('final results', async (t) => {
  t.same(parseFinal('OK'), { kind: 'ok', text: 'OK' });
  t.equal(parseFinal('+CME ERROR: 10')?.code, 10);
  t.same(parseFinal('+CME ERROR: SIM not inserted'), { kind: 'cme', text: '+CME ERROR: SIM not inserted', code: 10, message: 'SIM not inserted' });
  t.equal(parseFinal('+CMS ERROR: 321')?.kind, 'cms');
  t.equal(parseFinal('NO CARRIER')?.kind, 'no-carrier');
  t.equal(parseFinal('CONNECT 9600')?.kind, 'connect');
  t.equal(parseFinal('+CSQ: 1,2'), null);
});

t.test('one command in flight; intermediate lines collected; URC inside a response dispatched', async (t) => {
  const { e, written, urcs, feed } = rig();
  const a = e.send('AT+CSQ', { expect: ['+CSQ:'] });
  const b = e.send('AT+CGSN');
  await tick();
  t.same(written, ['AT+CSQ\r'], 'second command waits');
  feed('\r\n+CSQ: 17,99\r\n\r\n^RSSI:17\r\n\r\nOK\r\n');
  const r = await a;
  t.same(r.lines, ['+CSQ: 17,99']);
  t.same(urcs, ['^RSSI:17'], 'URC between info line and OK went to the URC handler');
  await tick();
  t.same(written, ['AT+CSQ\r', 'AT+CGSN\r']);
  feed('AT+CGSN\r\r\n867223020000001\r\n\r\nOK\r\n'); // echo before ATE0
  t.same((await b).lines, ['867223020000001'], 'echo dropped, digits kept');
});

t.test('errors: ERROR, +CME numeric and verbose, +CMS', async (t) => {
  const { e, feed } = rig();
  for (const [reply, kind] of [['ERROR', 'error'], ['+CME ERROR: 10', 'cme'], ['+CME ERROR: SIM not inserted', 'cme'], ['+CMS ERROR: 500', 'cms']] as const) {
    const p = e.send('AT+CPIN?');
    await tick();
    feed(`\r\n${reply}\r\n`);
    const err = await p.catch((x: unknown) => x);
    t.ok(err instanceof AtCommandError, reply);
    t.equal((err as AtCommandError).final.kind, kind);
  }
});

t.test('call finals end call control only; elsewhere they are URCs', async (t) => {
  const { e, urcs, feed } = rig();
  const p = e.send('AT+CSQ', { expect: ['+CSQ:'] });
  await tick();
  feed('\r\nNO CARRIER\r\n\r\n+CSQ: 5,99\r\n\r\nOK\r\n');
  await p;
  t.same(urcs, ['NO CARRIER']);
  const d = e.send('ATD123;', { callControl: true });
  t.ok(e.callControlPending, 'dial pending is visible (no keepalive then)');
  await tick();
  feed('\r\nBUSY\r\n');
  const err = (await d.catch((x: unknown) => x)) as AtCommandError;
  t.equal(err.final.kind, 'busy');
  t.notOk(e.callControlPending);
  // A V.253 voice modem answers ATD…; with VCON: the dial succeeded.
  const v = e.send('ATD5551234;', { callControl: true });
  await tick();
  feed('\r\nVCON\r\n');
  t.equal((await v).final.text, 'VCON');
});

t.test('timeout classes: a silent modem rejects with AtTimeoutError and emits timeout; queue moves on', async (t) => {
  const { e, written, feed } = rig({ timeouts: { short: 50, normal: 100, long: 200 } });
  const timeouts: string[] = [];
  e.on('timeout', (c) => timeouts.push(c));
  const t0 = performance.now();
  const err = await e.send('AT', { timeout: 'short' }).catch((x: unknown) => x);
  t.ok(err instanceof AtTimeoutError);
  t.ok(performance.now() - t0 >= 45, 'waited the short class');
  t.same(timeouts, ['AT']);
  const p = e.send('AT+CGSN');
  await tick();
  t.equal(written.at(-1), 'AT+CGSN\r');
  feed('\r\n1234567\r\nOK\r\n');
  t.same((await p).lines, ['1234567']);
});

t.test('SMS prompt: the PDU goes out after "> " with Ctrl-Z', async (t) => {
  const { e, written, feed } = rig();
  const p = e.send('AT+CMGS=18', { prompt: '0011000B91', expect: ['+CMGS:'] });
  await tick();
  feed('\r\n> ');
  t.equal(written.at(-1), '0011000B91\x1a');
  feed('\r\n+CMGS: 7\r\n\r\nOK\r\n');
  t.same((await p).lines, ['+CMGS: 7']);
});

t.test('garbage never grows memory or stalls parsing', async (t) => {
  const tok = new AtTokenizer(256);
  const junk = Buffer.alloc(1 << 20);
  for (let i = 0; i < junk.length; i++) junk[i] = 0x20 + (i % 90);
  t.same(tok.push(junk), [], 'a megabyte without line ends yields nothing');
  t.ok(tok.stats.overflows > 0);
  t.same(tok.push(Buffer.from('\r\nOK\r\n')), [{ kind: 'line', text: 'OK' }], 'parsing resumes at the next line end');
  t.same(tok.push(Buffer.from([0, 0x13, 0x4f, 0x00, 0x4b, 0x0d])), [{ kind: 'line', text: 'OK' }], 'control bytes dropped');
  const { e, urcs, feed } = rig();
  const p = e.send('AT+CSQ', { expect: ['+CSQ:'] });
  await tick();
  feed('\x00\x00\xfe\xfe garbage\r\n+CSQ: 9,99\r\nOK\r\n');
  t.same((await p).lines.filter((l) => l.startsWith('+CSQ')), ['+CSQ: 9,99']);
  t.same(urcs, []);
});

t.test('close rejects pending and queued commands', async (t) => {
  const { e } = rig();
  const a = e.send('AT');
  const b = e.send('AT');
  e.close();
  await t.rejects(a, { name: 'AtClosedError' });
  await t.rejects(b, { name: 'AtClosedError' });
  await t.rejects(e.send('AT'), { name: 'AtClosedError' });
});

t.test('abortCallControl: a lone CR aborts a running dial, bounded by its own timeout; a queued dial is dropped unsent; other commands are left alone', async (t) => {
  const { e, written, feed } = rig();
  const timeouts: string[] = [];
  e.on('timeout', (cmd) => timeouts.push(cmd));
  const vtr = e.send('AT+VTR', { callControl: true });
  await tick();
  t.equal(e.abortCallControl('ATD', 100), false, 'AT+VTR is no dial: not aborted');
  feed('\r\nCONNECT\r\n');
  await vtr;
  const atd = e.send('ATD5551234;', { callControl: true, timeout: 60_000 });
  await tick();
  t.equal(e.abortCallControl('ATD', 1000), true);
  t.same(written.slice(-2), ['ATD5551234;\r', '\r'], 'one CR after the dial');
  t.equal(e.abortCallControl('ATD', 1000), false, 'aborted once');
  feed('\r\nNO CARRIER\r\n');
  const err = await atd.then(() => undefined, (x: unknown) => x);
  t.ok(err instanceof AtCommandError && err.final.kind === 'no-carrier', 'the modem ends the aborted dial with NO CARRIER');

  const silent = e.send('ATD5550000;', { callControl: true, timeout: 60_000 });
  await tick();
  e.abortCallControl('ATD', 50);
  await t.rejects(silent, AtTimeoutError, 'a modem that ignores the abort: the dial times out after the abort bound, not its own');
  t.same(timeouts, ['ATD5550000;'], 'and the owner hears of it');

  const busy = e.send('AT');
  const queued = e.send('ATD5559999;', { callControl: true });
  t.equal(e.abortCallControl('ATD', 1000), true);
  await t.rejects(queued, 'the queued dial is dropped');
  await tick();
  feed('\r\nOK\r\n');
  await busy;
  await tick();
  t.notOk(written.includes('ATD5559999;\r'), 'never sent');
});
