import type { Bus } from '../bus/bus.js';
import type { Db } from '../store/db.js';
import type { Logger } from '../log.js';

export const TICKET_STATUSES = ['open', 'in-progress', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export interface NewTicket {
  by: string;
  callId?: string;
  customer?: string;
  owner?: string;
  subject?: string;
  fields?: Record<string, string>;
}

export interface TicketRow {
  number: string;
  call_id: string | null;
  customer: string | null;
  status: TicketStatus;
  owner: string | null;
  subject: string | null;
  fields: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/**
 * Tickets (工单). A number is the day (YYMMDD, in the box's time zone) and a 4-digit sequence of
 * that day, all digits so the bot can read it out and a caller can key it in: 2611290007. Creation
 * and changes go through the bus and are stored with their MQTT report in one transaction.
 */
export class Tickets {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: { db: Db; bus: Bus; log: Logger; timezone: () => string | undefined }) {}

  private day(now: Date): string {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: this.o.timezone() ?? 'UTC', year: '2-digit', month: '2-digit', day: '2-digit' }).formatToParts(now);
    const g = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
    return `${g('year')}${g('month')}${g('day')}`;
  }

  /** Open a ticket; resolves with its number once it is stored. Serialised, so numbers never collide. */
  create(t: NewTicket, now = new Date()): Promise<string> {
    const p = this.chain.then(async () => {
      const day = this.day(now);
      const last = await this.o.db.get<{ n: string | null }>('SELECT MAX(number) AS n FROM tickets WHERE number LIKE ?', [`${day}%`]);
      const seq = last?.n ? Number(last.n.slice(6)) + 1 : 1;
      const number = `${day}${String(seq).padStart(4, '0')}`;
      const data = { ticket: number, status: 'open', by: t.by, fields: t.fields ?? {}, ...(t.callId ? { callId: t.callId } : {}), ...(t.customer ? { customer: t.customer } : {}), ...(t.owner ? { owner: t.owner } : {}), ...(t.subject ? { subject: t.subject } : {}) };
      this.o.log.info({ event: 'ticket.created', ...data }, 'ticket.created');
      await this.o.bus.emitAndWait('ticket.created', data);
      return number;
    });
    this.chain = p.catch(() => undefined); // the chain only orders numbering; the caller gets p's rejection
    return p;
  }

  async get(number: string): Promise<(TicketRow & { history: unknown[] }) | undefined> {
    const row = await this.o.db.get<TicketRow>('SELECT * FROM tickets WHERE number = ?', [number]);
    if (!row) return undefined;
    const history = await this.o.db.all('SELECT at, action, by, data FROM ticket_history WHERE ticket = ? ORDER BY id', [number]);
    return { ...row, history };
  }

  async update(number: string, change: { status?: TicketStatus; owner?: string; note?: string }, by: string): Promise<TicketRow> {
    if (!(await this.o.db.get('SELECT 1 AS x FROM tickets WHERE number = ?', [number]))) throw new Error(`no ticket ${number}`);
    const data = { ticket: number, by, ...change };
    this.o.log.info({ event: 'ticket.updated', ...data }, 'ticket.updated');
    await this.o.bus.emitAndWait('ticket.updated', data);
    return (await this.o.db.get<TicketRow>('SELECT * FROM tickets WHERE number = ?', [number]))!;
  }
}
