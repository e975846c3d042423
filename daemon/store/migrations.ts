import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The store's schema history. Forward-only: never edit a migration that has shipped; add a new one.
 * Each runs in its own transaction together with its row in schema_migrations.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls, legs, timeline, utterances, customers, outbox',
    sql: `
      CREATE TABLE calls (
        id TEXT PRIMARY KEY,
        line_id TEXT NOT NULL,
        direction TEXT NOT NULL DEFAULT 'inbound',
        caller TEXT,
        caller_name TEXT,
        offered_at TEXT NOT NULL,
        answered_at TEXT,
        bot_ended_at TEXT,
        queued_at TEXT,
        queue_id TEXT,
        agent_ring_at TEXT,
        agent_answered_at TEXT,
        agent_ext TEXT,
        ended_at TEXT,
        hung_up_by TEXT,
        outcome TEXT,
        cause TEXT,
        intent TEXT,
        menu_path TEXT,
        vip INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX calls_offered ON calls(offered_at);
      CREATE INDEX calls_caller ON calls(caller, offered_at);
      CREATE TABLE legs (
        id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        line_id TEXT NOT NULL,
        role TEXT NOT NULL,            -- customer | agent
        direction TEXT NOT NULL,
        remote TEXT,
        started_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        end_cause TEXT
      );
      CREATE INDEX legs_call ON legs(call_id);
      CREATE TABLE call_timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        data TEXT
      );
      CREATE INDEX timeline_call ON call_timeline(call_id, id);
      CREATE TABLE utterances (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        speaker TEXT NOT NULL,         -- caller | bot | agent
        text TEXT NOT NULL,
        confidence REAL,
        emotion TEXT,
        emotion_score REAL
      );
      CREATE INDEX utterances_call ON utterances(call_id, id);
      CREATE TABLE customers (
        number TEXT PRIMARY KEY,
        name TEXT,
        vip INTEGER NOT NULL DEFAULT 0,
        tags TEXT,
        last_agent TEXT,
        last_call_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- per-box sequence, publish order
        id TEXT NOT NULL UNIQUE,                -- event id, for exactly-once on the consumer side
        topic TEXT NOT NULL,                    -- relative: events, alarms, ...
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'voicemail, sms, agent state log',
    sql: `
      CREATE TABLE voicemail (
        id TEXT PRIMARY KEY,
        call_id TEXT REFERENCES calls(id) ON DELETE SET NULL,
        caller TEXT,
        recorded_at TEXT NOT NULL,
        path TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        heard INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE sms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        line_id TEXT NOT NULL,
        direction TEXT NOT NULL,       -- in | out
        peer TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at TEXT,
        received_at TEXT NOT NULL
      );
      CREATE TABLE agent_state_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        extension TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX agent_state_ext ON agent_state_log(extension, id);
    `,
  },
  {
    // Telemetry (issue 6): alarm state, line state, surveys for CSAT, and which outbox rows may be
    // dropped at the outbox bound (only low-value health reports; call events never).
    version: 3,
    name: 'alarms, line state, surveys, outbox droppable',
    sql: `
      ALTER TABLE outbox ADD COLUMN droppable INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX outbox_droppable ON outbox(droppable, seq);
      CREATE TABLE alarms (
        code TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',   -- line id, 'speech', 'outbox', '' for the box
        active INTEGER NOT NULL,
        severity TEXT NOT NULL DEFAULT 'warning',
        message TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        cleared_at TEXT,
        PRIMARY KEY (code, source)
      );
      CREATE TABLE alarm_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL,
        severity TEXT NOT NULL DEFAULT 'warning',
        message TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE TABLE line_state (
        line_id TEXT PRIMARY KEY,
        health TEXT NOT NULL,              -- LineHealth JSON as last reported
        updated_at TEXT NOT NULL
      );
      CREATE TABLE surveys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,             -- no foreign key: the survey may be written before the CDR row
        score INTEGER NOT NULL,
        scale INTEGER NOT NULL DEFAULT 5,
        at TEXT NOT NULL
      );
      CREATE INDEX surveys_call ON surveys(call_id);
    `,
  },
  {
    // Contact-centre routing (issue 8): queue_log-style events for statistics, durable callbacks.
    version: 4,
    name: 'queue log, callbacks',
    sql: `
      CREATE TABLE queue_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        call_id TEXT,                      -- no foreign key: callbacks outlive their call's retention
        queue TEXT,
        agent TEXT,
        event TEXT NOT NULL,               -- enter, connect, abandon, exit, ring-no-answer, announce
        data TEXT
      );
      CREATE INDEX queue_log_at ON queue_log(at);
      CREATE INDEX queue_log_call ON queue_log(call_id, id);
      CREATE TABLE callbacks (
        id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,
        number TEXT NOT NULL,
        queue TEXT NOT NULL,
        line_id TEXT NOT NULL,
        entered_at TEXT NOT NULL,          -- the caller's place in the queue
        requested_at TEXT NOT NULL,
        state TEXT NOT NULL,               -- pending, ringing-agent, dialling-customer, connected, retry, done, failed
        agent TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        detail TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX callbacks_state ON callbacks(state, entered_at);
    `,
  },
  {
    version: 5,
    name: 'call recordings',
    sql: `
      ALTER TABLE calls ADD COLUMN recording_path TEXT;
      ALTER TABLE calls ADD COLUMN recording_ms INTEGER;
    `,
  },
  {
    // Issue 11: what the bot captured (order number ...) stays with the call; FCR and occupancy.
    version: 7,
    name: 'captured slots',
    sql: `
      ALTER TABLE calls ADD COLUMN slots TEXT;   -- JSON object slot -> value, as published in call.ended
      CREATE TABLE call_slots (
        call_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (call_id, name)
      );
      CREATE INDEX calls_caller_offered ON calls(caller, offered_at);
    `,
  },
  {
    // Reliability (issue 12): which fallback-journal entries are already in the store (so a replay
    // after a crash writes none twice), and the SIP dialogs of calls in progress (so a restart
    // after a crash can end them with BYE).
    version: 8,
    name: 'journal applied, open SIP dialogs',
    sql: `
      CREATE TABLE journal_applied (
        epoch TEXT PRIMARY KEY,
        last INTEGER NOT NULL
      );
      CREATE TABLE open_dialogs (
        leg_id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,             -- the SIP Call-ID
        line_id TEXT NOT NULL,
        dialog TEXT NOT NULL,              -- JSON: Call-ID, tags, URIs, remote target, route set, CSeq, transport
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    // Staff console (issue 14): who changed what from the console, and agents' notes on calls.
    version: 9,
    name: 'console audit trail, call notes',
    sql: `
      CREATE TABLE console_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        role TEXT NOT NULL,
        ip TEXT,
        action TEXT NOT NULL,              -- login, login-failed, logout, agent-state, note, ...
        target TEXT,                       -- extension, call id, ...
        detail TEXT                        -- JSON
      );
      CREATE INDEX console_audit_at ON console_audit(at);
      CREATE TABLE call_notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,             -- no foreign key: notes outlive nothing, but may precede the CDR row
        caller TEXT,
        agent TEXT,
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        disposition TEXT,
        note TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX call_notes_caller ON call_notes(caller, id);
      CREATE INDEX call_notes_call ON call_notes(call_id);
    `,
  },
  {
    // After the call (issue 15): the SMS send queue (one row per message, one per PDU part, kept as
    // the exact bytes to send so a retry or a restart sends the same message), delivery reports,
    // opt-outs, tickets and their history, SMS surveys, customer profiles, the CRM webhook outbox.
    version: 10,
    name: 'sms queue, delivery reports, opt-outs, tickets, sms surveys, customer profile, campaign contacts, webhook outbox',
    sql: `
      CREATE TABLE sms_out (
        id TEXT PRIMARY KEY,
        to_number TEXT NOT NULL,
        text TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'manual',  -- confirm, ticket, survey, manual ...
        call_id TEXT,
        ticket TEXT,
        line_id TEXT,                          -- preferred line (the one the call came in on)
        state TEXT NOT NULL,                   -- queued, sending, sent, delivered, failed, cancelled, unconfirmed
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,                 -- not before this time (retries back off)
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        delivered_at TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX sms_out_due ON sms_out(state, next_at);
      CREATE TABLE sms_out_parts (
        sms_id TEXT NOT NULL REFERENCES sms_out(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        pdu TEXT NOT NULL,
        tpdu_length INTEGER NOT NULL,
        state TEXT NOT NULL,                   -- queued, sending, sent, delivered, failed, unconfirmed
        line_id TEXT,
        mr INTEGER,                            -- TP-MR the modem answered: matches the delivery report
        sent_at TEXT,
        report_status INTEGER,
        reported_at TEXT,
        PRIMARY KEY (sms_id, seq)
      );
      CREATE INDEX sms_parts_mr ON sms_out_parts(line_id, mr);
      CREATE TABLE sms_reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        line_id TEXT NOT NULL,
        mr INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,                 -- delivered, pending, failed
        sms_id TEXT,                           -- matched message, when found
        discharged_at TEXT,
        received_at TEXT NOT NULL
      );
      CREATE TABLE sms_optout (
        number TEXT PRIMARY KEY,
        word TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE TABLE tickets (
        number TEXT PRIMARY KEY,
        call_id TEXT,
        customer TEXT,
        status TEXT NOT NULL,                  -- open, in-progress, resolved, closed
        owner TEXT,
        subject TEXT,
        fields TEXT,                           -- JSON: what the bot captured
        created_by TEXT NOT NULL,              -- bot, agent:<ext>, mqtt
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX tickets_customer ON tickets(customer, created_at);
      CREATE TABLE ticket_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket TEXT NOT NULL REFERENCES tickets(number) ON DELETE CASCADE,
        at TEXT NOT NULL,
        action TEXT NOT NULL,                  -- created, status, owner, note
        by TEXT,
        data TEXT
      );
      CREATE TABLE sms_surveys (
        id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,
        number TEXT NOT NULL,
        sms_id TEXT,
        asked_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        score INTEGER,
        channel TEXT NOT NULL DEFAULT 'sms',
        answered_at TEXT,
        follow_up TEXT
      );
      CREATE INDEX sms_surveys_number ON sms_surveys(number, asked_at);
      ALTER TABLE customers ADD COLUMN notes TEXT;
      ALTER TABLE customers ADD COLUMN language TEXT;
      ALTER TABLE customers ADD COLUMN updated_at TEXT;
      CREATE TABLE campaign_contacts (
        campaign TEXT NOT NULL,
        number TEXT NOT NULL,
        name TEXT,
        state TEXT NOT NULL,                   -- pending, dialling, retry, done, skipped
        outcome TEXT,                          -- answered, busy, no-answer, failed, refused, do-not-call
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,
        last_line TEXT,
        last_at TEXT,
        detail TEXT,
        PRIMARY KEY (campaign, number)
      );
      CREATE TABLE webhook_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,               -- X-Frontdesk-Delivery: receivers drop duplicates by it
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // Knowledge base and quality inspection (issue 16): what the KB answered and missed per call,
    // all-time hit counts (the common-questions menu order), unanswered questions for review, and
    // one quality score per agent call with its evidence.
    version: 11,
    name: 'knowledge base log, hits, unanswered; quality scores',
    sql: `
      CREATE TABLE kb_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,             -- no foreign key: written while the call is in progress
        at TEXT NOT NULL,
        entry_id TEXT,                     -- NULL: unanswered
        via TEXT NOT NULL,                 -- speech | menu
        text TEXT
      );
      CREATE INDEX kb_log_at ON kb_log(at);
      CREATE INDEX kb_log_call ON kb_log(call_id);
      CREATE TABLE kb_hits (
        entry_id TEXT PRIMARY KEY,
        hits INTEGER NOT NULL,
        last_at TEXT NOT NULL
      );
      CREATE TABLE kb_unanswered (
        via TEXT NOT NULL,
        text TEXT NOT NULL,                -- normalised utterance, or "key 7" for a menu miss
        count INTEGER NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        last_call_id TEXT,
        PRIMARY KEY (via, text)
      );
      CREATE TABLE quality_scores (
        call_id TEXT PRIMARY KEY,
        agent TEXT,
        at TEXT NOT NULL,
        score INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        metrics TEXT NOT NULL,             -- JSON: measured values
        findings TEXT NOT NULL             -- JSON: [{rule, severity, weight, value, atS, detail}]
      );
      CREATE INDEX quality_agent ON quality_scores(agent, at);
    `,
  },
  {
    // A call that took a safe path after a fault (issue 11): the config key to fix, or step:<phase>.
    version: 15,
    name: 'calls.fault',
    sql: `ALTER TABLE calls ADD COLUMN fault TEXT;`,
  },
  {
    // The minutely occupancy KPI reads agent states in a time window: a range search, not a table scan.
    version: 16,
    name: 'agent_state_log.at',
    sql: `CREATE INDEX agent_state_at ON agent_state_log(at);`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export async function currentVersion(db: Db): Promise<number> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const row = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

/**
 * Bring the database up to `target` (default: latest). Idempotent: applied migrations are skipped.
 * Refuses a database newer than this build knows (a downgrade would corrupt it).
 */
export async function migrate(db: Db, opts: { target?: number; migrations?: readonly Migration[] } = {}): Promise<{ from: number; to: number; applied: number[] }> {
  const list = opts.migrations ?? MIGRATIONS;
  const latest = list[list.length - 1]?.version ?? 0;
  const target = opts.target ?? latest;
  const from = await currentVersion(db);
  if (from > latest) {
    throw new Error(`database ${db.file} is at schema version ${from}, newer than this Frontdesk build knows (${latest}); refusing to run an older build against it`);
  }
  const applied: number[] = [];
  for (const m of list) {
    if (m.version <= from || m.version > target) continue;
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
    });
    applied.push(m.version);
  }
  return { from, to: Math.max(from, ...applied), applied };
}
