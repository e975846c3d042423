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
export interface OpenOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Run on every new connection before anything else uses it (the schema migrations). */
  onOpen?: (db: Db) => Promise<unknown>;
}

/**
 * sqlite error codes that say the database (file, disk, lock) is the problem, not the statement:
 * the same write will work once the fault is gone, so it is kept and retried, never dropped.
 */
const STORE_FAULTS = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_MISUSE', 'SQLITE_PERM']);
/** Faults a fresh connection may cure (a read-only open after the files were fixed, a broken file handle). */
const REOPEN_FAULTS = new Set(['SQLITE_READONLY', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_MISUSE', 'SQLITE_PERM']);

export function sqliteCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' && c.startsWith('SQLITE_') ? c : undefined;
}
export function isStoreFault(err: unknown): boolean {
  return STORE_FAULTS.has(sqliteCode(err) ?? '');
}
export function needsReopen(err: unknown): boolean {
  return REOPEN_FAULTS.has(sqliteCode(err) ?? '');
}

/**
 * Prepared write statements, by connection and SQL: preparing and finalizing every write anew cost
 * as much main-thread time as running it (call records under SIP load: ~12 writes per call). Bounded;
 * a connection's statements are finalized before it closes (sqlite refuses to close otherwise).
 */
const prepared = new WeakMap<sqlite3.Database, Map<string, Promise<sqlite3.Statement>>>();
const MAX_PREPARED = 256;

/** The connection's prepared statement for `sql`; undefined when the cache is full (run it unprepared). */
function statement(conn: sqlite3.Database, sql: string): Promise<sqlite3.Statement> | undefined {
  let byText = prepared.get(conn);
  if (!byText) prepared.set(conn, (byText = new Map<string, Promise<sqlite3.Statement>>()));
  let st = byText.get(sql);
  if (st) return st;
  if (byText.size >= MAX_PREPARED) return undefined;
  const cache = byText;
  // A statement whose prepare failed never calls back on run(): wait for the prepare, and forget a failed one.
  st = new Promise<sqlite3.Statement>((resolve, reject) => {
    const s = conn.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
  });
  cache.set(sql, st);
  st.catch(() => cache.delete(sql));
  return st;
}

function forget(conn: sqlite3.Database, sql: string): void {
  prepared.get(conn)?.delete(sql);
}

async function finalizeStatements(conn: sqlite3.Database): Promise<void> {
  const byText = prepared.get(conn);
  prepared.delete(conn);
  if (!byText) return;
  await Promise.all([...byText.values()].map((st) => st.then((s) => new Promise<void>((resolve) => s.finalize(() => resolve())), () => undefined)));
}

export class Db implements Tx {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readerDb: Db | undefined;
  private readerOpening: Promise<Db> | undefined;

  private constructor(
    private conn: sqlite3.Database | undefined,
    readonly file: string,
    private readonly opts: OpenOptions,
  ) {}

  static async open(file: string, opts: OpenOptions = {}): Promise<Db> {
    const db = new Db(await Db.openRaw(file, opts), file, opts);
    try {
      await db.setUp();
      await opts.onOpen?.(db);
    } catch (err) {
      await db.close().catch(() => undefined); // the open's error is thrown below
      throw err;
    }
    return db;
  }

  /**
   * A store whose file cannot be opened now (its directory read-only, the disk gone): every
   * operation fails with the open error (a store fault: the recorder keeps the events) and tries
   * to open it again, running opts.onOpen (the migrations) first once it succeeds.
   */
  static unopened(file: string, opts: OpenOptions = {}): Db {
    return new Db(undefined, file, opts);
  }

  private get raw(): sqlite3.Database {
    if (!this.conn) throw Object.assign(new Error(`database ${this.file} is not open`), { code: 'SQLITE_CANTOPEN' });
    return this.conn;
  }

  /** Inside the queue: the connection, opened (and set up) if it is not. */
  private async ensureOpen(): Promise<void> {
    if (this.conn || this.closed) return;
    const conn = await Db.openRaw(this.file, this.opts);
    this.conn = conn;
    try {
      await this.setUp();
      // The hook gets a view with its own queue on this connection: ours is busy running it.
      if (this.opts.onOpen) await this.opts.onOpen(new Db(conn, this.file, { ...this.opts, onOpen: undefined }));
    } catch (err) {
      this.conn = undefined;
      await finalizeStatements(conn);
      await new Promise<void>((resolve) => conn.close(() => resolve()));
      throw err;
    }
  }

  private static openRaw(file: string, opts: OpenOptions): Promise<sqlite3.Database> {
    const mode = opts.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, mode, (err) => {
        if (!err) return resolve(d);
        const e = new Error(`cannot open database ${file}: ${err.message}`) as Error & { code?: string };
        e.code = (err as Error & { code?: string }).code;
        reject(e);
      });
    });
  }

  private async setUp(): Promise<void> {
    this.raw.configure('busyTimeout', this.opts.busyTimeoutMs ?? 5000);
    if (!this.opts.readonly) {
      await this.rawExec('PRAGMA journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode; FULL adds power-loss durability for
      // the last transactions at a small cost, which is what an outbox promises.
      await this.rawExec('PRAGMA synchronous = FULL');
    }
    await this.rawExec('PRAGMA foreign_keys = ON');
  }

  /**
   * Close and open the connection again, between queued operations. sqlite keeps a connection
   * that was opened read-only (files not writable) read-only forever, so after the files are
   * fixed only a new connection can write.
   */
  reopen(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      // The reader goes too: sqlite shares a file's shared-memory index between the connections of
      // a process, and one opened read-only keeps it read-only for the new writer.
      const reader = this.readerDb;
      this.readerDb = undefined;
      await reader?.close().catch(() => undefined); // closing: the reader is read-only, nothing to lose
      const old = this.conn;
      this.conn = undefined;
      if (old) {
        await finalizeStatements(old);
        await new Promise<void>((resolve) => old.close(() => resolve()));
      }
      await this.ensureOpen();
    }, false);
  }

  /**
   * A second connection for reads that must not wait behind this one's writes (WAL lets readers
   * run while another process holds the write lock, or while our own write waits for it). The
   * call path reads through it, so a stuck write never delays a call.
   */
  reader(): Pick<Db, 'get' | 'all'> {
    if (this.opts.readonly) return this;
    const via = async (): Promise<Db> => {
      if (this.readerDb) return this.readerDb;
      this.readerOpening ??= Db.open(this.file, { busyTimeoutMs: 200 }).then((d) => (this.readerDb = d)).finally(() => (this.readerOpening = undefined));
      return this.readerOpening;
    };
    return {
      get: async <T>(sql: string, params: Params = []) => (await via()).get<T>(sql, params),
      all: async <T>(sql: string, params: Params = []) => (await via()).all<T>(sql, params),
    };
  }

  private enqueue<T>(op: () => Promise<T>, open = true): Promise<T> {
    const run = (): Promise<T> => (open ? this.ensureOpen().then(op) : op());
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined); // the tail only orders operations; the caller gets p's rejection
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
        await this.rawExec('ROLLBACK').catch(() => undefined); // the transaction's error is thrown below
        throw err;
      }
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const reader = this.readerDb;
    this.readerDb = undefined;
    return this.enqueue(async () => {
      await reader?.close().catch(() => undefined); // closing: the reader is read-only, nothing to lose
      const conn = this.conn;
      this.conn = undefined;
      if (conn) {
        await finalizeStatements(conn);
        await new Promise<void>((resolve, reject) => conn.close((err) => (err ? reject(err) : resolve())));
      }
    });
  }

  private rawRun(sql: string, params: Params): Promise<{ changes: number; lastID: number }> {
    const done = (resolve: (r: { changes: number; lastID: number }) => void, reject: (e: Error) => void) =>
      function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      };
    // Statements without parameters run as they come: a reused one would keep the last bindings.
    if (Array.isArray(params) ? params.length === 0 : Object.keys(params).length === 0) return new Promise((resolve, reject) => this.raw.run(sql, params, done(resolve, reject)));
    return new Promise((resolve, reject) => {
      const conn = this.raw;
      const cached = statement(conn, sql);
      if (!cached) conn.run(sql, params, done(resolve, reject));
      else
        cached.then(
          (st) =>
            st.run(
              params,
              done(resolve, (err) => {
                // A statement that failed (busy, constraint) keeps its read snapshot until reset: it goes, finalized, before the caller hears.
                forget(conn, sql);
                st.finalize(() => reject(err));
              }),
            ),
          reject,
        );
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
