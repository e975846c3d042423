import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Who is logged in. Agents are bound to their extension; supervisors and admins see everyone. */
export type Role = 'agent' | 'supervisor' | 'admin';
export interface User {
  name: string;
  role: Role;
  extension?: string;
}

export interface Session {
  id: string;
  user: User;
  /** Sent back by the page in X-CSRF-Token on every state change (synchronizer token). */
  csrf: string;
  lastSeen: number;
}

/**
 * Logins in memory: a restart logs everybody out, which is acceptable for a console on the box
 * (nothing to leak from disk). An idle session expires after `ttlMs`.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly dropped = new Set<(s: Session) => void>();

  constructor(private ttlMs: number, private readonly now: () => number = Date.now) {}

  setTtl(ms: number): void {
    this.ttlMs = ms;
  }

  create(user: User): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(24).toString('base64url'), lastSeen: this.now() };
    this.byId.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    const s = id ? this.byId.get(id) : undefined;
    if (!s) return undefined;
    if (this.now() - s.lastSeen > this.ttlMs) {
      this.drop(s.id);
      return undefined;
    }
    s.lastSeen = this.now();
    return s;
  }

  drop(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.byId.delete(id);
    for (const l of this.dropped) l(s);
  }

  /** End the sessions of users no longer in the config (or whose role or extension changed). */
  retain(keep: (u: User) => boolean): void {
    for (const s of [...this.byId.values()]) if (!keep(s.user)) this.drop(s.id);
  }

  onDropped(l: (s: Session) => void): void {
    this.dropped.add(l);
  }
}

export function csrfOk(s: Session, token: string | undefined): boolean {
  if (!token) return false;
  const a = Buffer.from(s.csrf), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Failed logins per client address and per user name. After FREE failures within WINDOW the key is
 * locked for 30 s, doubling with each further failure up to 15 min; a success clears its keys. During
 * a lock even the right password is refused, so guessing cannot go on at full speed.
 */
const FREE = 5, WINDOW_MS = 15 * 60_000, BASE_LOCK_MS = 30_000, MAX_LOCK_MS = 15 * 60_000;

export class LoginLimiter {
  private readonly keys = new Map<string, { failures: number; first: number; lockedUntil: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** ms until a login may be tried for these keys (0: now). */
  wait(keys: string[]): number {
    const t = this.now();
    return Math.max(0, ...keys.map((k) => (this.keys.get(k)?.lockedUntil ?? 0) - t));
  }

  fail(keys: string[]): void {
    const t = this.now();
    for (const k of keys) {
      let e = this.keys.get(k);
      if (!e || t - e.first > WINDOW_MS) this.keys.set(k, (e = { failures: 0, first: t, lockedUntil: 0 }));
      e.failures++;
      if (e.failures >= FREE) e.lockedUntil = t + Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (e.failures - FREE));
    }
    if (this.keys.size > 10_000) this.prune(t);
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.keys.delete(k);
  }

  private prune(t: number): void {
    for (const [k, e] of this.keys) if (t - e.first > WINDOW_MS && e.lockedUntil < t) this.keys.delete(k);
  }
}

/** What a role may open. */
export const can = {
  wallboard: (u: User): boolean => u.role !== 'agent',
  admin: (u: User): boolean => u.role === 'admin',
  workbench: (u: User, ext: string): boolean => u.role !== 'agent' || u.extension === ext,
};
