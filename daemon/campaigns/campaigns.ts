import { readFile } from 'node:fs/promises';
import type { Bus } from '../bus/bus.js';
import type { DomainEvents } from '../bus/events.js';
import type { Config } from '../config/schema.js';
import { durationOr } from '../config/duration.js';
import { isOpen } from '../bot/hours.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { parseCsv } from '../customers/csv.js';
import type { Originator } from './originate.js';

type CampaignConfig = NonNullable<Config['campaigns']>[number];

/** Each campaign's contact list as read from its CSV file, or why it could not be. */
export type ContactLists = { campaign: NonNullable<Config['campaigns']>[number]; rows?: string[][]; error?: string }[];

interface ContactRow {
  number: string;
  attempts: number;
}

/**
 * Follow-up campaigns (回访). Contacts come from the campaign's CSV into campaign_contacts (once;
 * progress survives restarts and reloads). Every second, inside the campaign's window (in
 * timezone), each of its lines that is ready and free dials the next due contact through the
 * originator (so the dial policy applies) and hands an answering contact to the bot flow, which can
 * hand them to an agent as for any caller. Busy, no answer and failed are tried again after
 * retry_after up to attempts; do-not-call numbers are never dialled.
 */
export class Campaigns {
  private timer: NodeJS.Timeout | undefined;
  private readonly dialling = new Set<string>();
  private ticking = false;

  constructor(private readonly o: { db: Db; bus: Bus; log: Logger; config: () => Config; originator: Originator; lineFree: (id: string) => boolean }) {}

  private emit<K extends keyof DomainEvents>(type: K, data: DomainEvents[K]): void {
    this.o.log.info({ event: type, ...(data as object) }, type);
    this.o.bus.emit(type, data);
  }

  /** Read every campaign's contacts into the store (new numbers only) and start dialling. */
  async start(): Promise<void> {
    // A try cut short by a stop is tried again.
    await this.o.db.run("UPDATE campaign_contacts SET state = 'retry' WHERE state = 'dialling'");
    await this.load();
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  async load(cfg: Config = this.o.config()): Promise<void> {
    await this.apply(await this.read(cfg));
  }

  /** Read the contact lists a config names (the first phase of a reload: nothing changes yet). */
  async read(cfg: Config): Promise<ContactLists> {
    const out: ContactLists = [];
    for (const c of cfg.campaigns ?? []) {
      try {
        out.push({ campaign: c, rows: parseCsv(await readFile(c.contacts, 'utf8')).rows });
      } catch (err) {
        out.push({ campaign: c, error: (err as Error).message });
      }
    }
    return out;
  }

  /** Queue the contacts read (new ones only); an unreadable list raises campaign-contacts. */
  async apply(lists: ContactLists): Promise<void> {
    const now = new Date().toISOString();
    for (const l of lists) {
      const c = l.campaign;
      if (!l.rows) {
        this.emit('alarm', { code: 'campaign-contacts', source: c.id, severity: 'warning', active: true, message: `cannot read ${c.contacts}: ${l.error ?? ''}` });
        continue;
      }
      const rows = l.rows;
      const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
      const ni = header.indexOf('number');
      const nm = header.indexOf('name');
      const dnc = new Set(c.do_not_call ?? []);
      await this.o.db.transaction(async (tx) => {
        for (const r of rows) {
          const number = (r[ni] ?? '').replace(/[\s-]/g, '');
          if (!/^\+?[0-9]{3,20}$/.test(number)) continue;
          const skip = dnc.has(number);
          const ins = await tx.run('INSERT OR IGNORE INTO campaign_contacts (campaign, number, name, state, outcome, next_at) VALUES (?, ?, ?, ?, ?, ?)', [c.id, number, nm >= 0 ? (r[nm] ?? null) : null, skip ? 'skipped' : 'pending', skip ? 'do-not-call' : null, now]);
          if (ins.changes && skip) this.emit('campaign.contact', { campaign: c.id, number, attempt: 0, result: 'do-not-call', state: 'skipped' });
        }
      });
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const cfg = this.o.config();
      for (const c of cfg.campaigns ?? []) {
        if (!isOpen(c.window ? { open: c.window.open, ...(c.window.holidays ? { holidays: c.window.holidays } : {}) } : undefined, cfg.timezone)) continue;
        for (const lineId of c.lines) {
          if (this.dialling.has(lineId) || !this.o.lineFree(lineId)) continue;
          const next = await this.o.db.get<ContactRow>("SELECT number, attempts FROM campaign_contacts WHERE campaign = ? AND state IN ('pending', 'retry') AND next_at <= ? ORDER BY next_at, rowid LIMIT 1", [c.id, new Date().toISOString()]);
          if (!next) break;
          this.dialling.add(lineId);
          await this.o.db.run("UPDATE campaign_contacts SET state = 'dialling', attempts = attempts + 1, last_line = ?, last_at = ? WHERE campaign = ? AND number = ?", [lineId, new Date().toISOString(), c.id, next.number]);
          void this.call(c, next, lineId) // runs beside the next contacts; a failure is logged here
            .catch((err: unknown) => this.o.log.error({ err, campaign: c.id, number: next.number }, 'campaign: contact result not recorded'))
            .finally(() => this.dialling.delete(lineId));
        }
      }
    } catch (err) {
      this.o.log.error({ err }, 'campaign tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async call(c: CampaignConfig, contact: ContactRow, lineId: string): Promise<void> {
    const attempt = contact.attempts + 1;
    let result: string;
    let detail: string | undefined;
    try {
      const r = await this.o.originator.originate({ target: contact.number, line: lineId, connect: 'bot', by: `campaign:${c.id}`, ringTimeoutMs: durationOr(c.ring_timeout, '30s') });
      result = r.result;
      detail = r.detail;
    } catch (err) {
      result = 'failed';
      detail = (err as Error).message;
    }
    const final = result === 'answered' || result === 'refused' || attempt >= (c.attempts ?? 3);
    const retryAt = new Date(Date.now() + durationOr(c.retry_after, '30m')).toISOString();
    await this.o.db.run('UPDATE campaign_contacts SET state = ?, outcome = ?, next_at = ?, detail = ? WHERE campaign = ? AND number = ?', [final ? 'done' : 'retry', result, final ? new Date().toISOString() : retryAt, detail ?? null, c.id, contact.number]);
    this.emit('campaign.contact', { campaign: c.id, number: contact.number, attempt, result, state: final ? 'done' : 'retry', lineId, ...(final ? {} : { retryAt }) });
    // An answered contact's line is busy with the bot call; the line's in-call state keeps it out of the next tick.
  }
}

/** A campaign's results as CSV rows (for the CLI export). */
export async function campaignResults(db: Pick<Db, 'all'>, campaign: string): Promise<(string | number | null)[][]> {
  const rows = await db.all<Record<string, string | number | null>>('SELECT number, name, state, outcome, attempts, last_line, last_at, detail FROM campaign_contacts WHERE campaign = ? ORDER BY rowid', [campaign]);
  const cols = ['number', 'name', 'state', 'outcome', 'attempts', 'last_line', 'last_at', 'detail'];
  return [cols, ...rows.map((r) => cols.map((k) => r[k] ?? null))];
}
