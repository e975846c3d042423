import type { Config } from './schema.js';

/** A rule the schema cannot express: unique ids, references that must exist. */
export interface CrossIssue {
  path: (string | number)[];
  message: string;
  /** Point at the key rather than the value. */
  onKey?: boolean;
}

export function crossCheck(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const dup = <T>(items: readonly T[] | undefined, key: (t: T) => string, section: string, field: string, what: string): void => {
    const first = new Map<string, number>();
    (items ?? []).forEach((it, i) => {
      const k = key(it);
      const prev = first.get(k);
      if (prev === undefined) first.set(k, i);
      else issues.push({ path: [section, i, field], message: `duplicate ${what} "${k}" (first used at ${section}[${prev}])` });
    });
  };
  dup(c.lines, (l) => l.id, 'lines', 'id', 'line id');
  dup(c.agents, (a) => a.extension, 'agents', 'extension', 'agent extension');
  dup(c.queues, (q) => q.id, 'queues', 'id', 'queue id');

  const queues = new Set((c.queues ?? []).map((q) => q.id));
  const extensions = new Set((c.agents ?? []).map((a) => a.extension));
  const slots = new Set(Object.keys(c.bot.collect ?? {}));
  const queueRef = (id: string, path: (string | number)[]): void => {
    if (!queues.has(id)) issues.push({ path, message: `no queue "${id}" (queues: ${[...queues].join(', ') || 'none defined'})` });
  };

  c.lines.forEach((l, i) => {
    const a = l.answer ?? 'bot';
    if (a.startsWith('queue:')) queueRef(a.slice(6), ['lines', i, 'answer']);
    if (a.startsWith('extension:') && !extensions.has(a.slice(10))) issues.push({ path: ['lines', i, 'answer'], message: `no agent with extension "${a.slice(10)}"` });
    if (l.kind === 'gsm' && !l.at_port && !l.imei) issues.push({ path: ['lines', i], message: 'a gsm line needs at_port or imei to find its modem' });
    if (l.kind === 'gsm' && l.modem === 'huawei' && l.at_port && !l.voice_port) issues.push({ path: ['lines', i], message: 'a huawei line needs voice_port (the audio tty) when at_port is given' });
    if (l.kind === 'sip' && l.register && !l.username) issues.push({ path: ['lines', i], message: 'register: true needs a username' });
  });

  (c.queues ?? []).forEach((q, i) => {
    if (q.overflow) {
      if (q.overflow.to === q.id) issues.push({ path: ['queues', i, 'overflow', 'to'], message: 'a queue cannot overflow into itself' });
      else queueRef(q.overflow.to, ['queues', i, 'overflow', 'to']);
    }
  });

  const menuRefs = (menu: Record<string, unknown> | undefined, path: (string | number)[]): void => {
    for (const [key, action] of Object.entries(menu ?? {})) {
      const p = [...path, key];
      const check = (s: string | undefined, at: (string | number)[]): void => {
        if (!s) return;
        if (s.startsWith('queue:')) queueRef(s.slice(6), at);
        if (s.startsWith('collect:') && !slots.has(s.slice(8))) issues.push({ path: at, message: `no bot.collect slot "${s.slice(8)}"` });
      };
      if (typeof action === 'string') check(action, p);
      else if (action && typeof action === 'object') {
        const a = action as { then?: string; queue?: string; menu?: { keys: Record<string, unknown> } };
        check(a.then, [...p, 'then']);
        if (a.queue) queueRef(a.queue, [...p, 'queue']);
        if (a.menu) menuRefs(a.menu.keys, [...p, 'menu', 'keys']);
      }
    }
  };
  menuRefs(c.bot.menu, ['bot', 'menu']);
  if (c.bot.handoff?.default_queue) queueRef(c.bot.handoff.default_queue, ['bot', 'handoff', 'default_queue']);
  (c.bot.intents ?? []).forEach((it, i) => it.queue && queueRef(it.queue, ['bot', 'intents', i, 'queue']));

  const ranges = c.sip?.rtp_ports?.split('-').map(Number);
  if (ranges && (ranges[0]! >= ranges[1]! || ranges[1]! > 65535 || (ranges[1]! - ranges[0]!) < 2)) {
    issues.push({ path: ['sip', 'rtp_ports'], message: `"${c.sip?.rtp_ports}" is not a usable port range (low-high, within 1024-65535)` });
  }
  issues.push(...afterCallRefs(c, slots));
  return issues;
}

/** SMS templates, tickets and campaigns: the slots, templates and lines they name must exist. */
function afterCallRefs(c: Config, slots: Set<string>): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const templates = c.sms?.templates ?? {};
  const template = (id: string, path: (string | number)[]): void => {
    if (!(id in templates)) issues.push({ path, message: `no sms.templates.${id} (templates: ${Object.keys(templates).join(', ') || 'none defined'})` });
  };
  const slot = (s: string, path: (string | number)[], onKey = false): void => {
    if (!slots.has(s)) issues.push({ path, message: `no bot.collect slot "${s}"`, ...(onKey ? { onKey } : {}) });
  };
  for (const [s, id] of Object.entries(c.sms?.on_capture ?? {})) {
    slot(s, ['sms', 'on_capture', s], true);
    template(id, ['sms', 'on_capture', s]);
  }
  c.tickets?.when_captured.forEach((s, i) => slot(s, ['tickets', 'when_captured', i]));
  if (c.tickets?.sms) template(c.tickets.sms, ['tickets', 'sms']);
  const lines = new Map(c.lines.map((l) => [l.id, l.kind]));
  (c.campaigns ?? []).forEach((camp, i) =>
    camp.lines.forEach((id, k) => {
      const kind = lines.get(id);
      if (!kind) issues.push({ path: ['campaigns', i, 'lines', k], message: `no line "${id}"` });
      else if (kind === 'sip') issues.push({ path: ['campaigns', i, 'lines', k], message: `line "${id}" is a SIP line; campaigns call out on GSM or analog lines` });
    }),
  );
  const ids = new Set<string>();
  (c.campaigns ?? []).forEach((camp, i) => (ids.has(camp.id) ? issues.push({ path: ['campaigns', i, 'id'], message: `duplicate campaign id "${camp.id}"` }) : ids.add(camp.id)));
  return issues;
}
