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
  // Console logins: unique names; an agent login is one of the agents.
  const web = c.console?.web_callers ? (c.console.web_callers.line_id ?? 'web') : undefined;
  if (web && c.lines.some((l) => l.id === web)) issues.push({ path: ['console', 'web_callers', 'line_id'], message: `line id "${web}" is already a line's` });
  const names = new Set<string>();
  (c.console?.users ?? []).forEach((u, i) => {
    if (names.has(u.name)) issues.push({ path: ['console', 'users', i, 'name'], message: `duplicate console user "${u.name}"` });
    names.add(u.name);
    if (u.role === 'agent' && !u.extension) issues.push({ path: ['console', 'users', i], message: `user "${u.name}" has role agent but no extension` });
    if (u.extension && !extensions.has(u.extension)) issues.push({ path: ['console', 'users', i, 'extension'], message: `no agent with extension "${u.extension}"` });
  });
  return issues;
}
