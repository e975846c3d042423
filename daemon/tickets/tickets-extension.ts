import type { Context, Extension } from '../extension.js';
import type { Captured, FollowUp } from '../calls/capture.js';
import type { Say } from '../bot/dialog.js';
import { CommandError } from '../telemetry/commands.js';
import { renderTemplate } from '../sms/templates.js';
import { TICKET_STATUSES, Tickets, type TicketStatus } from './tickets.js';
import { registerTicketWriters } from './writers.js';
import { callLanguage, textIn } from '../config/locale.js';

const DEFAULT_SAY = { zh: '您的工单号是{ticket}。', en: 'Your ticket number is {ticket}.' };

/** Digits read one by one ("2 6 1 1 ..."), as a caller writes a number down. */
const spoken = (n: string): string => n.split('').join(' ');

/**
 * Tickets as a daemon feature: the bot opens one when it has captured every slot in
 * tickets.when_captured, or after answering a knowledge entry with then: ticket (the caller hears
 * the number and gets it by SMS), and agents or central IT
 * open, read and change them with the MQTT commands ticket-open, ticket-get and ticket-update.
 */
export class TicketsExtension implements Extension {
  readonly name = 'tickets';
  readonly writers = registerTicketWriters;
  private ctx!: Context;
  private tickets!: Tickets;
  private readonly offs: (() => void)[] = [];
  /** Calls that already have their ticket (one per call), by call id. */
  private readonly opened = new Map<string, Promise<string>>();

  service(): Tickets {
    return this.tickets;
  }

  async start(ctx: Context): Promise<void> {
    this.ctx = ctx;
    this.tickets = new Tickets({ db: ctx.db, bus: ctx.bus, log: ctx.log.child({ component: 'tickets' }), timezone: () => ctx.config().timezone });
    this.offs.push(ctx.services.captures.add((c) => this.onCaptured(c)), ctx.services.captures.onFollowUp('ticket', (f) => this.onKnowledgeTicket(f)), ctx.bus.on('call.ended', (e) => void this.opened.delete(e.data.callId)));
    this.registerCommands();
  }

  private async onCaptured(c: Captured): Promise<Say[] | undefined> {
    const t = this.ctx.config().tickets;
    if (!t?.when_captured || this.opened.has(c.callId) || !t.when_captured.every((s) => c.slots[s])) return undefined;
    return this.forCall(c, c.slots, t.subject ? renderTemplate(t.subject, { ...c.slots, ...(c.caller ? { caller: c.caller } : {}) }) : undefined);
  }

  /** A knowledge entry with then: ticket: the call's ticket (opened now, or the one it already has) about the entry. */
  private async onKnowledgeTicket(f: FollowUp): Promise<Say[] | undefined> {
    if (!this.ctx.config().tickets) return undefined;
    return this.forCall(f, { ...f.slots, kb_entry: f.entry }, f.subject);
  }

  /** Open the call's ticket (one per call: asked again, the caller hears the same number), text it and say it. */
  private async forCall(c: Omit<Captured, 'slot'>, fields: Record<string, string>, subject: string | undefined): Promise<Say[]> {
    const cfg = this.ctx.config();
    const t = cfg.tickets ?? {};
    const values = { ...c.slots, ...(c.caller ? { caller: c.caller } : {}) };
    let number = this.opened.get(c.callId);
    if (!number) {
      const pending = this.tickets.create({ by: 'bot', callId: c.callId, fields, ...(c.caller ? { customer: c.caller } : {}), ...(subject ? { subject } : {}) });
      this.opened.set(c.callId, pending);
      number = pending;
      const n = await pending.catch((err: unknown) => {
        this.opened.delete(c.callId);
        throw err;
      });
      if (t.sms && c.caller) {
        try {
          const sms = this.ctx.services.sms.require();
          await sms.send({ to: c.caller, text: sms.render(t.sms, { ...values, ticket: n }), kind: 'ticket', callId: c.callId, ticket: n, lineId: c.lineId });
        } catch (err) {
          this.ctx.log.error({ err, ticket: n }, 'ticket SMS not queued');
        }
      }
    }
    const say = t.say ?? textIn(DEFAULT_SAY, callLanguage(cfg));
    return [{ text: renderTemplate(say, { ...values, ticket: spoken(await number) }) }];
  }

  private registerCommands(): void {
    const r = this.ctx.services.commands;
    const by = (p: { agent?: string }) => (p.agent ? `agent:${p.agent}` : 'mqtt');
    this.offs.push(
      r.register('ticket-open', {
        summary: 'open a ticket (an agent for a customer); optionally text the number to the customer',
        schema: (Type) => Type.Object({ agent: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$' })), customer: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{3,20}$' })), subject: Type.String({ minLength: 1, maxLength: 500 }), fields: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1000 }))), owner: Type.Optional(Type.String({ maxLength: 64 })), sms: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        handler: async (p: { agent?: string; customer?: string; subject: string; fields?: Record<string, string>; owner?: string; sms?: boolean }) => {
          const number = await this.tickets.create({ by: by(p), subject: p.subject, fields: p.fields ?? {}, ...(p.customer ? { customer: p.customer } : {}), ...((p.owner ?? p.agent) ? { owner: (p.owner ?? p.agent)! } : {}) });
          let sms: unknown;
          const tpl = this.ctx.config().tickets?.sms;
          if (p.sms && p.customer && tpl) {
            const out = this.ctx.services.sms.require();
            sms = await out.send({ to: p.customer, text: out.render(tpl, { ...(p.fields ?? {}), ticket: number, caller: p.customer }), kind: 'ticket', ticket: number });
          }
          return { number, ...(sms ? { sms } : {}) };
        },
      }),
      r.register('ticket-get', {
        summary: 'a ticket with its history',
        schema: (Type) => Type.Object({ number: Type.String({ pattern: '^[0-9]{10,}$' }) }, { additionalProperties: false }),
        handler: async (p: { number: string }) => {
          const t = await this.tickets.get(p.number);
          if (!t) throw new CommandError(`no ticket ${p.number}`);
          return { ...t, fields: JSON.parse(t.fields) as unknown };
        },
      }),
      r.register('ticket-update', {
        summary: 'change a ticket\'s status or owner, or add a note',
        schema: (Type) => Type.Object({ number: Type.String({ pattern: '^[0-9]{10,}$' }), agent: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$' })), status: Type.Optional(Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)))), owner: Type.Optional(Type.String({ maxLength: 64 })), note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
        handler: async (p: { number: string; agent?: string; status?: TicketStatus; owner?: string; note?: string }) => {
          if (!p.status && !p.owner && !p.note) throw new CommandError('nothing to change: give status, owner or note');
          try {
            const row = await this.tickets.update(p.number, { ...(p.status ? { status: p.status } : {}), ...(p.owner ? { owner: p.owner } : {}), ...(p.note ? { note: p.note } : {}) }, by(p));
            return { number: row.number, status: row.status, owner: row.owner };
          } catch (err) {
            throw new CommandError((err as Error).message);
          }
        },
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
  }
}

