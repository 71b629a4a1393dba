import { deflateRawSync } from 'node:zlib'
import type { Database } from 'better-sqlite3'
import { PRIORITIES } from '../../shared/domain-values'
import type { Priority } from '../../shared/domain'
import { packEventBlock } from '../../shared/reporting/event-block'
import type { ReportingEvent } from '../../shared/reporting/events'
import { createIndexOrDefer, SUSPENDED_INDEXES_TABLE } from './bulk-load'
import { CONVERSATION_RETAG_TRIGGER, createSearchIndex, SEARCH_RETAG_TABLE, searchIndexSuspended } from './search-index'

/**
 * Numbered cache migrations. Each runs once, in its own transaction together with the row
 * that records it, so a crash mid-migration leaves the cache at the previous version.
 * Append new ones; never edit one that has shipped.
 */
export interface Migration {
  version: number
  name: string
  up: (db: Database) => void
}

/** The `priority` column's value per priority: its rank in PRIORITIES, lowest first. */
export const PRIORITY_RANK = Object.fromEntries(PRIORITIES.map((p, i) => [p, i])) as Record<Priority, number>

/** The wait_order of a conversation nobody is waiting on: after every real timestamp. */
export const NOT_WAITING = Number.MAX_SAFE_INTEGER
/** The sla_due of a conversation with no unmet SLA target: after every real due time. */
export const NOT_DUE = Number.MAX_SAFE_INTEGER

/**
 * One FTS5 index for everything searchable. Its rowid is derived from the source row's
 * rowid (×4 + a kind number) so a trigger finds the entry to replace by rowid, never by a
 * scan of the unindexed columns. (VACUUM may renumber implicit rowids: the cache never
 * vacuums; one that did would have to rebuild this index.) A customer's entry holds their name and every address of
 * theirs (phones also by their last digits, as people type them), so identity triggers
 * rebuild it.
 */
const CUSTOMER_SEARCH_ROW = (customerIdExpr: string) => `
  INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
  SELECT cu.rowid * 4 + 2, cu.name,
    coalesce((SELECT group_concat(i.json ->> '$.address' ||
      CASE WHEN i.json ->> '$.kind' IN ('phone', 'whatsapp') THEN ' ' || substr(i.json ->> '$.address', -10) || ' ' || substr(i.json ->> '$.address', -7) ELSE '' END, ' ')
      FROM identities i WHERE i.customer_id = cu.id), ''),
    'customer', cu.id, cu.id, NULL, cu.last_activity_at
  FROM customers cu WHERE cu.id = ${customerIdExpr};`
const DROP_CUSTOMER_SEARCH_ROW = (customerIdExpr: string) =>
  `DELETE FROM search_index WHERE rowid = (SELECT rowid * 4 + 2 FROM customers WHERE id = ${customerIdExpr});`

const SEARCH_SCHEMA = `
  CREATE VIRTUAL TABLE search_index USING fts5(
    title, body,
    kind UNINDEXED, ref_id UNINDEXED, customer_id UNINDEXED, conversation_id UNINDEXED, at UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
  );

  CREATE TRIGGER search_messages_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
    VALUES (new.rowid * 4, coalesce(new.json ->> '$.subject', ''), new.json ->> '$.text', 'message', new.id, new.customer_id, new.conversation_id, new.at);
  END;
  CREATE TRIGGER search_messages_update AFTER UPDATE ON messages BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4;
    INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
    VALUES (new.rowid * 4, coalesce(new.json ->> '$.subject', ''), new.json ->> '$.text', 'message', new.id, new.customer_id, new.conversation_id, new.at);
  END;
  CREATE TRIGGER search_messages_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4;
  END;

  CREATE TRIGGER search_notes_insert AFTER INSERT ON notes BEGIN
    INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
    VALUES (new.rowid * 4 + 1, '', new.json ->> '$.text', 'note', new.id, new.customer_id, new.conversation_id, new.at);
  END;
  CREATE TRIGGER search_notes_update AFTER UPDATE ON notes BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4 + 1;
    INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
    VALUES (new.rowid * 4 + 1, '', new.json ->> '$.text', 'note', new.id, new.customer_id, new.conversation_id, new.at);
  END;
  CREATE TRIGGER search_notes_delete AFTER DELETE ON notes BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4 + 1;
  END;

  CREATE TRIGGER search_customers_insert AFTER INSERT ON customers BEGIN
    ${CUSTOMER_SEARCH_ROW('new.id')}
  END;
  CREATE TRIGGER search_customers_update AFTER UPDATE ON customers BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4 + 2;
    ${CUSTOMER_SEARCH_ROW('new.id')}
  END;
  CREATE TRIGGER search_customers_delete AFTER DELETE ON customers BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 4 + 2;
  END;

  CREATE TRIGGER search_identities_insert AFTER INSERT ON identities BEGIN
    ${DROP_CUSTOMER_SEARCH_ROW('new.customer_id')}
    ${CUSTOMER_SEARCH_ROW('new.customer_id')}
  END;
  CREATE TRIGGER search_identities_update AFTER UPDATE ON identities BEGIN
    ${DROP_CUSTOMER_SEARCH_ROW('old.customer_id')}
    ${CUSTOMER_SEARCH_ROW('old.customer_id')}
    ${DROP_CUSTOMER_SEARCH_ROW('new.customer_id')}
    ${CUSTOMER_SEARCH_ROW('new.customer_id')}
  END;
  CREATE TRIGGER search_identities_delete AFTER DELETE ON identities BEGIN
    ${DROP_CUSTOMER_SEARCH_ROW('old.customer_id')}
    ${CUSTOMER_SEARCH_ROW('old.customer_id')}
  END;

  INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
  SELECT rowid * 4, coalesce(json ->> '$.subject', ''), json ->> '$.text', 'message', id, customer_id, conversation_id, at FROM messages;
  INSERT INTO search_index (rowid, title, body, kind, ref_id, customer_id, conversation_id, at)
  SELECT rowid * 4 + 1, '', json ->> '$.text', 'note', id, customer_id, conversation_id, at FROM notes;
  ${CUSTOMER_SEARCH_ROW('cu.id').replace('WHERE cu.id = cu.id;', ';')}
`

