import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from './paths.js';
import { atMost, freePort, sleep } from './net.js';
import { startPhone, type Phone, type PhoneOptions } from './baresip.js';

/**
 * A PBX for tests: kamailio (Debian) as an in-memory registrar + proxy with digest auth, from the
 * checked config in /work/shared/peers (or test/fixtures/sip/kamailio-pbx.cfg), on a random loopback port.
 */

export interface Pbx {
  host: string;
  port: number;
  /** Everything kamailio logged so far. */
  log(): string;
  stop(): Promise<void>;
}

// The checked config is vendored into the repo's fixtures; the shared copy is a fallback.
const CONFIG_CANDIDATES = [fixtures('sip', 'kamailio-pbx.cfg'), '/work/shared/peers/kamailio-pbx.cfg'];

/** challengeBye: in-dialog BYEs are challenged (407) too, as some PBXs do. */
export async function startPbx(users: Record<string, string>, opts: { verbose?: boolean; configPath?: string; challengeBye?: boolean } = {}): Promise<Pbx> {
  let template: string | undefined;
  for (const p of opts.configPath ? [opts.configPath] : CONFIG_CANDIDATES) {
    template = await readFile(p, 'utf8').catch(() => undefined);
    if (template) break;
  }
  if (!template) throw new Error('kamailio-pbx.cfg not found');
  const dir = await mkdtemp(join(tmpdir(), 'kamailio-'));
  const port = await freePort(1);
  const userLines = Object.entries(users)
    .map(([u, p]) => `    $sht(users=>${u}) = "${p}";`)
    .join('\n');
  const cfg = template.replace(/^listen=udp:127\.0\.0\.1:PORT$/m, `listen=udp:127.0.0.1:${port}`).replace('unix:CTL_SOCKET', `unix:${join(dir, 'ctl.sock')}`).replace(/^USERS$/m, userLines);
  const file = join(dir, 'kamailio.cfg');
  await writeFile(file, cfg);
  const proc = spawn('kamailio', ['-f', file, '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid'), ...(opts.challengeBye ? ['-A', 'CHALLENGE_BYE'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: kamailio forks workers that inherit our pipes, so stop() signals the whole group.
    detached: true,
  });
  let out = '';
  const onData = (b: Buffer): void => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    if (opts.verbose) process.stderr.write(`[kamailio] ${b.toString()}`);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  // Ready when it logs that its UDP listener is up (or after a short grace period).
  for (let i = 0; i < 60 && proc.exitCode === null; i++) {
    if (/INFO: <core> \[core\/udp_server\.c|init_child|listening on/i.test(out) && i > 4) break;
    await sleep(50);
  }
  if (proc.exitCode !== null) throw new Error(`kamailio exited: ${out.slice(-2000)}`);
  return {
    host: '127.0.0.1',
    port,
    log: () => out,
    stop: async () => {
      const signalGroup = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-proc.pid!, sig);
        } catch {
          // the group is already gone
        }
      };
      if (proc.exitCode === null) {
        signalGroup('SIGTERM');
        await atMost(new Promise((r) => proc.once('exit', r)), 3000);
      }
      // A worker that outlived the main process would hold our pipes open and keep the test file alive.
      signalGroup('SIGKILL');
      proc.stdout.destroy();
      proc.stderr.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A PBX whose users are desk phone 801 (password p801) and the box's trunk user `frontdesk`, with
 * a baresip phone 801 registered at it; both are stopped when the test ends.
 */
export async function startPbxWithPhone(t: { teardown(fn: () => unknown): void }, opts: { trunkPassword: string; answer?: PhoneOptions['answer']; challengeBye?: boolean }): Promise<{ pbx: Pbx; phone: Phone }> {
  const pbx = await startPbx({ '801': 'p801', frontdesk: opts.trunkPassword }, { challengeBye: opts.challengeBye ?? false });
  t.teardown(() => pbx.stop());
  const phone = await startPhone({ user: '801', ...(opts.answer ? { answer: opts.answer } : {}), registerTo: { host: pbx.host, port: pbx.port, password: 'p801' } });
  t.teardown(() => phone.stop());
  await phone.waitRegistered();
  return { pbx, phone };
}
