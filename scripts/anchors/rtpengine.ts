/**
 * rtpengine (Debian rtpengine-daemon, userspace relay, no kernel module) driven over its ng control
 * protocol (bencoded dictionaries over UDP, each prefixed by a cookie): the anchor bench-bridge holds
 * our bridge against. Only benchmarks use it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';

export type Bencode = string | number | Buffer | Bencode[] | { [k: string]: Bencode };

/** A bencoded scalar as text (dictionary keys, commands, SDP); lists and dictionaries as JSON. */
export function btext(v: Bencode | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return JSON.stringify(v);
}

export function bencode(v: Bencode): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${Math.trunc(v)}e`);
  if (typeof v === 'string') v = Buffer.from(v);
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k]!)]), Buffer.from('e')]);
}

/** Decodes one value at `at`; strings come back as UTF-8 strings. */
export function bdecode(b: Buffer, at = 0): { value: Bencode; end: number } {
  const c = String.fromCharCode(b[at]!);
  if (c === 'i') {
    const e = b.indexOf(0x65, at);
    return { value: Number(b.toString('latin1', at + 1, e)), end: e + 1 };
  }
  if (c === 'l' || c === 'd') {
    const list: Bencode[] = [];
    let p = at + 1;
    while (b[p] !== 0x65) {
      const r = bdecode(b, p);
      list.push(r.value);
      p = r.end;
    }
    if (c === 'l') return { value: list, end: p + 1 };
    const dict: { [k: string]: Bencode } = {};
    for (let i = 0; i < list.length; i += 2) dict[btext(list[i])] = list[i + 1]!;
    return { value: dict, end: p + 1 };
  }
  const colon = b.indexOf(0x3a, at);
  const len = Number(b.toString('latin1', at, colon));
  return { value: b.toString('utf8', colon + 1, colon + 1 + len), end: colon + 1 + len };
}

export class NgClient {
  private readonly sock = dgram.createSocket('udp4');
  private seq = 0;
  private readonly pending = new Map<string, (v: Record<string, Bencode>) => void>();

  constructor(private readonly port: number, private readonly host = '127.0.0.1') {
    this.sock.on('message', (m) => {
      const sp = m.indexOf(0x20);
      const cookie = m.toString('latin1', 0, sp);
      const r = this.pending.get(cookie);
      if (!r) return;
      this.pending.delete(cookie);
      r(bdecode(m, sp + 1).value as Record<string, Bencode>);
    });
  }

  async request(cmd: Record<string, Bencode>, timeoutMs = 2000): Promise<Record<string, Bencode>> {
    const cookie = `c${process.pid}_${++this.seq}`;
    const p = new Promise<Record<string, Bencode>>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(cookie);
        reject(new Error(`rtpengine: no answer to ${btext(cmd.command)}`));
      }, timeoutMs);
      this.pending.set(cookie, (v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
    this.sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(cmd)]), this.port, this.host);
    const v = await p;
    if (v.result !== 'ok' && v.result !== 'pong') throw new Error(`rtpengine ${btext(cmd.command)}: ${JSON.stringify(v)}`);
    return v;
  }

  close(): void {
    this.sock.close();
  }
}

export interface Rtpengine {
  proc: ChildProcess;
  ng: NgClient;
  stop(): Promise<void>;
}

/** Starts rtpengine in the foreground on loopback; resolves once it answers an ng ping. */
export async function startRtpengine(ngPort: number, ports: { min: number; max: number }): Promise<Rtpengine> {
  const proc = spawn('rtpengine', [
    '--foreground', '--table=-1', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`,
    `--port-min=${ports.min}`, `--port-max=${ports.max}`, '--log-stderr', '--log-level=3',
    '--no-redis-required', '--delete-delay=0',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()).slice(-4000));
  const ng = new NgClient(ngPort);
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`rtpengine exited: ${err}`);
    try {
      await ng.request({ command: 'ping' }, 300);
      break;
    } catch (e) {
      if (i > 30) throw new Error(`rtpengine did not come up: ${(e as Error).message} ${err}`);
    }
  }
  return {
    proc,
    ng,
    async stop() {
      ng.close();
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
  };
}

/** The audio port and address of the first m=audio line in an SDP body. */
export function sdpAudio(sdp: string): { host: string; port: number } {
  const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1] ?? '127.0.0.1';
  const port = Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
  return { host, port };
}
