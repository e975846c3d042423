import { Type, type Static, type TObject, type TProperties, type TLiteral, type TUnion, type SchemaOptions } from '@sinclair/typebox';
import { DEFAULT_DATA_DIR } from './paths.js';
import { WEBHOOK_EVENTS } from './webhook-events.js';

/**
 * The one YAML file an installer writes, as a JSON Schema. The TypeScript type of the config is
 * derived from this schema (Config below), `frontdesk schema` prints it, and editors validate with it
 * through the `# yaml-language-server: $schema=` header. Add fields here first; the description is
 * what installers see in their editor and in the README's config reference.
 */

// ---- small shared shapes -------------------------------------------------------------------------

/** Objects reject unknown keys so typos are caught (with a did-you-mean). */
const Obj = <P extends TProperties>(props: P, description?: string): TObject<P> =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

/** One of a fixed list of words, typed as that list. */
function OneOf<const T extends readonly string[]>(values: T, opts: SchemaOptions = {}): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), opts);
}

export const DURATION_RE = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w|y)$';
const Duration = (description: string, def?: string) =>
  Type.String({ pattern: DURATION_RE, description: `${description} A duration like "500ms", "20s", "2m", "1h", "30d", "2y".`, ...(def ? { default: def } : {}) });

const Id = (description: string) => Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', description: `${description} Letters, digits, _ and -; at most 32 characters.` });
const Extension = Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$', description: 'A desk-phone extension, e.g. "801".' });
const E164 = Type.String({ pattern: '^\\+?[0-9 ().-]{3,24}$', description: 'A phone number: E.164 ("+8613900000001"), or national ("13900000001") when country_code is set.' });
const TimeRange = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$', description: 'Opening time range, "09:00-18:00".' });
/** Weekday specs: the loader checks the names (any case), ranges (may wrap) and comma lists, with a did-you-mean. */
const Days = Type.String({ pattern: '^[A-Za-z]+(-[A-Za-z]+)?(,[A-Za-z]+(-[A-Za-z]+)?)*$', description: 'Days: "mon", "mon-fri", "fri-mon" (wraps), "mon,wed,fri"; any case.' });
const DateStr = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'A date, "2026-10-01".' });
const Answer = Type.String({
  pattern: '^(bot|voicemail|reject|queue:[A-Za-z0-9_-]+|extension:[0-9A-Za-z*#+]+)$',
  description: 'Who answers calls on this line: "bot" (the greeting and menus), "queue:<id>" (straight into that queue), "extension:<ext>" (ring that desk phone, voicemail if nobody answers), "voicemail", or "reject" (GSM: hung up unanswered; SIP: 603 Decline; analog: never picked up).',
  default: 'bot',
});
/** A recording's file name stem in speech.prompts_dir (what PromptResolver accepts: no paths). */
const PromptId = (description: string) => Type.String({ pattern: '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$', description: `${description} Letters, digits, _, - and .; no paths.` });
const Dtmf = OneOf(['auto', 'in-band'] as const, {
  default: 'auto',
  description: 'Where callers\' key presses are taken from: auto = what the line provides (Quectel/SIMCom tone reports, analog DLE codes, SIP RFC 4733; the audio on Huawei modems and SIP calls without RFC 4733); in-band = always detected in the audio (for a modem whose tone reports are unreliable). Never both.',
});
// In-band DTMF sensitivity (issue 17): quiet lines (long analog loops) need a lower floor.
const DtmfMinLevel = Type.Number({
  minimum: -50,
  maximum: -20,
  default: -42,
  description: 'Quietest key tone (dBm0, per tone) the in-band DTMF detector accepts: -42 finds a -40 dBFS tone with margin; lower it (down to -50) for quiet lines, raise it where background audio is mistaken for keys.',
});
const Language = Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$', description: 'A language tag, e.g. "zh-CN" or "en-US".' });

/**
 * A union told apart by its `kind`, validated with Ajv's discriminator so an installer sees the errors
 * of the kind they wrote, not of every kind at once.
 */
function Discriminated<T extends TObject[]>(members: [...T], description: string) {
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    description,
    required: ['kind'],
    discriminator: { propertyName: 'kind' },
    oneOf: members,
  });
}

// ---- lines ---------------------------------------------------------------------------------------

// Modem lines: echo and hang-ups into silence (issue 18).
const EchoCancel = (def: string, who: string) =>
  Type.String({
    pattern: `^(off|${DURATION_RE.slice(1, -1)})$`,
    default: def,
    description: `Line echo cancellation (speexdsp) on the caller's audio. ${who} The value is the echo tail the canceller covers after the line's delay (20ms-500ms; "128ms" suits phone lines, 64ms-256ms), or "off". SIP lines have no canceller: the phone there cancels its own echo.`,
  });
const SilentCaller = (def: string) =>
  Type.String({
    pattern: `^(off|${DURATION_RE.slice(1, -1)})$`,
    default: def,
    description: 'End a call whose caller has been silent this long (at least 1s) while nobody else talks to them (no prompt, no hold music, no agent speaking): the backstop for lines that report no hang-up. Recorded with cause caller-silent. "off" to disable.',
  });