/**
 * The sidebar's counts, one row per (status, channel, team, assignee) group: a few dozen rows
 * however many conversations there are, so counting is a read of this table instead of a walk
 * over every conversation. Triggers keep it in the same transaction as the conversation row;
 * an update that moves no conversation between groups (most of them: a new message, a wait
 * change) skips it. Empty groups are removed, so no group ever counts 0.
 */
const COUNT_KEY = (row: 'new' | 'old') =>
  `status = ${row}.status AND channel = ${row}.channel AND team IS ${row}.team AND assignee_id IS ${row}.assignee_id`
const COUNT_ADD = `
    INSERT INTO conversation_counts (status, channel, team, assignee_id, n)
      SELECT new.status, new.channel, new.team, new.assignee_id, 0
      WHERE NOT EXISTS (SELECT 1 FROM conversation_counts WHERE ${COUNT_KEY('new')});
    UPDATE conversation_counts SET n = n + 1 WHERE ${COUNT_KEY('new')};`
const COUNT_REMOVE = `
    UPDATE conversation_counts SET n = n - 1 WHERE ${COUNT_KEY('old')};
    DELETE FROM conversation_counts WHERE ${COUNT_KEY('old')} AND n <= 0;`

const CONVERSATION_COUNTS_SCHEMA = `
  CREATE TABLE conversation_counts (
    status TEXT NOT NULL, channel TEXT NOT NULL, team TEXT, assignee_id TEXT,
    n INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX idx_conversation_counts_group ON conversation_counts (status, channel, team, assignee_id);

  CREATE TRIGGER conversation_counts_insert AFTER INSERT ON conversations BEGIN${COUNT_ADD}
  END;
  CREATE TRIGGER conversation_counts_update AFTER UPDATE OF status, channel, team, assignee_id ON conversations
  WHEN old.status IS NOT new.status OR old.channel IS NOT new.channel OR old.team IS NOT new.team OR old.assignee_id IS NOT new.assignee_id
  BEGIN${COUNT_REMOVE}${COUNT_ADD}
  END;
  CREATE TRIGGER conversation_counts_delete AFTER DELETE ON conversations BEGIN${COUNT_REMOVE}
  END;

  INSERT INTO conversation_counts (status, channel, team, assignee_id, n)
  SELECT status, channel, team, assignee_id, count(*) FROM conversations GROUP BY status, channel, team, assignee_id;
`

/**
 * The Mentions view reads the agent's mentions newest first through one index instead of
 * opening every note's JSON: note_mentions holds a row per (note, person named), kept in the
 * note's own transaction by triggers. mention_reads is local to this device, like read_markers.
 */
const MENTION_ROWS = `INSERT OR IGNORE INTO note_mentions (user_id, at, note_id)
    SELECT value, new.at, new.id FROM json_each(new.json, '$.mentions') WHERE type = 'text';`

