import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A pseudo-tty pair made by socat: `path` is the end the daemon opens (it looks like a modem's
 * ttyUSB), `peer` the end the emulator drives. Killing socat makes the daemon's end vanish the way
 * a USB unplug does (reads fail, the link disappears); start() brings it back at the same path.
 */
export class TtyPair {
  private proc: ChildProcess | undefined;
  readonly peer: string;

  constructor(readonly path: string) {
    this.peer = `${path}.peer`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const proc = spawn('socat', [`pty,raw,echo=0,link=${this.path}`, `pty,raw,echo=0,link=${this.peer}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    this.proc = proc;
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.path) && existsSync(this.peer))) {
      if (proc.exitCode !== null) throw new Error(`socat exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`socat did not create ${this.path}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }
}