const GsmLine = Obj(
  {
    id: Id('Line id; appears in MQTT topics (lines/<id>) and call records.'),
    kind: Type.Literal('gsm'),
    modem: Type.Union([Type.Literal('huawei'), Type.Literal('quectel'), Type.Literal('simcom')], {
      description: 'Modem family: huawei (E1550/E173 class, voice on a serial port), quectel (EC2x, QPCMV), simcom (SIM7600, CPCMREG).',
    }),
    at_port: Type.Optional(Type.String({ minLength: 1, description: 'The AT command tty; prefer /dev/serial/by-id/... so it survives reboots.' })),
    voice_port: Type.Optional(Type.String({ minLength: 1, description: 'The voice (PCM) tty, for modems that carry audio on a separate port.' })),
    imei: Type.Optional(Type.String({ pattern: '^[0-9]{14,16}$', description: 'Find the modem by IMEI among the serial ports instead of by path.' })),
    sim_pin: Type.Optional(Type.String({ pattern: '^[0-9]{4,8}$', description: 'SIM PIN, if the SIM asks for one. Use ${VAR} to keep it out of the file.' })),
    answer: Type.Optional(Answer),
    dtmf: Type.Optional(Dtmf),
    dtmf_min_level: Type.Optional(DtmfMinLevel),
    sms: Type.Optional(Obj({ receive: Type.Optional(Type.Boolean({ default: true, description: 'Store received SMS and report them.' })) })),
    echo_cancel: Type.Optional(EchoCancel('off', 'GSM lines: off by default, as modules cancel line echo themselves; set a tail for a module whose own canceller is off.')),
    silent_caller_hangup: Type.Optional(SilentCaller('off')),
  },
  'A GSM modem line (AT commands over serial).',
);

const AnalogLine = Obj(
  {
    id: Id('Line id.'),
    kind: Type.Literal('analog'),
    port: Type.String({ minLength: 1, description: 'The V.253 voice modem tty.' }),
    answer: Type.Optional(Answer),
    dtmf: Type.Optional(Dtmf),
    dtmf_min_level: Type.Optional(DtmfMinLevel),
    rings_before_answer: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 2, description: 'Wait for this many rings (caller ID arrives between the first two).' })),
    silence_events: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, default: 1, description: 'End the call after this many <DLE>s / <DLE>q in a row (the modem presumes the caller hung up into silence); 0 ignores them.' }),
    ),
    echo_cancel: Type.Optional(EchoCancel('128ms', 'Analog lines: on by default, as a 2-wire line returns what the box sends (6-15 dB down).')),
    silent_caller_hangup: Type.Optional(SilentCaller('60s')),
    // Dial-outs (originate, campaigns): when the callee counts as answered (issue 15).
    ringback_gone: Type.Optional(
      Duration('Dial-outs: the modem presumes the callee answered once their ringback has stopped this long after at least one ring (AT+VRA, 0.1 s steps, at most 25.5s). Must be longer than the pause between two rings (4 s in most countries).', '5s'),
    ),
    ringback_never: Type.Optional(Duration('Dial-outs: the modem presumes the callee answered when no ringback at all was heard this long after dialling (AT+VRN, 1 s steps, at most 25s).', '10s')),
  },
  'An analog PSTN line through a V.253 voice modem.',
);

const SipLine = Obj(
  {
    id: Id('Line id.'),
    kind: Type.Literal('sip'),
    host: Type.String({ minLength: 1, description: 'The PBX or SIP provider address.' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 5060 })),
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' })),
    register: Type.Optional(Type.Boolean({ default: false, description: 'Register with the PBX (needed when it only sends calls to registered users).' })),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ description: 'Digest password; use ${VAR}.' })),
    realm: Type.Optional(Type.String()),
    answer: Type.Optional(Answer),
    dtmf: Type.Optional(Dtmf),
    dtmf_min_level: Type.Optional(DtmfMinLevel),
    extensions_via_trunk: Type.Optional(Type.Boolean({ default: true, description: 'Reach agents\' extensions through this trunk (the PBX); false: only agents with a contact URI are reached.' })),
    caller_id: Type.Optional(OneOf(['pai', 'rpid', 'both', 'none'] as const, { default: 'pai', description: 'Calls to extensions through the PBX come From this trunk\'s user (so digest auth works); the caller\'s number is shown in the display name and in P-Asserted-Identity (pai), Remote-Party-ID (rpid), both, or neither (none).' })),
    answer_delay: Type.Optional(Duration('Let inbound calls ring this long before the bot answers, so the PBX can still cancel a call whose caller gave up (487).', '0s')),
  },
  'A SIP trunk to the local PBX where the desk phones are.',
);

// ---- sip endpoint --------------------------------------------------------------------------------

const SipSection = Obj(
  {
    listen: Type.Optional(Type.String({ pattern: '^(\\[[0-9a-fA-F:.]+\\]|[0-9.]+|[A-Za-z0-9.-]+):[0-9]{1,5}$', default: '0.0.0.0:5060', description: 'Address:port the SIP user agent listens on (UDP and TCP).' })),
    rtp_ports: Type.Optional(Type.String({ pattern: '^[0-9]{4,5}-[0-9]{4,5}$', default: '20000-20999', description: 'RTP port range, "20000-20999".' })),
    allow_from: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' }), { description: 'Addresses (CIDR) whose requests are accepted without authentication; everything else is challenged or refused.' })),
    users: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$' }), Type.String({ minLength: 1 }), { additionalProperties: false, description: 'Desk phones that register directly with the box: extension → password (use ${VAR}).' })),
    max_calls: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'Most SIP calls at once (inbound and outbound legs); beyond it new INVITEs get 503 with Retry-After. Default: what the RTP port range holds.' })),
    retry_after: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 5, description: 'Seconds a refused caller\'s PBX should wait before retrying (Retry-After on 503 when overloaded).' })),
    timers: Type.Optional(Obj({ t1: Type.Optional(Duration('SIP T1 (RTT estimate).', '500ms')), t2: Type.Optional(Duration('SIP T2.', '4s')), t4: Type.Optional(Duration('SIP T4.', '5s')) })),
  },
  'The box\'s own SIP user agent.',
);

// ---- dialling out (toll-fraud guard) ----------------------------------------------------------------