const MENTIONS_SCHEMA = `
  CREATE TABLE note_mentions (
    user_id TEXT NOT NULL, at INTEGER NOT NULL, note_id TEXT NOT NULL,
    PRIMARY KEY (user_id, at, note_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX idx_note_mentions_note ON note_mentions (note_id);

  CREATE TRIGGER note_mentions_insert AFTER INSERT ON notes BEGIN
    ${MENTION_ROWS}
  END;
  CREATE TRIGGER note_mentions_update AFTER UPDATE OF json, at ON notes BEGIN
    DELETE FROM note_mentions WHERE note_id = old.id;
    ${MENTION_ROWS}
  END;
  CREATE TRIGGER note_mentions_delete AFTER DELETE ON notes BEGIN
    DELETE FROM note_mentions WHERE note_id = old.id;
  END;

  INSERT OR IGNORE INTO note_mentions (user_id, at, note_id)
    SELECT j.value, n.at, n.id FROM notes n, json_each(n.json, '$.mentions') j WHERE j.type = 'text';

  CREATE TABLE mention_reads (note_id TEXT PRIMARY KEY, read_at INTEGER NOT NULL) STRICT;
`

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial cache: entities, sync_meta, outbox',
    up: (db) => {
      db.exec(`
        CREATE TABLE sync_meta (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          cursor INTEGER NOT NULL DEFAULT 0,
          client_id TEXT NOT NULL,
          server_url TEXT,
          user_id TEXT,
          last_synced_at INTEGER
        ) STRICT;

        -- json: what the UI reads (the server's row with pending actions applied on top);
        -- server_json: the row exactly as the server last sent it, NULL while it exists only
        -- locally. Keeping both lets a discarded action be undone without a round trip.
        CREATE TABLE users (
          id TEXT PRIMARY KEY, name TEXT NOT NULL,
          json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE customers (
          id TEXT PRIMARY KEY, name TEXT NOT NULL, last_activity_at INTEGER NOT NULL,
          json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE identities (
          id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,
          json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE conversations (
          id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, status TEXT NOT NULL,
          assignee_id TEXT, last_message_at INTEGER NOT NULL,
          json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE messages (
          id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL,
          at INTEGER NOT NULL, json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE notes (
          id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL,
          at INTEGER NOT NULL, json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE calls (
          id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL,
          at INTEGER NOT NULL, json TEXT NOT NULL, server_json TEXT
        ) STRICT;
        CREATE TABLE events (
          id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, customer_id TEXT NOT NULL,
          at INTEGER NOT NULL, json TEXT NOT NULL, server_json TEXT
        ) STRICT;

        -- AUTOINCREMENT, not a plain rowid: the server treats an id at or below the last one
        -- it applied as a duplicate, so ids must never be reused after a delete.
        CREATE TABLE outbox (
          mutation_id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL,
          args TEXT NOT NULL,
          conversation_id TEXT NOT NULL,
          item_id TEXT,
          state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
          error TEXT,
          created_at INTEGER NOT NULL
        ) STRICT;

        CREATE INDEX idx_conversations_activity ON conversations (last_message_at, id);
        CREATE INDEX idx_conversations_status_activity ON conversations (status, last_message_at, id);
        CREATE INDEX idx_conversations_assignee_activity ON conversations (assignee_id, last_message_at, id);
        CREATE INDEX idx_conversations_assignee_status_activity ON conversations (assignee_id, status, last_message_at, id);
        CREATE INDEX idx_conversations_customer ON conversations (customer_id, last_message_at);
        CREATE INDEX idx_identities_customer ON identities (customer_id);
        CREATE INDEX idx_messages_timeline ON messages (customer_id, at, id);
        CREATE INDEX idx_messages_conversation ON messages (conversation_id, at, id);
        CREATE INDEX idx_notes_timeline ON notes (customer_id, at, id);
        CREATE INDEX idx_notes_conversation ON notes (conversation_id);
        CREATE INDEX idx_calls_timeline ON calls (customer_id, at, id);
        CREATE INDEX idx_calls_conversation ON calls (conversation_id, at, id);
        CREATE INDEX idx_events_timeline ON events (customer_id, at, id);
        CREATE INDEX idx_events_conversation ON events (conversation_id);
        CREATE INDEX idx_outbox_conversation ON outbox (conversation_id);
        CREATE INDEX idx_outbox_item ON outbox (item_id);
      `)
    },
  },
  {
    version: 2,
    name: 'inbox: channel, team and waiting order on conversations; per-conversation read markers',
    up: (db) => {
      // wait_order is waitingSince, or a far-future value when nobody waits, so "longest
      // waiting" is one ascending index walk with the answered conversations last.
      db.exec(`
        ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT '';
        ALTER TABLE conversations ADD COLUMN team TEXT;
        ALTER TABLE conversations ADD COLUMN wait_order INTEGER NOT NULL DEFAULT ${NOT_WAITING};
        UPDATE conversations SET
          channel = json ->> '$.channel',
          team = json ->> '$.team',
          wait_order = coalesce(json ->> '$.waitingSince', ${NOT_WAITING});

        -- Local to this agent's device: never synced, so it survives a server row replacing the conversation.
        CREATE TABLE read_markers (
          conversation_id TEXT PRIMARY KEY,
          read_at INTEGER NOT NULL,
          marked_unread INTEGER NOT NULL DEFAULT 0 CHECK (marked_unread IN (0, 1))
        ) STRICT;

        CREATE INDEX idx_conversations_team_activity ON conversations (team, last_message_at, id);
        CREATE INDEX idx_conversations_team_status_activity ON conversations (team, status, last_message_at, id);
        CREATE INDEX idx_conversations_channel_activity ON conversations (channel, last_message_at, id);
        CREATE INDEX idx_conversations_channel_status_activity ON conversations (channel, status, last_message_at, id);
        CREATE INDEX idx_conversations_waiting ON conversations (wait_order, id);
        CREATE INDEX idx_conversations_status_waiting ON conversations (status, wait_order, id);
        CREATE INDEX idx_conversations_assignee_waiting ON conversations (assignee_id, wait_order, id);
        CREATE INDEX idx_conversations_assignee_status_waiting ON conversations (assignee_id, status, wait_order, id);
        CREATE INDEX idx_conversations_team_waiting ON conversations (team, wait_order, id);
        CREATE INDEX idx_conversations_team_status_waiting ON conversations (team, status, wait_order, id);
        CREATE INDEX idx_conversations_channel_waiting ON conversations (channel, wait_order, id);
        CREATE INDEX idx_conversations_channel_status_waiting ON conversations (channel, status, wait_order, id);
      `)
    },
  },
  {
    version: 3,
    name: 'full-text search over messages, notes and customers, kept by triggers',
    up: (db) => db.exec(SEARCH_SCHEMA),
  },
  {
    version: 4,
    name: 'composer drafts per conversation',
    up: (db) =>
      db.exec(`
        -- Local only: what the agent was writing, restored when they come back to the conversation.
        CREATE TABLE drafts (
          conversation_id TEXT PRIMARY KEY,
          mode TEXT NOT NULL CHECK (mode IN ('reply', 'note')),
          json TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `),
  },
  {
    version: 5,
    name: 'canned responses, seeded with a few defaults',
    up: (db) => {
      db.exec(`
        -- Local to this device for now: the composer inserts them with "/" or Ctrl+Shift+K.
        CREATE TABLE canned_responses (
          id TEXT PRIMARY KEY,
          title TEXT NOT NULL,
          shortcut TEXT NOT NULL UNIQUE,
          body TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `)
      const insert = db.prepare('INSERT INTO canned_responses (id, title, shortcut, body, updated_at) VALUES (?, ?, ?, ?, 0)')
      insert.run('canned-greeting', 'Greeting', 'hi', 'Hi {{customer.name}},\n\nThanks for getting in touch. ')
      insert.run('canned-looking', 'Looking into it', 'looking', "Hi {{customer.name}}, I'm looking into this now and will get back to you shortly.\n\n{{agent.name}}")
      insert.run('canned-followup', 'Follow-up on the subject', 'followup', 'Hi {{customer.name}}, a quick follow-up on "{{conversation.subject}}": is everything sorted on your side?')
      insert.run('canned-thanks', 'Thanks and goodbye', 'thanks', 'Thanks for your patience, {{customer.name}}. Have a great day!\n\n{{agent.name}}')
    },
  },
  {
    version: 6,
    name: 'sidebar counts kept per (status, channel, team, assignee) by triggers',
    up: (db) => db.exec(CONVERSATION_COUNTS_SCHEMA),
  },
  {
    version: 7,
    name: 'search newest first with filter tokens; bulk loads; the server copy stored only where it differs',
    up: (db) => {
      createSearchIndex(db)
      db.exec(SUSPENDED_INDEXES_TABLE)
      // server_json now reads NULL as "the same as json" and 'null' as "only local": the rows
      // that were only local are marked. Rows already holding a copy stay valid as they are.
      for (const table of ['users', 'customers', 'identities', 'conversations', 'messages', 'notes', 'calls', 'events']) {
        db.exec(`UPDATE ${table} SET server_json = 'null' WHERE server_json IS NULL`)
      }
    },
  },
  {
    version: 8,
    name: 'the inbox settings of the last whoami, for starting offline',
    up: (db) => db.exec('ALTER TABLE sync_meta ADD COLUMN inboxes_json TEXT'),
  },
  {
    version: 9,
    name: 'the inboxes the cache was filled for',
    // When the user's inboxes change, the cache is refilled: it holds rows they may no longer see.
    up: (db) => db.exec('ALTER TABLE sync_meta ADD COLUMN scope_json TEXT'),
  },
  {
    version: 10,
    name: 'conversations across channels: priority and the conversation continued; note mentions',
    up: (db) => {
      // Rows cached before the server knew these fields read as the server now sends them (its
      // own migration rewrote the change log the same way), so every row parses as one shape.
      // json_insert adds a field only where it is missing: a row that already has one keeps it.
      const fill = (table: string, fields: string) => {
        for (const column of ['json', 'server_json']) {
          db.exec(`UPDATE ${table} SET ${column} = json_insert(${column}, ${fields}) WHERE ${column} IS NOT NULL AND ${column} <> 'null'`)
        }
      }
      fill('conversations', `'$.priority', 'normal', '$.previousConversationId', NULL`)
      fill('notes', `'$.mentions', json('[]')`)
      // priority holds the rank in PRIORITIES (0 low … 3 urgent), not the name, so "most urgent
      // first" is a descending walk of an index rather than a sort by a CASE.
      db.exec(`
        ALTER TABLE conversations ADD COLUMN priority INTEGER NOT NULL DEFAULT ${PRIORITY_RANK.normal};
        UPDATE conversations SET priority = CASE json ->> '$.priority' ${PRIORITIES.map((p, i) => `WHEN '${p}' THEN ${i}`).join(' ')} ELSE ${PRIORITY_RANK.normal} END;
        CREATE INDEX idx_conversations_priority_activity ON conversations (priority, last_message_at, id);
        CREATE INDEX idx_conversations_status_priority_activity ON conversations (status, priority, last_message_at, id);
      `)
    },
  },
  {
    version: 11,
    name: 'mentions: who each note names, kept by triggers; which mentions this agent has read',
    up: (db) => db.exec(MENTIONS_SCHEMA),
  },
  {
    version: 12,
    name: 'saved views of the inbox',
    up: (db) =>
      db.exec(`CREATE TABLE saved_views (
        id TEXT PRIMARY KEY, owner_id TEXT NOT NULL,
        json TEXT NOT NULL, server_json TEXT
      ) STRICT`),
  },
  {
    version: 13,
    name: 'a conversation whose status, channel or assignee changed is re-tagged in the search index after the step, not during it',
    up: (db) => {
      db.exec(SEARCH_RETAG_TABLE)
      // A suspended index gets every trigger when it is rebuilt; only a live one swaps this one.
      if (!searchIndexSuspended(db)) db.exec(`DROP TRIGGER IF EXISTS search_conversations_update; ${CONVERSATION_RETAG_TRIGGER}`)
    },
  },
  {
    version: 14,
    name: 'summaries, and this agent\'s ratings of them',
    up: (db) =>
      db.exec(`CREATE TABLE summaries (
        id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER,
        json TEXT NOT NULL, server_json TEXT
      ) STRICT;
      -- The story is read by customer; wrap-ups and call summaries through the timeline's (customer, at, id) order.
      CREATE INDEX idx_summaries_timeline ON summaries (customer_id, at, id);
      CREATE TABLE summary_ratings (
        summary_id TEXT NOT NULL, generated_at INTEGER NOT NULL, rating TEXT NOT NULL,
        PRIMARY KEY (summary_id, generated_at)
      ) STRICT`),
  },
  {
    version: 15,
    name: 'reporting events, which supervisors\' dashboards are computed from',
    up: (db) =>
      // Every field in a column as well: a report reads tens of thousands of events, and reading
      // columns costs a fraction of parsing each row's JSON.
      db.exec(`CREATE TABLE reporting_events (
        id TEXT PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, conversation_id TEXT NOT NULL, customer_id TEXT,
        inbox TEXT NOT NULL, channel TEXT NOT NULL, team TEXT, agent_id TEXT, calendar_ms INTEGER, business_ms INTEGER,
        after_hours INTEGER NOT NULL, from_channel TEXT, rating INTEGER, sla_target TEXT,
        json TEXT NOT NULL, server_json TEXT
      ) STRICT;
      -- Every report reads a time range; a drill-down and an erasure read by conversation and customer.
      CREATE INDEX idx_reporting_events_at ON reporting_events (at);
      CREATE INDEX idx_reporting_events_conversation ON reporting_events (conversation_id);
      CREATE INDEX idx_reporting_events_customer ON reporting_events (customer_id)`),
  },
  {
    version: 16,
    name: 'the due time of each conversation\'s SLA, for the inbox\'s "due soonest" order',
    up: (db) =>
      // As wait_order: a far-future value when nothing is due, so the order is one ascending index
      // walk with those last. Conversations cached before carry no SLA: the default is theirs.
      db.exec(`ALTER TABLE conversations ADD COLUMN sla_due INTEGER NOT NULL DEFAULT ${NOT_DUE};
      CREATE INDEX idx_conversations_sla_due ON conversations (sla_due, id);
      CREATE INDEX idx_conversations_status_sla_due ON conversations (status, sla_due, id);
      CREATE INDEX idx_conversations_assignee_sla_due ON conversations (assignee_id, sla_due, id);
      CREATE INDEX idx_conversations_assignee_status_sla_due ON conversations (assignee_id, status, sla_due, id);
      CREATE INDEX idx_conversations_team_sla_due ON conversations (team, sla_due, id);
      CREATE INDEX idx_conversations_team_status_sla_due ON conversations (team, status, sla_due, id);
      CREATE INDEX idx_conversations_channel_sla_due ON conversations (channel, sla_due, id);
      CREATE INDEX idx_conversations_channel_status_sla_due ON conversations (channel, status, sla_due, id)`),
  },
  {
    version: 17,
    name: 'a count of reporting events changed or deleted, so that the dashboards\' copy in memory knows when to read them again',
    up: (db) =>
      // New events are found by rowid (reporting-columns.ts); only the rare change to an event
      // already read (an erasure, a signed-out cache) makes the copy read everything again.
      db.exec(`CREATE TABLE reporting_event_rewrites (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL) STRICT;
      INSERT INTO reporting_event_rewrites (id, count) VALUES (1, 0);
      CREATE TRIGGER reporting_events_updated AFTER UPDATE ON reporting_events BEGIN
        UPDATE reporting_event_rewrites SET count = count + 1;
      END;
      CREATE TRIGGER reporting_events_deleted AFTER DELETE ON reporting_events BEGIN
        UPDATE reporting_event_rewrites SET count = count + 1;
      END`),
  },
  {
    version: 18,
    name: 'reporting events kept as their columns alone, without a copy in JSON',
    up: (db) =>
      // The columns hold every field (queries.ts, COLUMNS_ONLY); drill-downs read the columns in
      // memory (reporting-columns.ts) rather than the events of one conversation from the table.
      db.exec(`DROP INDEX idx_reporting_events_conversation;
      ALTER TABLE reporting_events DROP COLUMN json;
      ALTER TABLE reporting_events DROP COLUMN server_json`),
  },
  {
    version: 19,
    name: 'the inbox and subject of conversations as columns, and the unresolved ones indexed for the live queues',
    up: (db) =>
      // The supervisors' live queues count every unresolved conversation, and a figure lists tens of
      // thousands of them: from these two indexes alone, without opening a row or its JSON. Holding
      // only the unresolved conversations keeps them small next to the whole cache.
      db.exec(`ALTER TABLE conversations ADD COLUMN inbox TEXT;
      ALTER TABLE conversations ADD COLUMN subject TEXT;
      UPDATE conversations SET inbox = json ->> '$.inbox', subject = json ->> '$.subject';
      CREATE INDEX idx_conversations_live_counts ON conversations (status, channel, inbox, team, assignee_id, wait_order, sla_due)
        WHERE status <> 'resolved';
      CREATE INDEX idx_conversations_live_list ON conversations (status, wait_order, id, customer_id, channel, inbox, team, assignee_id, subject, sla_due)
        WHERE status <> 'resolved'`),
  },
  {
    version: 20,
    name: "the labels of conversations as rows, and conversations by inbox, so that saved views count from indexes",
    up: (db) =>
      // A saved view's count is asked for whenever the inbox changes: read from the JSON, a label or
      // inbox filter read every conversation (half a second at 200,000 of them), and the requests the
      // agent waits on queued behind it. Triggers keep the rows in step on every path a
      // conversation is written (sync, local actions, erasure).
      db.exec(`CREATE TABLE conversation_labels (
        label TEXT NOT NULL, conversation_id TEXT NOT NULL, PRIMARY KEY (label, conversation_id)
      ) WITHOUT ROWID, STRICT;
      INSERT OR IGNORE INTO conversation_labels SELECT l.value, c.id FROM conversations c, json_each(c.json, '$.labels') l;
      CREATE TRIGGER conversation_labels_inserted AFTER INSERT ON conversations BEGIN
        INSERT OR IGNORE INTO conversation_labels SELECT value, NEW.id FROM json_each(NEW.json, '$.labels');
      END;
      CREATE TRIGGER conversation_labels_updated AFTER UPDATE OF json ON conversations
        WHEN (OLD.json ->> '$.labels') IS NOT (NEW.json ->> '$.labels') BEGIN
        DELETE FROM conversation_labels WHERE conversation_id = OLD.id AND label IN (SELECT value FROM json_each(OLD.json, '$.labels'));
        INSERT OR IGNORE INTO conversation_labels SELECT value, NEW.id FROM json_each(NEW.json, '$.labels');
      END;
      CREATE TRIGGER conversation_labels_deleted AFTER DELETE ON conversations BEGIN
        DELETE FROM conversation_labels WHERE conversation_id = OLD.id AND label IN (SELECT value FROM json_each(OLD.json, '$.labels'));
      END;
      CREATE INDEX idx_conversations_inbox_status_waiting ON conversations (inbox, status, wait_order)`),
  },
  {
    version: 21,
    name: 'the search index without a copy of the text it indexes',
    up: (db) => createSearchIndex(db),
  },
  {
    version: 22,
    name: 'conversations by status, priority and waiting time, for the views of urgent customers waiting',
    up: (db) =>
      // "Urgent, waiting over half an hour" otherwise reads every open conversation waiting that
      // long to learn its priority: 92 ms at 200,000 conversations, on every inbox refresh.
      db.exec('CREATE INDEX idx_conversations_status_priority_waiting ON conversations (status, priority, wait_order)'),
  },
  {
    version: 23,
    name: 'conversations whose customer, status or subject changed, and a count of rows deleted and customers renamed, so that the drill-downs\' lists in memory follow the cache',
    up: (db) =>
      // New rows are found by rowid (listed-columns.ts). A conversation updated keeps its customer,
      // status and subject most of the time, so only a real change is named, once per
      // conversation (AUTOINCREMENT: a later change always has a higher seq). A deletion or a
      // rename, rare, has everything read again. The changes named are cleared at every open
      // (clearListingChanges): nothing held in memory outlives its process.
      db.exec(`CREATE TABLE conversation_listing_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL UNIQUE
      ) STRICT;
      CREATE TRIGGER listing_conversation_changed AFTER UPDATE OF customer_id, status, subject ON conversations
        WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.status IS NOT NEW.status OR OLD.subject IS NOT NEW.subject BEGIN
        -- Not INSERT OR REPLACE: the statement that fires a trigger imposes its own conflict policy.
        DELETE FROM conversation_listing_changes WHERE conversation_id = NEW.id;
        INSERT INTO conversation_listing_changes (conversation_id) VALUES (NEW.id);
      END;
      CREATE TABLE listing_reloads (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL) STRICT;
      INSERT INTO listing_reloads (id, count) VALUES (1, 0);
      CREATE TRIGGER listing_conversation_deleted AFTER DELETE ON conversations BEGIN
        UPDATE listing_reloads SET count = count + 1;
      END;
      CREATE TRIGGER listing_customer_renamed AFTER UPDATE OF name ON customers WHEN OLD.name IS NOT NEW.name BEGIN
        UPDATE listing_reloads SET count = count + 1;
      END;
      CREATE TRIGGER listing_customer_deleted AFTER DELETE ON customers BEGIN
        UPDATE listing_reloads SET count = count + 1;
      END`),
  },
  {
    version: 24,
    name: 'reporting events without an index by time',
    up: (db) =>
      // Reports read the events from memory, and a new event's place among those of the same
      // instant is found by their rowids there (reporting-columns.ts): the index was read by
      // nothing else, and a supervisor's first sync built it over every event. A fill cut short
      // no longer builds it at its end either.
      db.exec(`DROP INDEX IF EXISTS idx_reporting_events_at;
      DELETE FROM suspended_indexes WHERE name = 'idx_reporting_events_at'`),
  },
  {
    version: 25,
    name: 'ties ordered by rowid: the inbox\'s indexes, and those of a conversation\'s messages and calls, without the id',
    up: (db) => {
      // Every index entry holds the rowid already, so ordering ties by it needs no column of its
      // own; the 36-character id made up half of each of these indexes. An index a fill cut short
      // has suspended (bulk-load.ts) is redefined there, to be built without it. The customer
      // timeline keeps its (customer_id, at, id) indexes: it merges four tables in one order.
      const ties = `(name GLOB 'idx_conversations_*' OR name IN ('idx_messages_conversation', 'idx_calls_conversation')) AND sql LIKE '%, id)'`
      const withoutId = (sql: string): string => sql.replace(/, id\)$/, ')')
      const built = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND ${ties}`).all() as { name: string; sql: string }[]
      const suspended = db.prepare(`SELECT name, sql FROM suspended_indexes WHERE ${ties}`).all() as { name: string; sql: string }[]
      for (const index of built) db.exec(`DROP INDEX ${index.name}; ${withoutId(index.sql)}`)
      const redefine = db.prepare('UPDATE suspended_indexes SET sql = ? WHERE name = ?')
      for (const index of suspended) redefine.run(withoutId(index.sql), index.name)
      // The count of the agent's unread conversations joins each by its id: an index of the open
      // ones holding it spares reading their rows, which the inbox's own indexes no longer do.
      createIndexOrDefer(
        db,
        'idx_conversations_assignee_unread',
        `CREATE INDEX idx_conversations_assignee_unread ON conversations (assignee_id, status, wait_order, id) WHERE status <> 'resolved'`,
      )
    },
  },
  {
    version: 26,
    name: 'the search index with one-character filter tokens, and prefixes of three characters only',
    up: (db) => createSearchIndex(db),
  },
  {
    version: 27,
    name: 'reporting events kept as the blocks a first sync receives them in',
    up: (db) => {
      // event-blocks.ts: a row per page of events (their ids apart from their other fields), the
      // range of their ids, and the customers they name; changing or deleting a block has the
      // dashboards' columns read again, as for a row.
      db.exec(`CREATE TABLE reporting_event_blocks (
        id INTEGER PRIMARY KEY, first_id TEXT NOT NULL, last_id TEXT NOT NULL, count INTEGER NOT NULL, ids TEXT NOT NULL, events TEXT NOT NULL
      ) STRICT;
      CREATE INDEX idx_reporting_event_blocks_ids ON reporting_event_blocks (last_id, first_id);
      CREATE TABLE reporting_event_block_customers (customer_id TEXT NOT NULL, block_id INTEGER NOT NULL) STRICT;
      CREATE TRIGGER reporting_event_blocks_updated AFTER UPDATE ON reporting_event_blocks BEGIN
        UPDATE reporting_event_rewrites SET count = count + 1;
      END;
      CREATE TRIGGER reporting_event_blocks_deleted AFTER DELETE ON reporting_event_blocks BEGIN
        UPDATE reporting_event_rewrites SET count = count + 1;
      END`)
      createIndexOrDefer(
        db,
        'idx_reporting_event_block_customers',
        'CREATE INDEX idx_reporting_event_block_customers ON reporting_event_block_customers (customer_id, block_id)',
      )
    },
  },
  {
    version: 28,
    name: 'event blocks kept as the bytes a first sync receives them in',
    up: (db) => {
      db.exec("ALTER TABLE reporting_event_blocks ADD COLUMN bytes BLOB NOT NULL DEFAULT x''")
      const pack = db.prepare('UPDATE reporting_event_blocks SET bytes = ? WHERE id = ?')
      const blocks = db.prepare('SELECT id, ids, events FROM reporting_event_blocks').all() as { id: number; ids: string; events: string }[]
      for (const block of blocks) pack.run(packEventBlock(eventsOfJsonBlock(block.ids, block.events)), block.id)
      db.exec('ALTER TABLE reporting_event_blocks DROP COLUMN ids; ALTER TABLE reporting_event_blocks DROP COLUMN events')
    },
  },
  {
    version: 29,
    name: 'the search index keyed with 256 keys per millisecond instead of 2^20',
    up: (db) => createSearchIndex(db),
  },
  {
    version: 30,
    name: 'summaries kept deflated',
    up: (db) => {
      // The same table with its JSON as bytes (entity-json.ts DEFLATED); the server copy is
      // NULL, the text 'null' or deflated bytes, so it takes any type.
      db.exec(`CREATE TABLE summaries_deflated (
        id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER,
        json BLOB NOT NULL, server_json ANY
      ) STRICT`)
      const insert = db.prepare('INSERT INTO summaries_deflated (id, customer_id, kind, at, json, server_json) VALUES (?, ?, ?, ?, ?, ?)')
      const page = db.prepare('SELECT rowid, id, customer_id, kind, at, json, server_json FROM summaries WHERE rowid > ? ORDER BY rowid LIMIT 1000').raw()
      for (let after = 0; ; ) {
        const rows = page.all(after) as [number, string, string, string, number | null, string, string | null][]
        if (rows.length === 0) break
        for (const [, id, customerId, kind, at, json, serverJson] of rows) {
          insert.run(id, customerId, kind, at, deflateRawSync(json), serverJson === null || serverJson === 'null' ? serverJson : deflateRawSync(serverJson))
        }
        after = rows.at(-1)![0]
      }
      db.exec('DROP TABLE summaries; ALTER TABLE summaries_deflated RENAME TO summaries')
      // Dropped with the old table; a first sync cut short builds it at its end instead.
      createIndexOrDefer(db, 'idx_summaries_timeline', 'CREATE INDEX idx_summaries_timeline ON summaries (customer_id, at, id)')
    },
  },
]

/** The events of a block as version 27 kept it: its ids, and each field as a list of values or as distinct values and each event's position among them. */
function eventsOfJsonBlock(ids: string, fields: string): ReportingEvent[] {
  const columns = Object.entries(JSON.parse(fields) as Record<string, unknown[] | { values: unknown[]; of: number[] }>)
  return (JSON.parse(ids) as string[]).map((id, i) => {
    const event: Record<string, unknown> = { id }
    for (const [f, c] of columns) event[f] = Array.isArray(c) ? c[i] : c.values[c.of[i]!]
    return event as ReportingEvent
  })
}

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0)

export class CacheVersionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheVersionError'
  }
}

/** Brings the cache up to LATEST_VERSION; refuses a cache written by a newer build. */
export function migrate(db: Database, file: string, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
  ) STRICT`)
  const applied = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map(
    (r) => r.version,
  )
  const known = migrations.map((m) => m.version)
  const latest = Math.max(0, ...known)
  const newest = applied.at(-1) ?? 0
  if (newest > latest) {
    throw new CacheVersionError(
      `The cache ${file} was written by a newer version of Threadline (cache schema ${newest}, this version knows up to ${latest}). ` +
        'Update Threadline, or delete the cache file to download everything again.',
    )
  }
  // Applied versions must be exactly the first known ones: a gap means a build skipped a step.
  applied.forEach((version, i) => {
    if (known[i] !== version) {
      throw new CacheVersionError(
        `The cache ${file} has migration ${version} recorded where ${known[i] ?? 'none'} was expected; it cannot be upgraded safely. Delete it to resync.`,
      )
    }
  })
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const migration of migrations.slice(applied.length)) {
    db.transaction(() => {
      migration.up(db)
      record.run(migration.version, migration.name, Date.now())
    })()
  }
}
