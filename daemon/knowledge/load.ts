import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, formatPath, NodeIndex, positionOf, simplify, type ConfigIssue } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { BotSession } from '../bot/dialog.js';
import { normalize, Synonyms } from '../bot/understand.js';
import { KB_LANGS, KnowledgeBase, type KbFile, type KbLang } from './kb.js';
import { unknownPlaceholders } from './placeholders.js';
import { parseCsv } from './csv.js';

/**
 * Reading and checking the knowledge-base file (YAML, or CSV one entry per row). Every problem is
 * reported as file:line:col like the config's: schema errors, duplicate ids and questions, entries
 * missing a language the box speaks, unknown placeholders, follow-ups naming no queue or slot, and
 * entries no caller can reach (every question taken by something else and not in the menu).
 */

const Texts = Type.Object({ zh: Type.Optional(Type.String({ minLength: 1 })), en: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false });
const Phrases = Type.Object({ zh: Type.Optional(Type.Array(Type.String({ minLength: 1 }))), en: Type.Optional(Type.Array(Type.String({ minLength: 1 }))) }, { additionalProperties: false });
const THEN = '^(agent|hangup|voicemail|menu|ticket|queue:[A-Za-z0-9_-]+|collect:[A-Za-z0-9_-]+)$';
const Entry = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'Entry id: letters, digits, _ and -.' }),
    title: Type.Optional(Texts),
    ask: Phrases,
    keywords: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    answer: Texts,
    then: Type.Optional(Type.String({ pattern: THEN, description: 'Follow-up after the answer: menu (default), agent, queue:<id>, collect:<slot>, ticket (opens a ticket for the call, number said and texted as tickets.say/tickets.sms), voicemail or hangup.' })),
    menu: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const KbFileSchema = Type.Object(
  {
    languages: Type.Optional(Type.Array(Type.Union([Type.Literal('zh'), Type.Literal('en')]), { minItems: 1 })),
    synonyms: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })))),
    entries: Type.Array(Entry, { minItems: 1 }),
  },
  { additionalProperties: false },
);

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv2019({ allErrors: true, strict: false, verbose: true }).compile(JSON.parse(JSON.stringify(KbFileSchema)) as object);
  return validator;
}

type Path = (string | number)[];
type Locate = (path: Path, onKey?: boolean) => { line: number; col: number };

/** The knowledge file named by the config, relative to the config file's directory. */
export function knowledgePath(configFile: string, file: string): string {
  return isAbsolute(file) ? file : resolve(dirname(configFile), file);
}

export interface LoadedKnowledge {
  data: KbFile;
  file: string;
  hash: string;
}

export async function loadKnowledgeFile(file: string, config: Config): Promise<LoadedKnowledge> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `cannot read the knowledge base: ${(err as Error).message}` }]);
  }
  return { data: parseKnowledge(text, file, config), file, hash: createHash('sha256').update(text).digest('hex') };
}

export function parseKnowledge(text: string, file: string, config: Config): KbFile {
  const { data, locate } = file.toLowerCase().endsWith('.csv') ? fromCsv(text, file) : fromYaml(text, file);
  const issues: ConfigIssue[] = [];
  const v = validate();
  if (!v(data)) {
    for (const e of simplify(v.errors ?? [])) issues.push({ file, ...locate(e.path, e.onKey), path: formatPath(e.path), message: e.message });
  } else {
    for (const c of checkKnowledge(data as KbFile, config)) issues.push({ file, ...locate(c.path), path: formatPath(c.path), message: c.message });
  }
  if (issues.length) throw new ConfigError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  return data as KbFile;
}

function fromYaml(text: string, file: string): { data: unknown; locate: Locate } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (o: number): { line: number; col: number } => lc.linePos(o);
  const errs = [...doc.errors, ...doc.warnings];
  if (errs.length) throw new ConfigError(errs.map((e) => ({ file, ...at(e.pos[0]), path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  const index = new NodeIndex();
  return { data: doc.toJS({ maxAliasCount: 100 }) as unknown, locate: (path, onKey = false) => positionOf(doc, path, at, onKey, index) };
}

/** CSV columns → entry fields; cells with several values separate them with "|". */
const COLUMNS = ['id', 'title_zh', 'title_en', 'ask_zh', 'ask_en', 'keywords', 'answer_zh', 'answer_en', 'then', 'menu'] as const;

function fromCsv(text: string, file: string): { data: unknown; locate: Locate } {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `empty CSV; expected a header row: ${COLUMNS.join(',')}` }]);
  const issues: ConfigIssue[] = [];
  const cols = header.map((c) => c.value.trim().toLowerCase());
  cols.forEach((c, i) => {
    if (!(COLUMNS as readonly string[]).includes(c)) issues.push({ file, line: header[i]!.line, col: header[i]!.col, path: '', message: `unknown column "${c}" (expected: ${COLUMNS.join(', ')})` });
  });
  if (!cols.includes('id')) issues.push({ file, line: 1, col: 1, path: '', message: 'the header needs an "id" column' });
  const where = new Map<string, { line: number; col: number }>();
  const entries: Record<string, unknown>[] = [];
  const list = (s: string): string[] => s.split('|').map((x) => x.trim()).filter(Boolean);
  for (const row of rows.slice(1)) {
    if (row.every((c) => !c.value.trim())) continue;
    const i = entries.length;
    const e: Record<string, unknown> = {};
    const ask: Record<string, string[]> = {};
    const answer: Record<string, string> = {};
    const title: Record<string, string> = {};
    where.set(`${i}`, { line: row[0]!.line, col: 1 });
    row.forEach((cell, k) => {
      const col = cols[k];
      const v = cell.value.trim();
      if (!col || !v) return;
      const pos = { line: cell.line, col: cell.col };
      const [field, lang] = col.split('_') as [string, string | undefined];
      where.set(lang ? `${i}.${field}.${lang}` : `${i}.${field}`, pos);
      if (field === 'ask') ask[lang!] = list(v);
      else if (field === 'answer') answer[lang!] = v;
      else if (field === 'title') title[lang!] = v;
      else if (field === 'keywords') e.keywords = list(v);
      else if (field === 'menu') {
        if (/^(yes|true|1|y)$/i.test(v)) e.menu = true;
        else if (/^(no|false|0|n)$/i.test(v)) e.menu = false;
        else issues.push({ file, ...pos, path: `entries[${i}].menu`, message: `"${v}" is not yes or no` });
      } else e[field] = v;
    });
    entries.push({ ...e, ask, answer, ...(Object.keys(title).length ? { title } : {}) });
  }
  if (issues.length) throw new ConfigError(issues);
  const locate: Locate = (path) => {
    // entries[i].field[.lang][.k] → the cell; else the row; else the top.
    const [, i, field, lang] = path;
    return where.get(`${i}.${field}.${lang}`) ?? where.get(`${i}.${field}`) ?? where.get(`${i}`) ?? { line: 1, col: 1 };
  };
  return { data: { entries }, locate };
}

