import type { Config } from './schema.js';

/** A rule the schema cannot express: unique ids, references that must exist. */
export interface CrossIssue {
  path: (string | number)[];
  message: string;
  /** Point at the key rather than the value. */
  onKey?: boolean;
}

/**
 * Every cross-reference rule; each runs on its own so that, on a config the schema refused, a rule
 * tripping over a wrong-typed value does not hide the others' findings.
 */
export function crossCheck(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  for (const part of [ids, lines, queues, menus, consoleUsers, afterCallRefs]) {
    try {
      issues.push(...part(c));
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
    }
  }
  return issues;
}

function ids(c: Config): CrossIssue[] {
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
  // Two actions on one feature code: the first would always win.
  const codes = new Map<string, string>();
  for (const [action, code] of Object.entries(c.routing?.feature_codes ?? {})) {
    const prev = codes.get(code);
    if (prev) issues.push({ path: ['routing', 'feature_codes', action], message: `"${code}" is already the ${prev} code` });
    else codes.set(code, action);
  }
  return issues;
}

/** A check that `id` names a queue, reporting at `path` when not. */
function queueRefs(c: Config, issues: CrossIssue[]): (id: string, path: (string | number)[]) => void {
  const queues = new Set((c.queues ?? []).map((q) => q.id));
  return (id, path) => {
    if (!queues.has(id)) issues.push({ path, message: `no queue "${id}" (queues: ${[...queues].join(', ') || 'none defined'})` });
  };
}

function lines(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const queueRef = queueRefs(c, issues);
  const extensions = new Set((c.agents ?? []).map((a) => a.extension));

  c.lines.forEach((l, i) => {
    const a = l.answer ?? 'bot';
    if (a.startsWith('queue:')) queueRef(a.slice(6), ['lines', i, 'answer']);
    if (a.startsWith('extension:') && !extensions.has(a.slice(10))) issues.push({ path: ['lines', i, 'answer'], message: `no agent with extension "${a.slice(10)}"` });
    if (l.kind === 'gsm' && !l.at_port && !l.imei) issues.push({ path: ['lines', i], message: 'a gsm line needs at_port or imei to find its modem' });
    if (l.kind === 'gsm' && l.modem === 'huawei' && l.at_port && !l.voice_port) issues.push({ path: ['lines', i], message: 'a huawei line needs voice_port (the audio tty) when at_port is given' });
    if (l.kind === 'sip' && l.register && !l.username) issues.push({ path: ['lines', i], message: 'register: true needs a username' });
  });
  const cb = c.routing?.callback?.line;
  if (cb !== undefined && !c.lines.some((l) => l.id === cb)) issues.push({ path: ['routing', 'callback', 'line'], message: `no line "${cb}" (lines: ${c.lines.map((l) => l.id).join(', ')})` });
  return issues;
}

function queues(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const queueRef = queueRefs(c, issues);
  (c.queues ?? []).forEach((q, i) => {
    if (q.hold_music && !c.speech?.prompts_dir) issues.push({ path: ['queues', i, 'hold_music'], message: `hold music "${q.hold_music}" is a recording in speech.prompts_dir, which is not set` });
    if (q.overflow) {
      if (q.overflow.to === q.id) issues.push({ path: ['queues', i, 'overflow', 'to'], message: 'a queue cannot overflow into itself' });
      else queueRef(q.overflow.to, ['queues', i, 'overflow', 'to']);
    }
  });
  return issues;
}

function menus(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const queueRef = queueRefs(c, issues);
  const slots = new Set(Object.keys(c.bot.collect ?? {}));
  const thenRef = (s: string | undefined, at: (string | number)[]): void => {
    if (!s) return;
    if (s.startsWith('queue:')) queueRef(s.slice(6), at);
    if (s.startsWith('collect:') && !slots.has(s.slice(8))) issues.push({ path: at, message: `no bot.collect slot "${s.slice(8)}"` });
    if (s === 'faq' && !c.knowledge) issues.push({ path: at, message: '"faq" opens the common-questions menu of the knowledge base, but there is no knowledge section' });
  };
  const menuRefs = (menu: Record<string, unknown> | undefined, path: (string | number)[]): void => {
    for (const [key, action] of Object.entries(menu ?? {})) {
      const p = [...path, key];
      const check = thenRef;
      if (typeof action === 'string') check(action, p);
      else if (action && typeof action === 'object') {
        const a = action as { then?: string; queue?: string; menu?: { keys: Record<string, unknown>; personalise?: boolean } };
        check(a.then, [...p, 'then']);
        if (a.queue) queueRef(a.queue, [...p, 'queue']);
        if (a.menu) menuRefs(a.menu.keys, [...p, 'menu', 'keys']);
        if (a.menu?.personalise) labelled(a.menu.keys, [...p, 'menu', 'personalise']);
      }
    }
  };
  // A personalised menu reorders its labelled options; with fewer than two there is nothing to reorder.
  const labelled = (keys: Record<string, unknown> | undefined, at: (string | number)[]): void => {
    const n = Object.values(keys ?? {}).filter((k) => typeof k === 'object' && k !== null && ('label' in k || 'label_prompt' in k)).length;
    if (n < 2) issues.push({ path: at, message: `a personalised menu offers its labelled options, the caller's favourite first; give at least two of its options a label (${n} labelled)` });
  };
  menuRefs(c.bot.menu, ['bot', 'menu']);
  if (c.bot.menu_personalise) labelled(c.bot.menu, ['bot', 'menu_personalise']);
  (c.bot.faq ?? []).forEach((f, i) => thenRef(f.then, ['bot', 'faq', i, 'then']));
  for (const [slot, spec] of Object.entries(c.bot.collect ?? {})) thenRef(spec.then, ['bot', 'collect', slot, 'then']);
  if (c.bot.handoff?.default_queue) queueRef(c.bot.handoff.default_queue, ['bot', 'handoff', 'default_queue']);
  (c.bot.intents ?? []).forEach((it, i) => it.queue && queueRef(it.queue, ['bot', 'intents', i, 'queue']));

  return issues;
}

/** Console logins: unique names; an agent login is one of the agents; web callers' line id is free. */
function consoleUsers(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const extensions = new Set((c.agents ?? []).map((a) => a.extension));
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

/** SMS templates, tickets and campaigns: the slots, templates and lines they name must exist. */
function afterCallRefs(c: Config): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const slots = new Set(Object.keys(c.bot.collect ?? {}));
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
  c.tickets?.when_captured?.forEach((s, i) => slot(s, ['tickets', 'when_captured', i]));
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