const DialPrefix = Type.String({ pattern: '^\\+?[0-9]{1,16}$|^\\+$' });
const Dialing = Obj(
  {
    allowed_prefixes: Type.Optional(Type.Array(DialPrefix, { description: 'If set, only numbers under one of these prefixes are dialled, e.g. ["0", "1", "+86"].' })),
    blocked_prefixes: Type.Optional(Type.Array(DialPrefix, { default: ['00'], description: 'Never dialled: international and premium ranges, e.g. ["00", "+", "0900"]. Where an allowed and a blocked prefix both match, the longer one decides ("+" blocked, "+86" allowed).' })),
    max_per_line: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 30, description: 'Most calls the box dials out on one line within per_line_window; more are refused (a runaway loop or fraud).' })),
    per_line_window: Type.Optional(Duration('The window for max_per_line.', '1h')),
  },
  'Every call the box places to a customer (callbacks, originate, campaigns) passes this policy; refused numbers are logged and raise a dial-refused alarm.',
);

// ---- people and queues ---------------------------------------------------------------------------

const Agent = Obj({
  extension: Extension,
  name: Type.String({ minLength: 1, description: 'Shown in reports and spoken to callers when useful.' }),
  skills: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.Integer({ minimum: 1, maximum: 10 }), { additionalProperties: false, description: 'skill → level; a higher level is preferred.' })),
  groups: Type.Optional(Type.Array(Type.String())),
  wrap_up: Type.Optional(Duration('After-call work time before the next call.', '10s')),
  max_calls: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 1, description: 'Concurrent calls this extension takes: a desk phone 1, a PBX hunt group or softphone behind one extension more. The box-wide bound is sip.max_calls.' })),
  logged_in: Type.Optional(Type.Boolean({ default: true, description: 'Logged in at start (feature codes and MQTT commands change it at run time).' })),
  contact: Type.Optional(Type.String({ pattern: '^(sips?:|webrtc$)', description: 'Call this SIP URI directly instead of through the PBX trunk or a registration, e.g. "sip:801@192.168.10.21:5060"; or "webrtc": the agent\'s phone is their console workbench in the browser.' })),
});

export const STRATEGIES = ['longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all', 'linear', 'random'] as const;
const Strategy = OneOf(STRATEGIES, { description: 'How the next agent is chosen.', default: 'longest-idle' });

const Queue = Obj({
  id: Id('Queue id; referenced by menus ("queue: billing") and lines ("answer: queue:billing").'),
  skill: Type.Optional(Type.String({ description: 'Agents with this skill serve the queue (default: the queue id).' })),
  skills: Type.Optional(Type.Array(Type.String(), { description: 'Several skills; an agent needs one of them.' })),
  strategy: Type.Optional(Strategy),
  ring_timeout: Type.Optional(Duration('How long one agent\'s phone rings before the next is tried.', '20s')),
  max_wait: Type.Optional(Duration('Longest wait before on_max_wait applies.', '5m')),
  max_length: Type.Optional(Type.Integer({ minimum: 1, description: 'Callers beyond this many go straight to on_max_wait.' })),
  overflow: Type.Optional(Obj({ to: Type.String({ description: 'Queue id to overflow into.' }), after: Type.Optional(Duration('Overflow after waiting this long.', '90s')), when_no_agents: Type.Optional(Type.Boolean({ default: true })) })),
  on_max_wait: Type.Optional(Type.Union([Type.Literal('voicemail'), Type.Literal('callback')], { default: 'voicemail' })),
  announce: Type.Optional(Obj({ position: Type.Optional(Type.Boolean({ default: true })), wait_estimate: Type.Optional(Type.Boolean({ default: true })), every: Type.Optional(Duration('Repeat the announcement this often.', '45s')) })),
  sticky_agent: Type.Optional(Obj({ within: Duration('A caller served within this time goes to the same agent first.'), wait_for_them: Type.Optional(Duration('Wait at most this long for that agent.', '20s')) })),
  ring_rounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 1, description: 'A caller leaves the queue (overflow, else on_max_wait) once every logged-in agent of the queue has been rung this many times without answering.' })),
  hold_music: Type.Optional(PromptId('Prompt id of the hold music (prompts_dir/<id>.wav, which must exist); default: a soft generated chime.')),
  hours: Type.Optional(
    Obj(
      {
        open: Type.Record(Days, Type.Union([TimeRange, Type.Array(TimeRange)])),
        holidays: Type.Optional(Type.Array(DateStr)),
      },
      'Opening hours of this queue (in addition to the main hours); a caller arriving when it is closed goes to overflow, else on_max_wait.',
    ),
  ),
});

const FeatureCode = (def: string, description: string) => Type.String({ pattern: '^[*#0-9]{2,8}$', default: def, description });

const Routing = Obj({
  auto_pause_after: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, default: 3, description: 'Pause an agent after this many calls in a row rung without answer (0: never).' })),
  busy_backoff: Type.Optional(Duration('An agent whose phone answered busy (486) is not rung again for this long.', '30s')),
  check_phones: Type.Optional(Duration('Ping agents\' desk phones (those with a contact) with SIP OPTIONS this often; a phone that does not answer makes its agent unreachable and skipped until it answers again. Off when absent.')),
  feature_codes: Type.Optional(
    Obj(
      {
        login: Type.Optional(FeatureCode('*51', 'Dialled from a desk phone to the box: log in.')),
        logout: Type.Optional(FeatureCode('*52', 'Log out.')),
        pause: Type.Optional(FeatureCode('*53', 'Pause; digits after the code are the reason code, e.g. *532.')),
        unpause: Type.Optional(FeatureCode('*54', 'Unpause.')),
      },
      'Codes agents dial from their desk phone to the box; the box confirms by voice.',
    ),
  ),
  callback: Type.Optional(
    Obj({
      line: Type.Optional(Type.String({ description: 'Line id to call customers back on (default: the line they called on, else any free GSM line).' })),
      attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Tries to reach the customer before giving up.' })),
      retry_after: Type.Optional(Duration('Wait between tries.', '2m')),
    }),
  ),
});

