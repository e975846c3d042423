import t, { type Test } from 'tap';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../../daemon/bus/bus.js';
import type { DomainEvents } from '../../../daemon/bus/events.js';
import { RELAY_ALARM, reportNativeRelay } from '../../../daemon/calls/relay-health.js';
import { nativeRelayStatus, terminateNativeRelayThread } from '../../../drivers/rtp/native-relay.js';
import type { RtpPacket } from '../../../drivers/rtp/packet.js';
import type { SipTrunkLine } from '../../../drivers/sip/trunk-line.js';
import { sleep, waitFor } from '../../helpers/net.js';
import { call, lines, numbered, openFds, seqBreaks, threadNices, type Call } from './bridge-rig.js';

/**
 * When the native RTP relay can't run, bridges relay in JS (drivers/rtp/native-relay.ts): on a box
 * where koffi's native addon can't load (here: node --no-addons, which makes the relay thread's
 * require('koffi') fail as it would there), and when the relay's thread dies in the middle of calls.
 * The calls must go on carrying audio byte for byte, with one log line saying so.
 */

const TAG = { caller: 0x11, agent: 0x22 } as const;

/** The other phone's numbered payloads in `got`: all byte for byte as sent, in order, and how many are missing. */
function received(got: RtpPacket[], tag: number): { count: number; intact: boolean; inOrder: boolean; missing: number } {
  const mine = got.filter((p) => p.payload.length === 160 && p.payload[4] === tag);
  const nums = mine.map((p) => p.payload.readUInt32BE(0));
  const intact = mine.every((p, i) => p.payload.equals(numbered(nums[i]!, tag)));
  const inOrder = nums.every((n, i) => i === 0 || n > nums[i - 1]!);
  const missing = nums.length === 0 ? 0 : nums[nums.length - 1]! - nums[0]! + 1 - nums.length;
  return { count: nums.length, intact, inOrder, missing };
}

/** Talk until each phone got `n` more packets; then check both directions from there on. */
async function audioBothWays(t: Test, c: Call, n: number, what: string): Promise<void> {
  const from = { agent: c.atAgent.length, caller: c.atCaller.length };
  await waitFor(() => c.atAgent.length - from.agent >= n && c.atCaller.length - from.caller >= n, 10_000, `${what}: ${n} packets each way`);
  for (const [who, got, tag] of [['agent', c.atAgent.slice(from.agent), TAG.caller], ['caller', c.atCaller.slice(from.caller), TAG.agent]] as const) {
    const r = received(got, tag);
    t.ok(r.count >= n - 5 && r.intact && r.inOrder && r.missing === 0, `${what}: the ${who} gets the other phone's audio byte for byte, in order, none missing (${r.count} payloads)`);
    t.equal(seqBreaks(got), 0, `${what}: the ${who} sees one unbroken RTP sequence`);
  }
}

async function hangUp(c: Call): Promise<void> {
  await c.callerPhone.hangup();
  await c.agentPhone.hangup();
  await waitFor(() => c.inbound.state === 'ended' && c.outbound.state === 'ended', 5000, 'call over');
  await sleep(200); // the legs' sockets close after their BYE transactions
}

/** Open fds that are not sockets or files of a call: epoll and eventfd instances, by kind. */
function anonInodes(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // the fd of the directory listing itself, gone by now
      }
    })
    .filter((l) => l.startsWith('anon_inode:'))
    .sort();
}

/** The relay's log lines and the alarms it raises, wired as the daemon wires them (reportNativeRelay). */
function capture(): { logs: string[]; alarms: DomainEvents['alarm'][] } {
  const logs: string[] = [];
  const alarms: DomainEvents['alarm'][] = [];
  const bus = new Bus();
  bus.on('alarm', (e) => void alarms.push(e.data));
  const line = (level: string) => (msg: string): void => void logs.push(`${level}: ${msg}`);
  reportNativeRelay({ info: line('info'), warn: line('warn'), error: line('error') }, bus);
  return { logs, alarms };
}

async function bridgedCall(phones: SipTrunkLine, box: SipTrunkLine, t: Test): Promise<Call> {
  const c = await call(phones, box);
  t.teardown(c.talk());
  return c;
}

