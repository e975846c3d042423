import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Console passwords as scrypt hashes: `scrypt$N$r$p$<salt b64>$<hash b64>`. The parameters travel with
 * the hash so they can be raised later without invalidating old ones. N=2^15, r=8 costs ~32 MiB and
 * ~100 ms per check on the box: slow for a guesser, fine for a login.
 */
const N = 32768, R = 8, P = 1, KEYLEN = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keylen, { ...opts, maxmem: 128 * opts.N! * opts.r! * 2 }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 8) throw new Error('a console password needs at least 8 characters');
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P }, KEYLEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (n < 1024 || n > 1 << 20 || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const want = Buffer.from(m[5]!, 'base64');
  if (want.length < 16) return false;
  const got = await derive(password, Buffer.from(m[4]!, 'base64'), { N: n, r, p }, want.length);
  return timingSafeEqual(got, want);
}

/** A hash of a random password, checked against for unknown users so a login takes as long either way. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(12).toString('base64'));
  return dummy;
}