const Priority = Obj({
  vip_numbers: Type.Optional(Type.Array(E164, { description: 'Callers that jump the queue (plus customers tagged VIP in the store).' })),
  repeat_caller_within: Type.Optional(Duration('Callers who called within this time get priority.')),
  resume_abandoned_within: Type.Optional(Duration('A caller who hung up while queued and calls back within this time gets the old place.')),
});

/**
 * Something the bot says: one text, or zh and en versions (issue 15); the call's language (the bot's, or
 * the caller's from the customer record or the CRM lookup) picks one, the other when it is missing.
 */
const Text = (description?: string) =>
  Type.Union([Type.String(), Type.Object({ zh: Type.Optional(Type.String()), en: Type.Optional(Type.String()) }, { additionalProperties: false, minProperties: 1 })], {
    ...(description ? { description: `${description} A text, or { zh: "...", en: "..." } for callers of either language.` } : {}),
  });

const Hours = Obj({
  open: Type.Record(
    Days,
    Type.Union([TimeRange, Type.Array(TimeRange)]),
    { description: 'Day or day range → opening hours, e.g. "mon-fri": "09:00-18:00".' },
  ),
  holidays: Type.Optional(Type.Array(DateStr, { description: 'Whole days closed.' })),
  closed: Type.Optional(Obj({ say: Text('Played to callers outside opening hours.'), then: Type.Optional(Type.Union([Type.Literal('voicemail'), Type.Literal('hangup'), Type.Literal('bot')], { default: 'voicemail' })) })),
});

// ---- bot -----------------------------------------------------------------------------------------

/** What a menu key does: a shorthand string ("agent", "queue:billing", "repeat") or an action object. */
/** What happens next (after a menu answer, an FAQ answer or a captured slot). */
const Then = Type.String({ pattern: '^(agent|repeat|back|hangup|voicemail|menu|queue:[A-Za-z0-9_-]+|collect:[A-Za-z0-9_-]+)$', description: 'What happens next: "menu" (default: menu_prompt, then the next key), "agent", "queue:<id>", "collect:<slot>", "repeat", "back", "voicemail", "hangup".' });

const MenuAction = Type.Recursive((Self) =>
  Type.Union([
    Type.String({ pattern: '^(agent|repeat|back|hangup|voicemail|faq|queue:[A-Za-z0-9_-]+|collect:[A-Za-z0-9_-]+)$', description: '"agent", "repeat", "back", "hangup", "voicemail", "faq" (the common-questions menu of the knowledge base), "queue:<id>" or "collect:<slot>".' }),
    Obj({
      say: Type.Optional(Text('Spoken when the key is pressed.')),
      prompt: Type.Optional(PromptId('Id of a recorded prompt (prompts_dir/<id>.<voice>.wav or <id>.wav) to play instead of say; without say it must exist.')),
      label: Type.Optional(Text('What this option is, offered after the menu\'s own text: "营业时间" is said "营业时间请按2。", "opening hours" "For opening hours, press 2." (in key order, or the caller\'s favourite first with personalise).')),
      label_prompt: Type.Optional(PromptId('Id of a recorded prompt that says this option\'s whole offer ("for opening hours, press 2"), played instead of the label; without label it must exist.')),
      then: Type.Optional(Then),
      queue: Type.Optional(Type.String({ description: 'Hand off to this queue.' })),
      menu: Type.Optional(
        Obj(
          {
            say: Text(),
            keys: Type.Record(Type.String({ pattern: '^[0-9*#]$' }), Self, { additionalProperties: false }),
            personalise: Type.Optional(Type.Boolean({ default: false, description: 'Offer a known caller\'s most-chosen option of this menu first (needs labels).' })),
          },
          'A sub-menu.',
        ),
      ),
    }),
  ]),
);

