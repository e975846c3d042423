import dgram from 'node:dgram';
import net from 'node:net';

/** Is `port` free on 127.0.0.1 for both UDP and TCP? */
async function free(port: number): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!udp) return false;
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/** A random loopback port free for UDP and TCP, with the next `span - 1` ports free too. */
export async function freePort(span = 1, min = 20000, max = 29000): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = min + Math.floor(Math.random() * (max - min - span));
    let ok = true;
    for (let k = 0; k < span && ok; k++) ok = !handedOut.has(p + k) && (await free(p + k));
    if (ok) {
      for (let k = 0; k < span; k++) handedOut.add(p + k);
      return p;
    }
  }
  throw new Error('no free port');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait for `p`, but at most `ms`. Unlike racing `sleep(ms)`, the timer is cleared once `p` settles:
 * a pending timer keeps the test process alive (a 5 s race in a teardown made every file 5 s longer).
 */
export async function atMost<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll `fn` until it returns a truthy value or `ms` pass. */
export async function waitFor<T>(fn: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
