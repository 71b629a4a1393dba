import type Database from 'better-sqlite3'
import { NewerDatabaseError } from '../errors'

// Where callers found it before the PostgreSQL store; both engines throw this one class.

/**
 * Numbered migrations. Each runs once, in order, in its own transaction, and is recorded in
 * `schema_migrations`; a database that records a version this code does not know was written
 * by a newer server and is refused rather than guessed at.
 */
export interface Migration {
  version: number
  name: string
  sql: string
  /**
   * Rebuilds a table others reference: foreign keys are off while it runs (dropping the old
   * table would otherwise cascade to its dependants) and checked before it commits.
   */
  rebuildsReferencedTable?: boolean
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
        team TEXT,
        inboxes TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE api_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) STRICT;
      CREATE INDEX api_tokens_user ON api_tokens(user_id);

      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        attributes TEXT NOT NULL,
        consent TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_activity_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX customers_name ON customers(name COLLATE NOCASE);
      CREATE INDEX customers_activity ON customers(last_activity_at DESC, id);

      CREATE TABLE identities (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        kind TEXT NOT NULL,
        address TEXT NOT NULL,
        display_name TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (kind, address)
      ) STRICT;
      CREATE INDEX identities_customer ON identities(customer_id);
      CREATE INDEX identities_address ON identities(address);

      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        channel TEXT NOT NULL,
        inbox TEXT NOT NULL,
        subject TEXT,
        status TEXT NOT NULL,
        snoozed_until INTEGER,
        assignee_id TEXT,
        team TEXT,
        thread_key TEXT NOT NULL,
        labels TEXT NOT NULL,
        last_message_at INTEGER NOT NULL,
        waiting_since INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX conversations_inbox_status ON conversations(inbox, status, last_message_at DESC);
      CREATE INDEX conversations_status ON conversations(status, last_message_at DESC);
      CREATE INDEX conversations_customer ON conversations(customer_id, channel, status, last_message_at DESC);
      CREATE INDEX conversations_thread ON conversations(channel, thread_key);

      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        customer_id TEXT NOT NULL REFERENCES customers(id),
        channel TEXT NOT NULL,
        direction TEXT NOT NULL,
        author_id TEXT,
        author_name TEXT NOT NULL,
        subject TEXT,
        text TEXT NOT NULL,
        html TEXT,
        attachments TEXT NOT NULL,
        external_id TEXT,
        delivery_status TEXT NOT NULL,
        delivery_error TEXT,
        sent_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- NULL external ids (agent replies not yet sent) do not collide: SQLite treats NULLs as distinct.
      CREATE UNIQUE INDEX messages_external ON messages(channel, external_id);
      CREATE INDEX messages_conversation ON messages(conversation_id, sent_at, id);
      CREATE INDEX messages_customer ON messages(customer_id, sent_at, id);
      CREATE INDEX messages_delivery ON messages(delivery_status, direction);

      CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        customer_id TEXT NOT NULL REFERENCES customers(id),
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX notes_customer ON notes(customer_id, created_at, id);

      CREATE TABLE calls (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        customer_id TEXT NOT NULL REFERENCES customers(id),
        direction TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        duration_seconds INTEGER,
        recording_url TEXT,
        transcript TEXT,
        notes TEXT,
        agent_id TEXT,
        external_id TEXT UNIQUE,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX calls_customer ON calls(customer_id, started_at, id);

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        customer_id TEXT NOT NULL REFERENCES customers(id),
        type TEXT NOT NULL,
        actor_id TEXT,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX events_customer ON events(customer_id, created_at, id);

      -- The sync log. AUTOINCREMENT so a seq is never reused, even after the newest row is gone.
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        data TEXT,
        -- The conversation's inbox, for access filtering; NULL = visible to everyone.
        inbox TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE client_mutations (
        client_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        last_mutation_id INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX dead_letters_due ON dead_letters(next_attempt_at);
    `,
  },
  {
    version: 2,
    name: 'outbound purpose and template on messages',
    // Consent is checked per purpose at send time, after a restart too, so it is stored with the message.
    sql: `
      ALTER TABLE messages ADD COLUMN purpose TEXT;
      ALTER TABLE messages ADD COLUMN template TEXT;
    `,
  },
  {
    version: 3,
    name: 'connector state',
    // Where a connector resumes after a restart (an IMAP mailbox's UIDVALIDITY and last UID).
    // Server-internal: never synced to clients, so it has no change rows.
    sql: `
      CREATE TABLE connector_state (
        connector TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (connector, key)
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'customer suggestions',
    // Probable duplicates for an agent to accept or dismiss (identity/suggest.ts). Server-internal
    // bookkeeping: agents learn of one through its identity_suggested event, which is synced.
    sql: `
      CREATE TABLE customer_suggestions (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        candidate_id TEXT NOT NULL REFERENCES customers(id),
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'dismissed')),
        created_at INTEGER NOT NULL,
        CHECK (customer_id != candidate_id)
      ) STRICT;
      -- One suggestion per pair of customers, whichever of the two it was noticed on.
      CREATE UNIQUE INDEX customer_suggestions_pair
        ON customer_suggestions(min(customer_id, candidate_id), max(customer_id, candidate_id));
      CREATE INDEX customer_suggestions_candidate ON customer_suggestions(candidate_id);
    `,
  },
  {
    version: 5,
    name: 'customer merges',
    // A merge keeps the source customer (marked merged_into) and records exactly what it moved,
    // so an undo moves back that and nothing that reached the target later.
    sql: `
      ALTER TABLE customers ADD COLUMN merged_into TEXT;
      CREATE TABLE customer_merges (
        id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES customers(id),
        target_id TEXT NOT NULL REFERENCES customers(id),
        -- JSON: the identity and conversation ids moved, and what the target's profile gained.
        moved TEXT NOT NULL,
        merged_by TEXT NOT NULL,
        merged_at INTEGER NOT NULL,
        undone_at INTEGER,
        CHECK (source_id != target_id)
      ) STRICT;
      CREATE INDEX customer_merges_target ON customer_merges(target_id);
      CREATE INDEX customer_merges_source ON customer_merges(source_id);
      -- A merge re-homes every item of a moved conversation.
      CREATE INDEX notes_conversation ON notes(conversation_id);
      CREATE INDEX calls_conversation ON calls(conversation_id);
      CREATE INDEX events_conversation ON events(conversation_id);
    `,
  },
  {
    version: 6,
    name: 'cc on outbound email',
    // The SMTP sender reads the copies from the stored message, after a restart too.
    sql: `
      ALTER TABLE messages ADD COLUMN cc TEXT;
    `,
  },
  {
    version: 7,
    name: 'when each consent was last asked for',
    // A consent request stored late (from the dead letters) must not override a newer one.
    sql: `
      ALTER TABLE customers ADD COLUMN consent_changed_at TEXT;
    `,
  },
  {
    version: 8,
    name: 'passwords for signing in',
    // A table of its own: the users table is synced to every client, a password hash never is.
    sql: `
      CREATE TABLE user_passwords (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: 'why a message keeps only its text',
    // A sender's HTML too large or too deeply nested to sanitize safely is dropped, and the timeline says so.
    sql: `
      ALTER TABLE messages ADD COLUMN html_omitted TEXT;
    `,
  },
  {
    version: 10,
    name: 'claimed addresses',
    // An address typed into the chat form, or an email failing DMARC, is kept but marked, so it never links a customer alone.
    sql: `
      ALTER TABLE identities ADD COLUMN unverified TEXT;
      ALTER TABLE messages ADD COLUMN unverified_sender TEXT;
    `,
  },
  {
    version: 11,
    name: 'who made each change; integrations; token ids',
    // Every change names its actor (user, connector, integration or system); older rows cannot
    // tell and stay NULL. A dead letter keeps the actor of the item, so its retry is still theirs.
    // Tokens get an id an administrator can name them by without ever seeing the token or its hash.
    // Integrations are kept when revoked: the changes they made keep naming them.
    sql: `
      ALTER TABLE changes ADD COLUMN actor TEXT;
      ALTER TABLE dead_letters ADD COLUMN actor TEXT;
      ALTER TABLE api_tokens ADD COLUMN id TEXT;
      UPDATE api_tokens SET id = lower(hex(randomblob(16)));
      CREATE UNIQUE INDEX api_tokens_id ON api_tokens(id);
      CREATE TABLE integrations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        inboxes TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 12,
    name: 'dead letters know their inbox',
    // Supervisors see only the dead letters of inboxes they may see. An inbound item names its inbox
    // ('default' when left out, as the ingest reads it); a refused webhook arrived on its inbox's
    // path. What cannot be told stays NULL: only users who see every inbox see it.
    sql: `
      ALTER TABLE dead_letters ADD COLUMN inbox TEXT;
      UPDATE dead_letters SET inbox = CASE
          WHEN json_type(payload, '$.inbox') = 'text' THEN trim(json_extract(payload, '$.inbox'))
          WHEN json_type(payload, '$.inbox') IS NULL THEN 'default'
        END
        WHERE kind = 'inbound' AND json_valid(payload) AND json_type(payload) = 'object';
      UPDATE dead_letters SET inbox = segment
        FROM (
          SELECT letter_id, substr(rest, 1, instr(rest, '/') - 1) AS segment
          FROM (
            SELECT id AS letter_id, substr(json_extract(payload, '$.url'), 11) AS rest FROM dead_letters
            WHERE kind = 'refused-webhook' AND json_valid(payload) AND json_extract(payload, '$.url') LIKE '/webhooks/%'
          )
        )
        WHERE id = letter_id AND segment <> '' AND instr(segment, '%') = 0;
    `,
  },
  {
    version: 13,
    name: 'customers seen through their conversations',
    // A customer's rows reach only the users who may see one of the customer's conversations, so
    // each change of a customer or identity names the customer, and pulls look up where they write.
    sql: `
      ALTER TABLE changes ADD COLUMN customer_id TEXT;
      UPDATE changes SET customer_id = entity_id WHERE entity = 'customer';
      UPDATE changes SET customer_id = json_extract(data, '$.customerId') WHERE entity = 'identity';
      CREATE INDEX conversations_customer_inbox ON conversations(customer_id, inbox);
    `,
  },
  {
    version: 14,
    name: 'admins and deactivated users',
    // The role check gains 'admin', which SQLite can only change by rebuilding the table.
    // A deactivated user keeps their row (their past changes name them) but may hold no token.
    rebuildsReferencedTable: true,
    sql: `
      CREATE TABLE users_v14 (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        team TEXT,
        inboxes TEXT,
        created_at INTEGER NOT NULL,
        deactivated_at INTEGER
      ) STRICT;
      INSERT INTO users_v14 (id, name, email, role, team, inboxes, created_at)
        SELECT id, name, email, role, team, inboxes, created_at FROM users;
      DROP TABLE users;
      ALTER TABLE users_v14 RENAME TO users;
    `,
  },
  {
    version: 15,
    name: 'conversations across channels, priority, mentions',
    // A conversation holds every channel the customer uses for one matter: what routes each
    // channel's items into it moves to a table of threads, one row per (channel, key). Where two
    // conversations had one key, the newer one kept receiving; it keeps the key. Earlier changes
    // gain the new fields' values, so a client filling its cache from the log sees whole rows.
    sql: `
      ALTER TABLE conversations ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
      ALTER TABLE conversations ADD COLUMN previous_conversation_id TEXT;
      ALTER TABLE notes ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE conversation_threads (
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        inbox TEXT NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (channel, thread_key)
      ) STRICT;
      CREATE INDEX conversation_threads_conversation ON conversation_threads(conversation_id, channel, last_at);
      INSERT INTO conversation_threads (channel, thread_key, conversation_id, inbox, last_at)
        SELECT channel, thread_key, id, inbox, last_message_at FROM conversations WHERE true ORDER BY created_at, rowid
        ON CONFLICT (channel, thread_key) DO UPDATE SET
          conversation_id = excluded.conversation_id, inbox = excluded.inbox, last_at = excluded.last_at;
      CREATE INDEX conversations_customer_activity ON conversations(customer_id, last_message_at DESC);
      UPDATE changes SET data = json_set(data, '$.priority', 'normal', '$.previousConversationId', NULL)
        WHERE entity = 'conversation' AND data IS NOT NULL;
      UPDATE changes SET data = json_set(data, '$.mentions', json('[]')) WHERE entity = 'note' AND data IS NOT NULL;
    `,
  },
  {
    version: 16,
    name: 'saved views of the inbox',
    sql: `
      CREATE TABLE saved_views (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES users(id),
        team TEXT,
        filters TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      ) STRICT;
      -- A saved view's changes reach its owner and its team only: the tokens of store/rows.ts, as JSON.
      ALTER TABLE changes ADD COLUMN audience TEXT;
    `,
  },
  {
    version: 17,
    name: 'summaries, their ratings and the model usage per day',
    sql: `
      CREATE TABLE summaries (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        conversation_id TEXT REFERENCES conversations(id),
        call_id TEXT REFERENCES calls(id),
        text TEXT NOT NULL,
        facts TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT,
        fallback_reason TEXT,
        covers_item_id TEXT,
        covers_through INTEGER NOT NULL,
        item_count INTEGER NOT NULL,
        inboxes TEXT NOT NULL,
        generated_at INTEGER NOT NULL,
        updated_on_device INTEGER
      ) STRICT;
      CREATE INDEX summaries_by_customer ON summaries (customer_id);
      -- What agents thought of a summary, with the text they judged: kept for evaluating summarizers.
      CREATE TABLE summary_feedback (
        summary_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        generated_at INTEGER NOT NULL,
        rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        provider TEXT NOT NULL,
        model TEXT,
        summary_text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (summary_id, user_id, generated_at)
      ) STRICT;
      CREATE TABLE summary_usage (
        day TEXT PRIMARY KEY,
        requests INTEGER NOT NULL DEFAULT 0,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        fallbacks INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      -- Agents' requests to write a customer's story afresh, taken by whichever node summarizes.
      CREATE TABLE summary_requests (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id),
        requested_by TEXT NOT NULL,
        requested_at INTEGER NOT NULL
      ) STRICT;
      -- A customer story reads items of several inboxes: it reaches only readers who may see every one (JSON list).
      ALTER TABLE changes ADD COLUMN covers TEXT;
    `,
  },
  {
    version: 18,
    name: 'the audit log',
    // Append-only: an update is refused by the database itself. Rows are deleted only by the
    // log's retention, oldest first. Targets are ids, never names, so erasing a customer leaves
    // nothing personal here to rewrite.
    sql: `
      CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        via TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        client_id TEXT,
        details TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_log_at ON audit_log (at, id);
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at, id);
      CREATE INDEX audit_log_actor ON audit_log (actor, at, id);
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
  {
    version: 19,
    name: 'erasures held until their purge',
    // An erased customer's rows leave their tables at once (so no read can return them) and wait
    // here as JSON until the purge, for a restore. Rewriting an erased row's changes to tombstones
    // finds them by entity id.
    sql: `
      CREATE TABLE erasures (
        customer_id TEXT PRIMARY KEY,
        customer_ids TEXT NOT NULL,
        name TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        purge_at INTEGER NOT NULL,
        immediate INTEGER NOT NULL CHECK (immediate IN (0, 1))
      ) STRICT;
      CREATE INDEX erasures_due ON erasures (purge_at);
      CREATE TABLE erased_rows (
        customer_id TEXT NOT NULL REFERENCES erasures(customer_id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        -- An entity name, or the server-internal table the row came from.
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (customer_id, ord)
      ) STRICT;
      CREATE INDEX changes_entity_id ON changes (entity_id);
    `,
  },
  {
    version: 20,
    name: 'reporting events',
    // No foreign keys: an event outlives a conversation retention deletes, and an erased
    // customer's events stay, anonymous, so that the counts stay.
    sql: `
      CREATE TABLE reporting_events (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT,
        inbox TEXT NOT NULL,
        channel TEXT NOT NULL,
        team TEXT,
        agent_id TEXT,
        at INTEGER NOT NULL,
        calendar_ms INTEGER,
        business_ms INTEGER,
        after_hours TEXT NOT NULL,
        from_channel TEXT,
        rating INTEGER,
        sla_target TEXT
      ) STRICT;
      CREATE INDEX reporting_events_at ON reporting_events (at, id);
      CREATE INDEX reporting_events_conversation ON reporting_events (conversation_id, kind);
      CREATE INDEX reporting_events_customer ON reporting_events (customer_id);
    `,
  },
  {
    version: 21,
    name: 'SLA clocks on conversations',
    // sla_due is derived from sla on every write (rows.ts): the breach scan reads it by index.
    sql: `
      ALTER TABLE conversations ADD COLUMN sla TEXT;
      ALTER TABLE conversations ADD COLUMN sla_due INTEGER;
      CREATE INDEX conversations_sla_due ON conversations (sla_due) WHERE sla_due IS NOT NULL;
    `,
  },
  {
    version: 22,
    name: 'customer search index',
    // The customer search's substring match (LIKE '%q%' on names and identity addresses) read
    // every customer; this FTS5 trigram index finds the rows holding a query of 3 characters or
    // more instead (sqlite-store.ts, searchCustomers).
    //
    // - Contentless (content=''): the names and addresses are not stored a second time, only
    //   their trigrams; contentless_delete lets a row be deleted by rowid alone, and the
    //   index's secure-delete option removes a deleted row's trigrams from the index at once
    //   (not at some later merge), as secure_delete does for the tables an erasure empties.
    // - Its rowids are not those of customers and identities: their keys are TEXT, so VACUUM
    //   (run after every purge) may renumber their rowids. customer_search_rows gives every
    //   indexed text (a customer's name, an identity's address) a stable INTEGER PRIMARY KEY
    //   and says whose it is: ids only, no text. An identity's row follows it when a merge
    //   moves it to another customer.
    // - Indexed is lower(text), the tokenizer case-sensitive, and the query lowered the same
    //   way: lower() folds ASCII letters only, as LIKE does, so a match is exactly LIKE's (the
    //   tokenizer's own folding would also fold letters LIKE does not). detail=full keeps the
    //   trigrams' positions, so a longer query matches only where its trigrams are consecutive.
    // - Triggers keep it up to date, whatever writes the base tables: the store's upserts, a
    //   merge moving identities, an erasure taking rows out and a restore putting them back, a
    //   copy between stores. A migration that rebuilds customers or identities must create
    //   them again.
    sql: `
      CREATE TABLE customer_search_rows (
        id INTEGER PRIMARY KEY,
        customer_id TEXT NOT NULL,
        -- NULL: the row is the customer's name; else the identity whose address it is.
        identity_id TEXT
      ) STRICT;
      CREATE VIRTUAL TABLE customer_search USING fts5(
        text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1', detail = full
      );
      INSERT INTO customer_search (customer_search, rank) VALUES ('secure-delete', 1);

      INSERT INTO customer_search_rows (customer_id, identity_id) SELECT id, NULL FROM customers;
      INSERT INTO customer_search_rows (customer_id, identity_id) SELECT customer_id, id FROM identities;
      CREATE UNIQUE INDEX customer_search_rows_name ON customer_search_rows (customer_id) WHERE identity_id IS NULL;
      CREATE UNIQUE INDEX customer_search_rows_identity ON customer_search_rows (identity_id) WHERE identity_id IS NOT NULL;
      INSERT INTO customer_search (rowid, text)
        SELECT k.id, lower(c.name) FROM customer_search_rows k JOIN customers c ON c.id = k.customer_id WHERE k.identity_id IS NULL;
      INSERT INTO customer_search (rowid, text)
        SELECT k.id, lower(i.address) FROM customer_search_rows k JOIN identities i ON i.id = k.identity_id;

      CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_search_rows (customer_id, identity_id) VALUES (new.id, NULL);
        INSERT INTO customer_search (rowid, text)
          SELECT id, lower(new.name) FROM customer_search_rows WHERE customer_id = new.id AND identity_id IS NULL;
      END;
      CREATE TRIGGER customers_search_name AFTER UPDATE OF name ON customers WHEN old.name IS NOT new.name BEGIN
        DELETE FROM customer_search WHERE rowid = (SELECT id FROM customer_search_rows WHERE customer_id = old.id AND identity_id IS NULL);
        INSERT INTO customer_search (rowid, text)
          SELECT id, lower(new.name) FROM customer_search_rows WHERE customer_id = new.id AND identity_id IS NULL;
      END;
      CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_search WHERE rowid = (SELECT id FROM customer_search_rows WHERE customer_id = old.id AND identity_id IS NULL);
        DELETE FROM customer_search_rows WHERE customer_id = old.id AND identity_id IS NULL;
      END;

      CREATE TRIGGER identities_search_insert AFTER INSERT ON identities BEGIN
        INSERT INTO customer_search_rows (customer_id, identity_id) VALUES (new.customer_id, new.id);
        INSERT INTO customer_search (rowid, text)
          SELECT id, lower(new.address) FROM customer_search_rows WHERE identity_id = new.id;
      END;
      CREATE TRIGGER identities_search_address AFTER UPDATE OF address ON identities WHEN old.address IS NOT new.address BEGIN
        DELETE FROM customer_search WHERE rowid = (SELECT id FROM customer_search_rows WHERE identity_id = old.id);
        INSERT INTO customer_search (rowid, text)
          SELECT id, lower(new.address) FROM customer_search_rows WHERE identity_id = new.id;
      END;
      CREATE TRIGGER identities_search_customer AFTER UPDATE OF customer_id ON identities
        WHEN old.customer_id IS NOT new.customer_id BEGIN
        UPDATE customer_search_rows SET customer_id = new.customer_id WHERE identity_id = new.id;
      END;
      CREATE TRIGGER identities_search_delete AFTER DELETE ON identities BEGIN
        DELETE FROM customer_search WHERE rowid = (SELECT id FROM customer_search_rows WHERE identity_id = old.id);
        DELETE FROM customer_search_rows WHERE identity_id = old.id;
      END;
    `,
  },
  {
    version: 23,
    name: 'queued outbound messages in send order',
    // The dispatcher reads the queued outbound messages oldest first at every start. Through the
    // index on (delivery_status, direction) that read sorted every queued message to take the
    // first 10,000: with a backlog (a channel down, or sends left to an integration) that was
    // most of a start. This index holds those messages alone, in the order read, and replaces
    // that one, which served nothing else.
    sql: `
      DROP INDEX messages_delivery;
      CREATE INDEX messages_queued_outbound ON messages (sent_at, id) WHERE delivery_status = 'queued' AND direction = 'outbound';
    `,
  },
]

export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`)
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  )
  // The highest, not the last: versions may be listed out of order while one is reserved.
  const known = Math.max(0, ...migrations.map((m) => m.version))
  const newest = Math.max(0, ...applied)
  if (newest > known) throw new NewerDatabaseError(path, newest, known)
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const m of migrations) {
    if (applied.has(m.version)) continue
    // The pragma is a no-op inside a transaction, so it is switched around it.
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1
    if (m.rebuildsReferencedTable && foreignKeys) db.pragma('foreign_keys = OFF')
    try {
      db.transaction(() => {
        db.exec(m.sql)
        const broken = m.rebuildsReferencedTable ? (db.pragma('foreign_key_check') as unknown[]) : []
        if (broken.length > 0) throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} broken foreign key(s)`)
        record.run(m.version, m.name, Date.now())
      })()
    } finally {
      if (m.rebuildsReferencedTable && foreignKeys) db.pragma('foreign_keys = ON')
    }
  }
}