const Bot = Obj({
  greeting: Text('Played when the bot answers (then the menu\'s labelled options).'),
  vip_greeting: Type.Optional(Text('Said to VIP callers (priority.vip_numbers) instead of the greeting, before they go straight to the queue; absent: no greeting at all.')),
  language: Type.Optional(Language),
  menu: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9*#]$' }), MenuAction, { additionalProperties: false, description: 'DTMF key (0-9, *, #) → action. An action is a word: "agent" (a person, default queue), "queue:<id>", "collect:<slot>" (ask for a bot.collect slot), "repeat" (say this menu again), "back" (previous menu), "voicemail", "hangup"; or a mapping: { say: "text", prompt: <recording id>, then: <word as before, or "menu" (default: menu_prompt, then the next key)>, queue: <id>, menu: { say: "text", keys: { <key>: <action> } } } for an answer, a hand-off or a sub-menu. "0" goes to a person unless given another action.' })),
  menu_prompt: Type.Optional(Text('Said after an answer, to invite the next choice.')),
  menu_personalise: Type.Optional(Type.Boolean({ default: false, description: 'Offer a known caller\'s most-chosen option of bot.menu first (from their earlier calls\' menu paths; needs labels); keys stay the same.' })),
  no_input: Type.Optional(Obj({ timeout: Type.Optional(Duration('Silence before the bot repeats itself.', '8s')), repeats: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: 2 })), say: Type.Optional(Text()) })),
  no_match_say: Type.Optional(Text('Said when input is not understood.')),
  faq: Type.Optional(Type.Array(Obj({ ask: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Phrases that mean this question.' }), say: Text(), then: Type.Optional(Then) }))),
  synonyms: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), { description: 'Word → words that mean the same for speech understanding, e.g. 修改: [更改, 改一下]. Added to built-in zh/en synonyms.' })),
  intents: Type.Optional(Type.Array(Obj({ id: Id('Intent id.'), phrases: Type.Array(Type.String(), { minItems: 1 }), queue: Type.Optional(Type.String()), say: Type.Optional(Text()) }), { description: 'Spoken intents that route to a queue.' })),
  collect: Type.Optional(
    Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
      Obj({ say: Text(), kind: Type.Union([Type.Literal('digits'), Type.Literal('speech')]), length: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })), min_length: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })), max_length: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })), then: Type.Optional(Then) }),
      { additionalProperties: false, description: 'Details the bot can capture: slot → how to ask.' },
    ),
  ),
  handoff: Type.Optional(
    Obj({
      say: Type.Optional(Text('Transfer announcement, said when the caller joins the queue (before the first position announcement).')),
      when: Type.Optional(
        Obj({
          phrases: Type.Optional(Type.Array(Type.String(), { description: 'Caller phrases that ask for a human, added to the built-in ones (人工, 转人工, 客服, agent, operator, human, ...).' })),
          no_match: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 2, description: 'Hand off after this many misunderstandings in a row.' })),
          no_input: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3 })),
          vip: Type.Optional(Type.Boolean({ default: true, description: 'VIP callers go straight to a human.' })),
          emotion: Type.Optional(Obj({ label: Type.String({ description: 'A label of the emotion model (e.g. angry); a label the model lacks means its negative score. Negative words in the transcript count too.' }), above: Type.Number({ minimum: 0, maximum: 1 }), for: Type.Optional(Type.Integer({ minimum: 1, default: 2, description: 'Utterances in a row.' })) }, 'Hand off on sustained negative emotion.')),
        }),
      ),
      default_queue: Type.Optional(Type.String()),
      tell_agent: Type.Optional(Type.Union([Type.Literal('whisper'), Type.Literal('none')], { default: 'none', description: 'whisper: a short spoken summary to the agent before connecting.' })),
      ring_timeout: Type.Optional(Duration('How long each agent rings before the next (when no queue says otherwise).', '20s')),
      no_agent_say: Type.Optional(Text('Said when nobody answers, before voicemail.')),
    }),
  ),
  voicemail: Type.Optional(Obj({ say: Type.Optional(Text('The voicemail prompt, before the beep.')), max_length: Type.Optional(Duration('Longest message.', '2m')) })),
  goodbye: Type.Optional(Text()),
  repeat_caller: Type.Optional(
    Obj(
      {
        within: Duration('A caller who was queued for a person this recently is asked first whether they call about the same thing.'),
        say: Text('The question; {topic} is the queue\'s topic, e.g. "您是要继续咨询{topic}吗?是请按1,其他业务请按2。" 1 goes to that queue; any other key is the menu as usual.'),
        topics: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.String({ minLength: 1 }), { description: 'Queue id → how to say it ("billing": "账单"); default: the queue id.' })),
      },
      'Repeat callers: "are you calling about … again?" before the menu.',
    ),
  ),
  survey: Type.Optional(
    Obj(
      {
        say: Type.String({ description: 'The survey question; ask for a key from 1 (bad) to 5 (good).' }),
        after_agent: Type.Optional(Type.Boolean({ default: true, description: 'Ask callers who stay on the line after the agent hung up.' })),
        after_bot: Type.Optional(Type.Boolean({ default: false, description: 'Ask callers whose call the bot resolved, before it hangs up.' })),
        sms: Type.Optional(Type.Boolean({ default: false, description: 'Also ask by SMS after the call (the text in sms.survey; a low reply gets low_score\'s follow-up); with after_agent: false only by SMS.' })),
        timeout: Type.Optional(Duration('Wait this long for the key.', '8s')),
        thanks: Type.Optional(Type.String({ description: 'Said after a score (default: a short thank-you).' })),
        low_score: Type.Optional(
          Obj(
            {
              at_most: Type.Optional(Type.Integer({ minimum: 1, maximum: 4, default: 2, description: 'Scores up to this count as low.' })),
              then: OneOf(['callback', 'alarm'] as const, { description: 'callback: a callback task to the caller in the queue they were in (or the default queue); alarm: the supervisor alarm low-survey-score for that call (source: the call id) until the survey-followed-up command clears it.' }),
            },
            'What a low score triggers, keyed after the call or replied by SMS (bot.survey.sms).',
          ),
        ),
      },
      'Post-call satisfaction survey over DTMF (1..5), stored in surveys, reported as survey.answered and counted in CSAT.',
    ),
  ),
});

// ---- knowledge base and quality inspection (issue 16) ---------------------------------------------

const Knowledge = Obj(
  {
    file: Type.String({ minLength: 1, description: 'The knowledge-base file: YAML, or CSV with one entry per row (see the Knowledge base section of the README); a relative path is relative to this config file. Reloaded when it changes; an invalid file keeps the one in force.' }),
    menu: Type.Optional(
      Obj({
        size: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, default: 5, description: 'Entries per page of the common-questions menu (a bot.menu key set to "faq"), most asked first; 9 reads the next page.' })),
        say: Type.Optional(Type.String({ description: 'Said before the list; default "Common questions." or "常见问题。".' })),
      }),
    ),
  },
  'The knowledge base the bot answers from, by speech and by the common-questions menu.',
);

