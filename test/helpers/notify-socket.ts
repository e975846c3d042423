import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A stand-in for systemd's notify socket: a unix datagram socket (python3, since Node cannot bind
 * one) that collects what the daemon sends. Each datagram arrives as one JSON string line.
 */
export class NotifySocket {
  readonly path: string;
  readonly messages: string[] = [];
  private proc: ChildProcess;
  private waiters: { test: (m: string) => boolean; resolve: (m: string) => void }[] = [];

  private readonly dir: string;

  // Unix socket paths are limited to 107 bytes, so the socket lives in a short temp dir of its own.
  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fd-notify-'));
    this.path = join(this.dir, 'notify.sock');
    const py = [
      'import socket, sys, json, os',
      `p = ${JSON.stringify(this.path)}`,
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(p)',
      'print(json.dumps("BOUND"), flush=True)',
      'while True:',
      '    print(json.dumps(s.recv(65536).decode()), flush=True)',
    ].join('\n');
    this.proc = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as string;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => (w.test(msg) ? (w.resolve(msg), false) : true));
    });
  }

  static async start(): Promise<NotifySocket> {
    const s = new NotifySocket();
    await s.waitFor((m) => m === 'BOUND', 5000);
    return s;
  }

  /** Resolves with the first message (already received or future) that passes the test. */
  waitFor(test: (m: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const seen = this.messages.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notify message matched within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`)), timeoutMs);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  close(): void {
    this.proc.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
