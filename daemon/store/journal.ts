import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope } from '../bus/events.js';

/**
 * The fallback journal: while the store cannot write (disk full, files read-only, locked), the
 * events waiting for it are also appended here, on another filesystem (storage.fallback_dir), and
 * fsynced, so a crash or power loss during the fault loses nothing that reached the journal. One
 * JSON document per line: a header {epoch} and then {j, e} entries numbered from 1. The store
 * records (journal_applied, in the same transaction as the records) the last entry of an epoch it
 * holds, so a replay after a crash never writes an entry twice. Emptied once everything is in the
 * store.
 */

export const JOURNAL_FILE = 'frontdesk-pending.jsonl';
/** The journal never grows beyond this (its filesystem may be RAM that the whole system needs). */
export const JOURNAL_MAX_BYTES = 32 * 1024 * 1024;

export interface JournalEntry {
  j: number;
  e: Envelope;
}

export class Journal {
  readonly file: string;
  epoch: string | undefined;
  private next = 1;
  private torn = false;
  private bytes = 0;
  private fh: FileHandle | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly maxBytes = JOURNAL_MAX_BYTES,
  ) {
    this.file = join(dir, JOURNAL_FILE);
  }

  /** What a previous run left, in order; undefined when there is nothing. Unparsable lines (a torn last write) are skipped. */
  async load(): Promise<{ epoch: string; entries: JournalEntry[] } | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    this.bytes = Buffer.byteLength(text);
    let epoch: string | undefined;
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      let doc: { epoch?: string; j?: number; e?: Envelope };
      try {
        doc = JSON.parse(line) as typeof doc;
      } catch {
        continue;
      }
      if (doc.epoch) epoch = doc.epoch;
      else if (typeof doc.j === 'number' && doc.e) entries.push({ j: doc.j, e: doc.e });
    }
    if (!epoch || entries.length === 0) return undefined;
    // Later entries go on in the same file and numbering.
    this.epoch = epoch;
    this.next = entries[entries.length - 1]!.j + 1;
    return { epoch, entries };
  }

  /** Append events and fsync; resolves with their entry numbers. Serialised. */
  append(events: Envelope[]): Promise<{ epoch: string; js: number[] }> {
    const run = this.chain.then(async () => {
      if (!this.fh) {
        await mkdir(this.dir, { recursive: true });
        this.fh = await open(this.file, 'a');
      }
      // Numbers and epoch are taken only once the write is on disk: a failed append changes nothing.
      const fresh = !this.epoch;
      const epoch = this.epoch ?? randomUUID();
      let next = fresh ? 1 : this.next;
      const head = fresh ? `${JSON.stringify({ epoch, created: new Date().toISOString() })}\n` : '';
      const js: number[] = [];
      const lines = events.map((e) => {
        const j = next++;
        js.push(j);
        return `${JSON.stringify({ j, e })}\n`;
      });
      // After a failed append a torn line may end the file: start on a fresh line.
      const lead = this.torn ? '\n' : '';
      const chunk = lead + head + lines.join('');
      const size = Buffer.byteLength(chunk);
      if (this.bytes + size > this.maxBytes) throw new Error(`fallback journal full (${this.maxBytes} bytes)`);
      this.torn = true;
      this.bytes += size; // counted before the write: a torn write still takes room
      await this.fh.appendFile(chunk);
      await this.fh.datasync();
      this.torn = false;
      this.epoch = epoch;
      this.next = next;
      return { epoch, js };
    });
    this.chain = run.catch(() => undefined); // the chain only orders writes; the caller gets run's rejection
    return run;
  }

  /** Everything is in the store: start afresh (the next fault opens a new epoch). */
  clear(): Promise<void> {
    const run = this.chain.then(async () => {
      if (!this.fh) this.fh = await open(this.file, 'a');
      await this.fh.truncate(0);
      await this.fh.datasync();
      this.bytes = 0;
      this.epoch = undefined;
      this.next = 1;
    });
    this.chain = run.catch(() => undefined); // the chain only orders writes; the caller gets run's rejection
    return run;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh?.close().catch(() => undefined); // closing: every append was already synced or reported
    this.fh = undefined;
  }
}