export const QUALITY_METRICS = ['dead_air', 'over_talk', 'agent_first_word', 'agent_talk_ratio', 'caller_talk_ratio', 'silence_ratio', 'wait', 'transfers', 'caller_emotion_start', 'caller_emotion_end', 'survey_score', 'survey_offered', 'duration', 'holds', 'hold_time'] as const;
export const QUALITY_SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
const RuleCommon = {
  id: Id('Rule id; appears in the evidence.'),
  weight: Type.Integer({ minimum: 0, maximum: 100, description: 'Points taken off the 100 when the rule fires.' }),
  severity: Type.Optional(OneOf(QUALITY_SEVERITIES, { default: 'minor', description: 'A critical rule flags the call whatever its score.' })),
};
const QualityRule = Type.Union([
  Obj({ ...RuleCommon, metric: OneOf(QUALITY_METRICS, { description: 'What is measured (seconds, ratios 0..1, counts, emotion 0..1, survey score): see the Quality inspection section.' }), above: Type.Optional(Type.Number({ description: 'Fires when the value is above this.' })), below: Type.Optional(Type.Number({ description: 'Fires when the value is below this.' })) }, 'A threshold on a measured value.'),
  Obj({ ...RuleCommon, require: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'One of these phrases must be said (fuzzy, as the bot understands speech).' }), speaker: Type.Optional(OneOf(['agent', 'caller', 'any'] as const, { default: 'agent' })), within: Type.Optional(Duration('…within this long of the start (or of the end, with at: end).')), at: Type.Optional(OneOf(['start', 'end'] as const, { default: 'start' })) }, 'A phrase the transcript must hold (a greeting, a closing).'),
  Obj({ ...RuleCommon, forbid: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Words that must not be said.' }), speaker: Type.Optional(OneOf(['agent', 'caller', 'any'] as const, { default: 'agent' })) }, 'Words the transcript must not hold.'),
]);

const Quality = Obj(
  {
    enabled: Type.Optional(Type.Boolean({ default: true })),
    flag_below: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 80, description: 'A call scoring under this is flagged (quality.flagged).' })),
    rules: Type.Optional(Type.Array(QualityRule, { description: 'Default: dead air over 8 s (30 points, major), over-talk over 3 s (25, major), agent first word after 5 s (10), wait over 60 s (10), caller upset at the end (20, major), survey under 3 of 5 (20, major).' })),
  },
  'Quality inspection of every agent call after it ends (needs storage.record_calls for the audio measures).',
);

// ---- speech, telemetry, storage ------------------------------------------------------------------

const Speech = Obj({
  asr: Type.Optional(Obj({ engine: Type.Optional(Type.Literal('vosk')), grammar: Type.Optional(Type.Boolean({ default: false, description: 'Restrict recognition to the phrases the bot understands (FAQ, intents, handoff phrases): more accurate with small models, but nothing else is transcribed.' })), model: Type.Optional(Type.String({ description: 'Vosk model directory (relative: under <storage.dir>/models).' })), models: Type.Optional(Type.Record(Language, Type.String(), { additionalProperties: false, description: 'Per-language model directories.' })) })),
  vad: Type.Optional(Obj({ engine: Type.Optional(Type.Union([Type.Literal('silero'), Type.Literal('energy')], { default: 'silero' })), start: Type.Optional(Duration('Speech this long starts an utterance.', '0.2s')), end_silence: Type.Optional(Duration('Silence this long ends it.', '0.7s')), barge_in: Type.Optional(Duration('Caller speech this long stops a prompt.', '0.4s')), threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Silero speech probability that counts as speech (the energy VAD ignores it).' })) })),
  emotion: Type.Optional(Obj({ model: Type.Optional(Type.String({ description: 'ONNX model file; its model card (.json beside it) describes inputs and labels. Default: the shipped baseline (models/emotion-baseline.onnx).' })), enabled: Type.Optional(Type.Boolean({ default: true })) })),
  tts: Type.Optional(Obj({ engine: Type.Optional(Type.Literal('espeak-ng')), voice: Type.Optional(Type.String({ default: 'cmn' })), rate: Type.Optional(Type.Integer({ minimum: 80, maximum: 400 })) })),
  prompts_dir: Type.Optional(Type.String({ description: 'Recorded WAVs named after prompt ids win over TTS.' })),
  worker: Type.Optional(Type.Boolean({ default: true, description: 'Run ASR/VAD/emotion in the speech worker process. false: DTMF only.' })),
});

const Mqtt = Obj({
  url: Type.String({ pattern: '^mqtts?://', description: 'mqtt://host:1883 or mqtts://host:8883.' }),
  ca: Type.Optional(Type.String({ description: 'CA certificate file (PEM) for mqtts.' })),
  cert: Type.Optional(Type.String({ description: 'Client certificate (PEM).' })),
  key: Type.Optional(Type.String({ description: 'Client key (PEM).' })),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String({ description: 'Use ${VAR}.' })),
  client_id: Type.Optional(Type.String()),
  metrics_every: Type.Optional(Duration('How often KPIs are published.', '60s')),
  service_level: Type.Optional(Duration('Service-level threshold: answered within this time.', '20s')),
  fcr_window: Type.Optional(Duration('First-contact resolution: a call from a number that already called within this long is a repeat.', '24h')),
  commands: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z-]*$' }), { description: 'Commands accepted on cmd/<name>.' })),
  command_tokens: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z-]*$' }), Type.String({ minLength: 16 }), { description: 'Command → secret the sender must put in the payload as "token" (e.g. originate: ${ORIGINATE_TOKEN}); without it the command is refused as unauthorised.' })),
  outbox: Type.Optional(Obj({ max_events: Type.Optional(Type.Integer({ minimum: 100, default: 1000000 })), alarm_at: Type.Optional(Type.Number({ minimum: 0.1, maximum: 1, default: 0.8, description: 'Raise an alarm at this fraction of max_events.' })) })),
});

