import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { atMost, freePort, sleep } from './net.js';

const run = promisify(execFile);

/**
 * A real mosquitto broker for tests, on a random 127.0.0.1 port with a temp config: loopback only,
 * optional TLS (certs made here with openssl) and an optional password file (mosquitto_passwd).
 * It can be stopped and started again on the same port to simulate a broker outage.
 */
export interface BrokerOptions {
  /** Users and passwords; anonymous clients are refused when given. */
  users?: Record<string, string>;
  /** Serve TLS (mqtts) with a CA and server certificate generated for 127.0.0.1. */
  tls?: boolean;
  /**
   * Keep sessions across a broker restart. Central IT subscribes with a persistent session, so
   * messages published while its subscriber has not yet reconnected after a restart are queued for
   * it instead of going nowhere; without this a broker restart races the subscriber's reconnect.
   */
  persistence?: boolean;
  verbose?: boolean;
}

export interface Broker {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** PEM files when tls is on. */
  readonly caFile?: string;
  /** The broker's log lines (connections, refusals), for assertions. */
  readonly log: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function makeCa(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=frontdesk test CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext]);
  return { caFile, certFile, keyFile };
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-mosq-'));
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'connection_messages true', 'max_queued_messages 100000'];
  // As root mosquitto drops to user "mosquitto", which cannot read our 0700 temp dir.
  if (userInfo().uid === 0) lines.push('user root');
  let caFile: string | undefined;
  if (opts.tls) {
    const ca = await makeCa(dir);
    caFile = ca.caFile;
    lines.push(`cafile ${ca.caFile}`, `certfile ${ca.certFile}`, `keyfile ${ca.keyFile}`, 'require_certificate false');
  }
  if (opts.users) {
    const pw = join(dir, 'passwd');
    await writeFile(pw, '');
    for (const [u, p] of Object.entries(opts.users)) await run('mosquitto_passwd', ['-b', pw, u, p]);
    lines.push(`password_file ${pw}`, 'allow_anonymous false');
  } else {
    lines.push('allow_anonymous true');
  }
  if (opts.persistence) lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 1');
  else lines.push('persistence false');
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, lines.join('\n') + '\n');

  const log: string[] = [];
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    const onData = (b: Buffer): void => {
      for (const l of b.toString().split('\n')) {
        if (!l) continue;
        log.push(l);
        if (opts.verbose) process.stderr.write(`[mosquitto] ${l}\n`);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    for (let i = 0; i < 200; i++) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited: ${log.join('\n')}`);
      if (await portOpen(port)) return;
      await sleep(25);
    }
    throw new Error(`mosquitto did not listen on ${port}: ${log.join('\n')}`);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await atMost(exited, 5000);
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await exited;
    }
  };
  await start();
  return {
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    ...(caFile ? { caFile } : {}),
    log,
    start,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
