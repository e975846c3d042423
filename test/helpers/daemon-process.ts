import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath } from './paths.js';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** The real daemon as a child process, with its JSON log lines collected for assertions. */
export class DaemonProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  /** nodeFlags: for node itself, e.g. a benchmark's --cpu-prof. */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []) {
    this.proc = spawn(process.execPath, [...nodeFlags, cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let l: LogLine;
      try {
        l = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      this.logs.push(l);
      this.waiters = this.waiters.filter((w) => (w.test(l) ? (w.resolve(l), false) : true));
    });
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  waitForLog(test: (l: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matched within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}; logs: ${this.logs.map((l) => l.msg).join(' | ')}`)), timeoutMs);
      this.waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.proc.kill(signal);
  }
}