const Storage = Obj({
  dir: Type.Optional(Type.String({ default: DEFAULT_DATA_DIR, description: 'Database, recordings, voicemail, caches.' })),
  keep_recordings: Type.Optional(Duration('Delete recordings older than this.', '90d')),
  keep_calls: Type.Optional(Duration('Delete call records older than this.', '2y')),
  mask_numbers_in_reports: Type.Optional(Type.Boolean({ default: true, description: 'Central IT sees 138****5678.' })),
  record_calls: Type.Optional(Type.Boolean({ default: false, description: 'Record caller–agent conversations to <dir>/recordings/<call-id>.wav, a stereo file: the caller on the left channel, the agent on the right (kept for keep_recordings). Tell callers, as the law requires.' })),
  record_mixed: Type.Optional(Type.Boolean({ default: false, description: 'With record_calls, also keep both voices mixed in one mono file, <call-id>.mixed.wav.' })),
  // Reliability (issue 12)
  fallback_dir: Type.Optional(Type.String({ description: 'A writable directory on another filesystem than dir (e.g. /run/frontdesk): while the database cannot be written (disk full, read-only, locked), the events waiting for it are also journaled here, fsynced, and written to the database in order once it recovers, even after a crash.' })),
});

const Logging = Obj({ level: Type.Optional(OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info' })) });

const Service = Obj({
  drain_grace: Type.Optional(Duration('On stop, calls in progress may finish for this long.', '30s')),
  watchdog: Type.Optional(Type.Boolean({ default: true, description: 'Ping the systemd watchdog while healthy.' })),
});

// ---- staff console (issue 14) --------------------------------------------------------------------

const ConsoleUser = Obj({
  name: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$', description: 'Login name.' }),
  role: OneOf(['agent', 'supervisor', 'admin'] as const, { description: 'agent: own workbench only (needs extension); supervisor: wallboard and every workbench; admin: also the audit trail.' }),
  extension: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z*#+]{1,32}$', description: 'The agent this login is (agents[].extension); required for role agent.' })),
  password_hash: Type.String({ pattern: '^scrypt\\$', description: 'scrypt hash from `frontdesk passwd` (never the password itself).' }),
});

const ConsoleSection = Obj(
  {
    listen: Type.Optional(Type.String({ pattern: '^(\\[[0-9a-fA-F:.]+\\]|[0-9.]+|localhost):[0-9]{1,5}$', default: '127.0.0.1:8080', description: 'Address:port of the web console (HTTP, or HTTPS with tls).' })),
    tls: Type.Optional(Obj({ cert: Type.String({ minLength: 1, description: 'Certificate chain (PEM file).' }), key: Type.String({ minLength: 1, description: 'Private key (PEM file).' }) }, 'Serve HTTPS; session cookies are then marked Secure.')),
    users: Type.Array(ConsoleUser, { minItems: 1, description: 'Who may log in.' }),
    session_ttl: Type.Optional(Duration('A login lasts this long without use.', '12h')),
    web_callers: Type.Optional(Obj({
      line_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', default: 'web', description: 'Line id of web calls in records and reports.' })),
      max_calls: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 2, description: 'Web calls at the same time; more are refused (busy).' })),
      per_hour: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 6, description: 'Calls per hour from one address; more are refused.' })),
    }, 'A public "call us" page (/call) the branch can link from its website: the visitor reaches the same bot and queues as a phone caller.')),
    webrtc: Type.Optional(Obj({ networks: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' }), { description: 'Browser phones (agents with contact webrtc) use only ICE candidates in these networks (CIDR), both ways; default: any. E.g. the branch LAN.' })) })),
  },
  'The staff console: wallboard and agent workbench in a browser. Off unless present.',
);

// ---- after the call: SMS, tickets (issue 15) -----------------------------------------------------

const TemplateId = Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'A template id from sms.templates.' });

const SmsSection = Obj(
  {
    per_line_per_minute: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, default: 6, description: 'SMS parts (PDUs) one line sends per minute at most, spaced evenly; more wait their turn or go out on another line.' })),
    retry: Type.Optional(Obj({ attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'Tries before a message is given up (alarm sms-failed).' })), after: Type.Optional(Duration('Wait before the first retry; doubles each time, at most 1h.', '30s')) })),
    opt_out_words: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'A reply that is exactly one of these stops all SMS to that number (default 退订, TD, T, STOP, UNSUBSCRIBE).' })),
    templates: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), Type.String({ minLength: 1 }), { description: 'Template id → text with {slot} placeholders (captured slots, {ticket}, {caller}).' })),
    on_capture: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), TemplateId, { description: 'Bot slot → template: when the bot captures that slot, the caller gets this SMS (e.g. order_number: order_confirm).' })),
    survey: Type.Optional(
      Obj(
        {
          text: Type.Optional(Type.String({ minLength: 1, description: 'The question, sent after the call when bot.survey.sms is true.' })),
          window: Type.Optional(Duration('A reply counts for the call when it comes within this time.', '24h')),
        },
        'The SMS survey (bot.survey.sms): a 1-5 question after the call; the reply is matched to the call and counts in CSAT.',
      ),
    ),
  },
  'Sending SMS over the GSM lines: a durable queue with retries, per-line rate, delivery reports and opt-outs.',
);

const Tickets = Obj(
  {
    when_captured: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), { minItems: 1, description: 'Bot slots: once the bot has captured all of these in a call, a ticket is opened with them (knowledge entries with then: ticket open one too).' })),
    say: Type.Optional(Type.String({ description: 'Said to the caller when the ticket is opened; {ticket} is the number, spoken digit by digit.' })),
    sms: Type.Optional(TemplateId),
    subject: Type.Optional(Type.String({ description: 'Subject of bot tickets; {slot} placeholders allowed.' })),
  },
  'Tickets (工单): opened by the bot from captured details, or by an agent (MQTT ticket command).',
);