if (process.env.FD_TEST_NO_SYS_NICE === '1') {
  // The child run (below): root without CAP_SYS_NICE and with RLIMIT_NICE 0, as the service would run
  // without LimitNICE= in its unit: the relay's thread may not raise its priority.
  t.test('priority refused: the relay thread says so, runs at normal priority, and relays all the same', async (t) => {
    const { logs, alarms } = capture();
    const { phones, box } = await lines(t, 36000);
    const c = await bridgedCall(phones, box, t);
    await waitFor(() => c.conversation.bridge.relayedNatively, 5000, 'the pair on the native relay');
    t.match(nativeRelayStatus(), { state: 'running', pairs: 1, nice: 0 });
    t.same(logs, ['info: native RTP relay thread started for pass-through bridges, at normal priority: raising it was refused (errno 13; the service unit allows it with LimitNICE=)'], 'one line saying why');
    t.equal(threadNices().filter((n) => n !== 0).length, 0, 'every thread of the process at nice 0');
    await audioBothWays(t, c, 100, 'at normal priority');
    await hangUp(c);
    t.same(alarms, [], 'no alarm: the relay works');
  });
} else if (process.execArgv.includes('--no-addons')) {
  // The child run (below): a process that cannot load native addons, as on a box without koffi.
  t.test('no native addons (koffi cannot load): the relay is unavailable, said once, and bridges relay in JS byte for byte', async (t) => {
    const { logs, alarms } = capture();
    const { phones, box } = await lines(t, 37000);
    const fds = openFds();
    const c = await bridgedCall(phones, box, t);
    // The relay's thread starts on the first bridge, fails to load koffi, and is reported unavailable.
    await waitFor(() => nativeRelayStatus().state === 'unavailable', 5000, 'the relay reported unavailable');
    const status = nativeRelayStatus();
    t.match(status.reason, /relay thread failed: .*native addon/, `why: ${status.reason}`);
    t.same(logs, [`warn: native RTP relay unavailable, bridges relay in JS: ${status.reason}`], 'one warning in the log, saying bridges relay in JS');
    t.notOk(c.conversation.bridge.relayedNatively, 'the pair stays with the event loop');
    t.same(c.conversation.bridge.modes, ['pass', 'pass'], 'relayed as payloads (no transcoding)');
    await audioBothWays(t, c, 100, 'first call');
    await hangUp(c);
    t.equal(openFds(), fds, 'no fd left open (the failed thread took its own with it)');

    // The next call: straight to the JS relay, nothing more in the log.
    const next = await bridgedCall(phones, box, t);
    await audioBothWays(t, next, 50, 'next call');
    t.notOk(next.conversation.bridge.relayedNatively, 'relayed in JS');
    await hangUp(next);
    t.equal(logs.length, 1, 'still the one log line');
    t.same(alarms, [], 'no alarm: a box without koffi is a build fact, not a fault');
    t.equal(openFds(), fds, 'no fd left after the next call either');
  });
} else {
  // Node's --no-addons makes loading any native addon fail, in worker threads too: the relay thread's
  // require('koffi') fails the way it does where koffi's binary is missing or can't be loaded.
  void t.spawn(process.execPath, ['--no-addons', fileURLToPath(import.meta.url)], 'the same calls on a box that cannot load native addons');
  // Root here: drop CAP_SYS_NICE (setpriv, util-linux) so raising a thread's priority is refused.
  if (process.getuid?.() === 0) void t.spawn('setpriv', ['--bounding-set=-sys_nice', process.execPath, fileURLToPath(import.meta.url)], { env: { ...process.env, FD_TEST_NO_SYS_NICE: '1' } }, 'the relay thread may not raise its priority');

  t.test('the relay thread dies mid-call: its pair is taken back and relayed in JS, audio goes on, the next call works', async (t) => {
    const { logs, alarms } = capture();
    const { phones, box } = await lines(t, 39000);
    const fds = openFds();
    const anon = anonInodes();
    const c = await bridgedCall(phones, box, t);
    await waitFor(() => c.conversation.bridge.relayedNatively, 5000, 'the pair on the native relay');
    t.match(nativeRelayStatus(), { state: 'running', pairs: 1 });
    await audioBothWays(t, c, 50, 'native');

    const before = { agent: c.atAgent.length, caller: c.atCaller.length };
    await terminateNativeRelayThread();
    await waitFor(() => nativeRelayStatus().state === 'failed', 3000, 'the relay reported failed');
    t.notOk(c.conversation.bridge.relayedNatively, 'the pair was taken back from the dead thread');
    t.equal(logs.length, 2, 'two log lines: the start, then one error');
    t.match(logs[0], /^info: native RTP relay thread started for pass-through bridges/);
    t.equal(logs[1], `error: native RTP relay stopped, bridges relay in JS from now on: ${nativeRelayStatus().reason}`, 'the error says bridges relay in JS from now on');
    t.match(nativeRelayStatus().reason, /relay thread exited/);
    t.same(alarms, [{ code: RELAY_ALARM, source: 'rtp', active: true, severity: 'warning', message: logs[1]?.slice('error: '.length) }], 'the media-relay-failed alarm is raised on the bus, once');
    await audioBothWays(t, c, 100, 'after the thread died');
    // Across the hand-over: the thread was stopped wherever it was, at worst between a read and its send.
    for (const [who, got, tag] of [['agent', c.atAgent.slice(before.agent - 10), TAG.caller], ['caller', c.atCaller.slice(before.caller - 10), TAG.agent]] as const) {
      const r = received(got, tag);
      t.ok(r.intact && r.inOrder && r.missing <= 1, `the ${who}'s audio runs on across the hand-over (${r.missing} payload(s) lost of ${r.count})`);
    }
    await hangUp(c);
    t.equal(openFds(), fds, 'every socket of the call closed, and the dead thread\'s epoll, eventfd and timerfd');
    t.same(anonInodes(), anon, 'no epoll, eventfd or timerfd left behind by the killed thread');

    // A new call: bridged in JS from the start, audio intact, nothing more in the log.
    const next = await bridgedCall(phones, box, t);
    await audioBothWays(t, next, 50, 'next call');
    t.notOk(next.conversation.bridge.relayedNatively, 'relayed in JS');
    t.match(nativeRelayStatus(), { state: 'failed', pairs: 0 });
    await hangUp(next);
    t.equal(logs.length, 2, 'no further log line');
    t.equal(openFds(), fds, 'no fd left after the next call');
  });
}