interface KbIssue {
  path: Path;
  message: string;
}

/** Rules the schema cannot express (pure; the data has passed the schema). */
export function checkKnowledge(kb: KbFile, config: Config): KbIssue[] {
  const issues: KbIssue[] = [];
  const langs = kb.languages ?? [...KB_LANGS];
  const botLang: KbLang = (config.bot.language ?? config.language ?? 'zh-CN').startsWith('zh') ? 'zh' : 'en';
  if (!langs.includes(botLang)) issues.push({ path: ['languages'], message: `the bot speaks ${botLang} but the knowledge base is only in ${langs.join(', ')}` });

  const firstId = new Map<string, number>();
  const syn = new Synonyms(config.bot.synonyms ?? {}, kb.synonyms ?? {});
  const firstAsk = new Map<string, { entry: number; path: Path }>();
  const queues = new Set((config.queues ?? []).map((q) => q.id));
  const slots = new Set(Object.keys(config.bot.collect ?? {}));
  kb.entries.forEach((e, i) => {
    const prev = firstId.get(e.id);
    if (prev !== undefined) issues.push({ path: ['entries', i, 'id'], message: `duplicate entry id "${e.id}" (first used at entries[${prev}])` });
    else firstId.set(e.id, i);
    for (const lang of langs) {
      if (!e.answer[lang]) issues.push({ path: ['entries', i, 'answer'], message: `no ${lang} answer (the knowledge base's languages: ${langs.join(', ')})` });
      if (!e.ask[lang]?.length) issues.push({ path: ['entries', i, 'ask'], message: `no ${lang} question` });
    }
    for (const lang of KB_LANGS) {
      (e.ask[lang] ?? []).forEach((q, k) => {
        const key = syn.apply(normalize(q));
        const seen = firstAsk.get(key);
        if (seen && seen.entry !== i) issues.push({ path: ['entries', i, 'ask', lang, k], message: `duplicate question "${q}": entry "${kb.entries[seen.entry]!.id}" asks the same (${formatPath(seen.path)})` });
        else if (!seen) firstAsk.set(key, { entry: i, path: ['entries', i, 'ask', lang, k] });
      });
      const a = e.answer[lang];
      const unknown = a ? unknownPlaceholders(a) : [];
      if (unknown.length) issues.push({ path: ['entries', i, 'answer', lang], message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} (known: {hours}, {holidays})` });
    }
    const then = e.then ?? '';
    if (then.startsWith('queue:') && !queues.has(then.slice(6))) issues.push({ path: ['entries', i, 'then'], message: `no queue "${then.slice(6)}"` });
    if (then.startsWith('collect:') && !slots.has(then.slice(8))) issues.push({ path: ['entries', i, 'then'], message: `no bot.collect slot "${then.slice(8)}"` });
    if (then === 'ticket' && !config.tickets) issues.push({ path: ['entries', i, 'then'], message: 'then: ticket needs a tickets section in the config (tickets.say, tickets.sms)' });
  });
  if (issues.length) return issues;

  // Reachability: by speech, some question of the entry must be understood as the entry itself;
  // by keys, the entry must be in the menu and some bot.menu key must open it.
  const menuOpen = hasFaqKey(config.bot.menu);
  const kbase = new KnowledgeBase(kb, () => config, () => 0, '');
  for (const lang of langs) {
    const bot = new BotSession(config.bot, { language: lang === 'zh' ? 'zh-CN' : 'en-US', knowledge: kbase });
    kb.entries.forEach((e, i) => {
      const asks = [...(e.ask[lang] ?? []), ...(e.keywords ?? [])];
      const heard = asks.map((q) => bot.understand(q));
      if (heard.includes(`kb:${e.id}`)) return;
      if (menuOpen && e.menu !== false) return;
      const takenBy = [...new Set(heard.filter(Boolean))].join(', ') || 'nothing';
      issues.push({ path: ['entries', i], message: `unreachable in ${lang}: every question is understood as something else (${takenBy}) and ${menuOpen ? 'the entry is not in the menu (menu: false)' : 'no bot.menu key opens the common-questions menu ("faq")'}` });
    });
  }
  return issues;
}

function hasFaqKey(menu: Record<string, unknown> | undefined): boolean {
  return Object.values(menu ?? {}).some((a) => a === 'faq' || (typeof a === 'object' && a !== null && hasFaqKey((a as { menu?: { keys?: Record<string, unknown> } }).menu?.keys)));
}
