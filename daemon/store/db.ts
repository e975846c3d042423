import sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | null | Buffer;
export type Params = SqlValue[] | Record<string, SqlValue>;

/** Statements run inside a transaction. The same methods as Db, minus transaction(). */
export interface Tx {
  run(sql: string, params?: Params): Promise<{ changes: number; lastID: number }>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

/**
 * sqlite3 behind a small promise API. One connection; every operation is queued so a transaction's
 * statements never interleave with another caller's (sqlite3's own serialize() does not cover async
 * code between statements). WAL so readers never block the writer, a busy timeout for other
 * processes (the CLI reading the same file), foreign keys on.
 */
export class Db implements Tx {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {}

  static async open(file: string, opts: { busyTimeoutMs?: number; readonly?: boolean } = {}): Promise<Db> {
    const mode = opts.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, mode, (err) => (err ? reject(new Error(`cannot open database ${file}: ${err.message}`)) : resolve(d)));
    });
    const db = new Db(raw, file);
    raw.configure('busyTimeout', opts.busyTimeoutMs ?? 5000);
    if (!opts.readonly) {
      await db.exec('PRAGMA journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode; FULL adds power-loss durability for
      // the last transactions at a small cost, which is what an outbox promises.
      await db.exec('PRAGMA synchronous = FULL');
    }
    await db.exec('PRAGMA foreign_keys = ON');
    return db;
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const p = this.tail.then(op, op);
    this.tail = p.catch(() => undefined);
    return p;
  }

  run(sql: string, params: Params = []): Promise<{ changes: number; lastID: number }> {
    return this.enqueue(() => this.rawRun(sql, params));
  }
  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.enqueue(() => this.rawGet<T>(sql, params));
  }
  all<T>(sql: string, params: Params = []): Promise<T[]> {
    return this.enqueue(() => this.rawAll<T>(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.enqueue(() => this.rawExec(sql));
  }

  /** Run fn inside BEGIN IMMEDIATE … COMMIT; roll back if it throws. Nothing else runs meanwhile. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      const tx: Tx = {
        run: (s, p = []) => this.rawRun(s, p),
        get: <R>(s: string, p: Params = []) => this.rawGet<R>(s, p),
        all: <R>(s: string, p: Params = []) => this.rawAll<R>(s, p),
        exec: (s) => this.rawExec(s),
      };
      await this.rawExec('BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        await this.rawExec('COMMIT');
        return result;
      } catch (err) {
        await this.rawExec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.enqueue(() => new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve()))));
  }

  private rawRun(sql: string, params: Params): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }
  private rawGet<T>(sql: string, params: Params): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.raw.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }
  private rawAll<T>(sql: string, params: Params): Promise<T[]> {
    return new Promise((resolve, reject) => this.raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }
  private rawExec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }
}