const Campaign = Obj(
  {
    id: Id('Campaign id; in events and the export.'),
    contacts: Type.String({ minLength: 1, description: 'CSV file with a header: number[,name]. Read at start and on reload; numbers already in the campaign keep their progress.' }),
    lines: Type.Array(Type.String(), { minItems: 1, description: 'GSM or analog line ids to call on; each carries one call at a time.' }),
    window: Type.Optional(Obj({ open: Type.Record(Type.String({ pattern: '^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$' }), Type.Union([TimeRange, Type.Array(TimeRange)])), holidays: Type.Optional(Type.Array(DateStr)) }, 'When contacts may be called, in timezone; outside it nobody is dialled (default: always).')),
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Tries per contact (busy, no answer, failed) before giving up.' })),
    retry_after: Type.Optional(Duration('Spacing between tries of one contact.', '30m')),
    ring_timeout: Type.Optional(Duration('Give up a try that is not answered within this.', '30s')),
    do_not_call: Type.Optional(Type.Array(E164, { description: 'Never dialled; such contacts are recorded as skipped (do-not-call).' })),
  },
  'A follow-up campaign (回访): the bot flow calls a contact list.',
);


const Webhook = Obj(
  {
    url: Type.String({ pattern: '^https://', description: 'The CRM endpoint; HTTPS only.' }),
    secret: Type.String({ minLength: 16, description: 'HMAC-SHA256 key for X-Frontdesk-Signature; use ${VAR}.' }),
    events: Type.Array(OneOf(WEBHOOK_EVENTS), { minItems: 1, description: 'Which events are sent.' }),
    ca: Type.Optional(Type.String({ description: 'CA certificate (PEM) that signed the CRM\'s certificate, when it is not a public one.' })),
    retry_after: Type.Optional(Duration('Wait before retrying a failed delivery; doubles each time, at most 10 min.', '5s')),
    timeout: Type.Optional(Duration('Give up on one request after this long (and retry later).', '10s')),
  },
  'A webhook to an external CRM: chosen events POSTed as JSON, HMAC-signed, from a durable outbox with retries (at least once; X-Frontdesk-Delivery lets the CRM drop a repeat).',
);

const CrmLookup = Obj(
  {
    url: Type.String({ pattern: '^https://', description: 'POST {"number": "..."} (signed like the webhook); the answer {"vip", "agent", "language", "name"} (all optional; 404: unknown).' }),
    secret: Type.String({ minLength: 16, description: 'HMAC-SHA256 key for X-Frontdesk-Signature; use ${VAR}.' }),
    ca: Type.Optional(Type.String({ description: 'CA certificate (PEM) of a private CRM certificate.' })),
    timeout: Type.Optional(Duration('Give up and answer with the local record after this long.', '800ms')),
    cache: Type.Optional(Duration('Keep an answer (or a failure) this long.', '10m')),
  },
  'Ask an external CRM about a caller before the call is answered (the caller hears ringing for at most timeout): its language picks the greeting\'s version (bot texts given as { zh, en }), VIP skips the greeting as for priority.vip_numbers; at handoff (from the cache) VIP raises priority and its agent is offered first (sticky_agent); name, language and VIP are kept in the customer record. A failure or timeout: the call goes on with the local record and the alarm crm-lookup-failing is raised until the CRM answers again.',
);

// ---- the whole file ------------------------------------------------------------------------------

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    site: Id('Site name; appears in MQTT topics and every record.'),
    node: Id('This box\'s name within the site.'),
    language: Type.Optional(Language),
    timezone: Type.Optional(Type.String({ description: 'IANA zone for business hours, e.g. "Asia/Shanghai" (checked against the zones the box knows).' })),
    country_code: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: 'Country calling code without "+", e.g. "86": configured and calling numbers in national form ("13900000001", "021...") are matched as +86... . Without it, configured numbers must be E.164.' })),
    lines: Type.Array(Discriminated([GsmLine, AnalogLine, SipLine], 'A phone line: kind gsm, analog or sip.'), { minItems: 1 }),
    sip: Type.Optional(SipSection),
    agents: Type.Optional(Type.Array(Agent)),
    queues: Type.Optional(Type.Array(Queue)),
    priority: Type.Optional(Priority),
    routing: Type.Optional(Routing),
    dialing: Type.Optional(Dialing),
    hours: Type.Optional(Hours),
    bot: Bot,
    speech: Type.Optional(Speech),
    knowledge: Type.Optional(Knowledge),
    quality: Type.Optional(Quality),
    mqtt: Type.Optional(Mqtt),
    storage: Type.Optional(Storage),
    logging: Type.Optional(Logging),
    service: Type.Optional(Service),
    console: Type.Optional(ConsoleSection),
    sms: Type.Optional(SmsSection),
    tickets: Type.Optional(Tickets),
    webhook: Type.Optional(Webhook),
    crm_lookup: Type.Optional(CrmLookup),
    campaigns: Type.Optional(Type.Array(Campaign)),
  },
  { additionalProperties: false, title: 'Frontdesk configuration', $id: 'https://frontdesk.local/schema/frontdesk.schema.json' },
);

export type Config = Static<typeof ConfigSchema>;
export type LineConfig = Config['lines'][number];
export type GsmLineConfig = Extract<LineConfig, { kind: 'gsm' }>;
export type AnalogLineConfig = Extract<LineConfig, { kind: 'analog' }>;
export type SipLineConfig = Extract<LineConfig, { kind: 'sip' }>;
export type AgentConfig = NonNullable<Config['agents']>[number];
export type QueueConfig = NonNullable<Config['queues']>[number];
export type RoutingConfig = NonNullable<Config['routing']>;
export type BotConfig = Config['bot'];
export type ConsoleConfig = NonNullable<Config['console']>;
export type MenuActionConfig = Static<typeof MenuAction>;
export type KnowledgeConfig = NonNullable<Config['knowledge']>;
export type QualityConfig = NonNullable<Config['quality']>;
export type QualityRuleConfig = Static<typeof QualityRule>;

/** The schema as a plain JSON document (what `frontdesk schema` prints). */
export function jsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;
}
