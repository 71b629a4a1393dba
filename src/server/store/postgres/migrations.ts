import type pg from 'pg'
import { NewerDatabaseError } from '../errors'

/**
 * PostgreSQL's numbered migrations, kept apart from SQLite's: the engines' histories differ
 * (version 1 here is SQLite's schema after all its migrations), so their version numbers are
 * their own. The rules are SQLite's: each runs once, in order, in its own transaction, and is
 * recorded in `schema_migrations`; a database recording a version this code does not know was
 * written by a newer server and is refused rather than guessed at.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * Every text column compares and sorts byte by byte, as SQLite's default BINARY collation
 * does, whatever the database's own collation: pages are cut at `id > cursor` and a timeline
 * merges tables by id in JavaScript, so a locale's order would skip or repeat rows. lower()
 * and ILIKE under "C" fold ASCII letters only, exactly as SQLite's NOCASE and LIKE do.
 */
const TEXT = 'TEXT COLLATE "C"'

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema (SQLite version 14)',
    sql: `
      -- Trigram indexes serve the customer search's ILIKE '%…%' on names and addresses
      -- (customers_name_trgm, identities_address_trgm). Without the extension the server does
      -- not start: it says so, and how to provide it, rather than search by reading every row.
      DO $$
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
      EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
        RAISE EXCEPTION 'Threadline needs the PostgreSQL extension pg_trgm (customer search), and it could not be created: %', SQLERRM
          USING HINT = 'Have a superuser run CREATE EXTENSION pg_trgm in this database, or give this user CREATE on it '
            '(pg_trgm is a trusted extension from PostgreSQL 13); it is part of PostgreSQL''s contrib modules. Then start the server again.';
      END
      $$;

      CREATE TABLE users (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        email ${TEXT} NOT NULL UNIQUE,
        role ${TEXT} NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
        team ${TEXT},
        inboxes JSONB,
        created_at BIGINT NOT NULL,
        deactivated_at BIGINT
      );

      CREATE TABLE api_tokens (
        token_hash ${TEXT} PRIMARY KEY,
        id ${TEXT} NOT NULL UNIQUE,
        user_id ${TEXT} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label ${TEXT},
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_id);

      CREATE TABLE user_passwords (
        user_id ${TEXT} PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        hash ${TEXT} NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE integrations (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        inboxes JSONB NOT NULL,
        token_hash ${TEXT} NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        revoked_at BIGINT
      );

      CREATE TABLE customers (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        labels JSONB NOT NULL,
        attributes JSONB NOT NULL,
        consent JSONB NOT NULL,
        consent_changed_at JSONB,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_activity_at BIGINT NOT NULL,
        merged_into ${TEXT}
      );
      -- SQLite's customers(name COLLATE NOCASE): the same-name-and-domain suggestion compares lower(name).
      CREATE INDEX customers_name ON customers (lower(name));
      CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
      CREATE INDEX customers_activity ON customers (last_activity_at DESC, id);

      CREATE TABLE identities (
        id ${TEXT} PRIMARY KEY,
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        kind ${TEXT} NOT NULL,
        address ${TEXT} NOT NULL,
        display_name ${TEXT},
        created_at BIGINT NOT NULL,
        unverified ${TEXT},
        UNIQUE (kind, address)
      );
      CREATE INDEX identities_customer ON identities (customer_id);
      CREATE INDEX identities_address ON identities (address);
      CREATE INDEX identities_address_trgm ON identities USING gin (address gin_trgm_ops);

      CREATE TABLE conversations (
        id ${TEXT} PRIMARY KEY,
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        channel ${TEXT} NOT NULL,
        inbox ${TEXT} NOT NULL,
        subject ${TEXT},
        status ${TEXT} NOT NULL,
        snoozed_until BIGINT,
        assignee_id ${TEXT},
        team ${TEXT},
        thread_key ${TEXT} NOT NULL,
        labels JSONB NOT NULL,
        last_message_at BIGINT NOT NULL,
        waiting_since BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        -- The order rows were first inserted, as SQLite's rowid: the tie-break between two
        -- conversations of one millisecond. Never written by the store; an upsert keeps it.
        row_order BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX conversations_inbox_status ON conversations (inbox, status, last_message_at DESC);
      CREATE INDEX conversations_status ON conversations (status, last_message_at DESC);
      CREATE INDEX conversations_customer ON conversations (customer_id, channel, status, last_message_at DESC);
      CREATE INDEX conversations_customer_inbox ON conversations (customer_id, inbox);
      CREATE INDEX conversations_thread ON conversations (channel, thread_key);

      CREATE TABLE messages (
        id ${TEXT} PRIMARY KEY,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        channel ${TEXT} NOT NULL,
        direction ${TEXT} NOT NULL,
        author_id ${TEXT},
        author_name ${TEXT} NOT NULL,
        subject ${TEXT},
        text ${TEXT} NOT NULL,
        html ${TEXT},
        html_omitted ${TEXT},
        unverified_sender ${TEXT},
        attachments JSONB NOT NULL,
        external_id ${TEXT},
        delivery_status ${TEXT} NOT NULL,
        delivery_error ${TEXT},
        sent_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        purpose ${TEXT},
        template JSONB,
        cc JSONB
      );
      -- NULL external ids (agent replies not yet sent) do not collide: NULLs are distinct, as in SQLite.
      CREATE UNIQUE INDEX messages_external ON messages (channel, external_id);
      CREATE INDEX messages_conversation ON messages (conversation_id, sent_at, id);
      CREATE INDEX messages_customer ON messages (customer_id, sent_at, id);
      CREATE INDEX messages_delivery ON messages (delivery_status, direction);

      CREATE TABLE notes (
        id ${TEXT} PRIMARY KEY,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        author_id ${TEXT} NOT NULL,
        author_name ${TEXT} NOT NULL,
        text ${TEXT} NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX notes_customer ON notes (customer_id, created_at, id);
      CREATE INDEX notes_conversation ON notes (conversation_id);

      CREATE TABLE calls (
        id ${TEXT} PRIMARY KEY,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        direction ${TEXT} NOT NULL,
        status ${TEXT} NOT NULL,
        outcome ${TEXT},
        duration_seconds BIGINT,
        recording_url ${TEXT},
        transcript ${TEXT},
        notes ${TEXT},
        agent_id ${TEXT},
        external_id ${TEXT} UNIQUE,
        started_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX calls_customer ON calls (customer_id, started_at, id);
      CREATE INDEX calls_conversation ON calls (conversation_id);

      CREATE TABLE events (
        id ${TEXT} PRIMARY KEY,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        type ${TEXT} NOT NULL,
        actor_id ${TEXT},
        data JSONB NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX events_customer ON events (customer_id, created_at, id);
      CREATE INDEX events_conversation ON events (conversation_id);

      -- The sync log. Each seq comes from change_counter, never from a sequence: see postgres-store.ts.
      CREATE TABLE changes (
        seq BIGINT PRIMARY KEY,
        entity ${TEXT} NOT NULL,
        entity_id ${TEXT} NOT NULL,
        op ${TEXT} NOT NULL CHECK (op IN ('upsert', 'delete')),
        -- json, not jsonb: written once, read back whole, never searched; the text stays as the
        -- server wrote it (key order included) and costs no conversion on the hottest insert.
        data JSON,
        -- The conversation's inbox, for access filtering; NULL = visible to everyone.
        inbox ${TEXT},
        -- A customer's own rows (customer, identity): visible to whoever sees one of their conversations.
        customer_id ${TEXT},
        actor ${TEXT},
        created_at BIGINT NOT NULL
      );
      -- The newest seq handed out. Every writing transaction locks this one row first and holds
      -- it to commit, so seqs commit in order and never repeat (a rolled-back seq is reused, as
      -- no reader ever saw it).
      CREATE TABLE change_counter (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL
      );
      INSERT INTO change_counter (id, seq) VALUES (1, 0);

      CREATE TABLE client_mutations (
        client_id ${TEXT} PRIMARY KEY,
        user_id ${TEXT} NOT NULL,
        last_mutation_id BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE dead_letters (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind ${TEXT} NOT NULL,
        inbox ${TEXT},
        -- json, not jsonb: a failed item is retried exactly as it arrived.
        payload JSON NOT NULL,
        error ${TEXT} NOT NULL,
        attempts BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        actor ${TEXT},
        created_at BIGINT NOT NULL
      );
      CREATE INDEX dead_letters_due ON dead_letters (next_attempt_at);

      -- Where a connector resumes after a restart. Server-internal: never synced, no change rows.
      CREATE TABLE connector_state (
        connector ${TEXT} NOT NULL,
        key ${TEXT} NOT NULL,
        value JSONB NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (connector, key)
      );

      CREATE TABLE customer_suggestions (
        id ${TEXT} PRIMARY KEY,
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        candidate_id ${TEXT} NOT NULL REFERENCES customers(id),
        reason ${TEXT} NOT NULL,
        detail ${TEXT} NOT NULL,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        status ${TEXT} NOT NULL CHECK (status IN ('open', 'accepted', 'dismissed')),
        created_at BIGINT NOT NULL,
        CHECK (customer_id != candidate_id)
      );
      -- One suggestion per pair of customers, whichever of the two it was noticed on.
      CREATE UNIQUE INDEX customer_suggestions_pair
        ON customer_suggestions (LEAST(customer_id, candidate_id), GREATEST(customer_id, candidate_id));
      CREATE INDEX customer_suggestions_candidate ON customer_suggestions (candidate_id);

      -- A merge keeps the source customer (marked merged_into) and records exactly what it moved.
      CREATE TABLE customer_merges (
        id ${TEXT} PRIMARY KEY,
        source_id ${TEXT} NOT NULL REFERENCES customers(id),
        target_id ${TEXT} NOT NULL REFERENCES customers(id),
        moved JSONB NOT NULL,
        merged_by ${TEXT} NOT NULL,
        merged_at BIGINT NOT NULL,
        undone_at BIGINT,
        CHECK (source_id != target_id)
      );
      CREATE INDEX customer_merges_target ON customer_merges (target_id);
      CREATE INDEX customer_merges_source ON customer_merges (source_id);
    `,
  },
  {
    version: 2,
    name: 'conversations across channels, priority, mentions (SQLite version 15)',
    // As SQLite's version 15: per-channel threads in their own table, the newer conversation
    // keeping a key two had; earlier changes gain the new fields' values.
    sql: `
      ALTER TABLE conversations ADD COLUMN priority ${TEXT} NOT NULL DEFAULT 'normal';
      ALTER TABLE conversations ADD COLUMN previous_conversation_id ${TEXT};
      ALTER TABLE notes ADD COLUMN mentions JSONB NOT NULL DEFAULT '[]';
      CREATE TABLE conversation_threads (
        channel ${TEXT} NOT NULL,
        thread_key ${TEXT} NOT NULL,
        conversation_id ${TEXT} NOT NULL REFERENCES conversations(id),
        inbox ${TEXT} NOT NULL,
        last_at BIGINT NOT NULL,
        PRIMARY KEY (channel, thread_key)
      );
      CREATE INDEX conversation_threads_conversation ON conversation_threads (conversation_id, channel, last_at);
      INSERT INTO conversation_threads (channel, thread_key, conversation_id, inbox, last_at)
        SELECT DISTINCT ON (channel, thread_key) channel, thread_key, id, inbox, last_message_at
        FROM conversations ORDER BY channel, thread_key, created_at DESC, row_order DESC;
      CREATE INDEX conversations_customer_activity ON conversations (customer_id, last_message_at DESC);
      UPDATE changes SET data = (data::jsonb || '{"priority": "normal", "previousConversationId": null}'::jsonb)::json
        WHERE entity = 'conversation' AND data IS NOT NULL;
      UPDATE changes SET data = (data::jsonb || '{"mentions": []}'::jsonb)::json WHERE entity = 'note' AND data IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'saved views of the inbox (SQLite version 16)',
    sql: `
      CREATE TABLE saved_views (
        id ${TEXT} PRIMARY KEY,
        name ${TEXT} NOT NULL,
        owner_id ${TEXT} NOT NULL REFERENCES users(id),
        team ${TEXT},
        filters JSONB NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        deleted_at BIGINT
      );
      -- A saved view's changes reach its owner and its team only: the tokens of store/rows.ts, as JSON.
      ALTER TABLE changes ADD COLUMN audience TEXT;
    `,
  },
  {
    version: 4,
    name: 'summaries, their ratings and the model usage per day (SQLite version 17)',
    sql: `
      CREATE TABLE summaries (
        id ${TEXT} PRIMARY KEY,
        kind ${TEXT} NOT NULL,
        customer_id ${TEXT} NOT NULL REFERENCES customers(id),
        conversation_id ${TEXT} REFERENCES conversations(id),
        call_id ${TEXT} REFERENCES calls(id),
        text ${TEXT} NOT NULL,
        facts JSONB NOT NULL,
        provider ${TEXT} NOT NULL,
        model ${TEXT},
        fallback_reason ${TEXT},
        covers_item_id ${TEXT},
        covers_through BIGINT NOT NULL,
        item_count INTEGER NOT NULL,
        inboxes JSONB NOT NULL,
        generated_at BIGINT NOT NULL,
        updated_on_device BOOLEAN
      );
      CREATE INDEX summaries_by_customer ON summaries (customer_id);
      CREATE TABLE summary_feedback (
        summary_id ${TEXT} NOT NULL,
        user_id ${TEXT} NOT NULL REFERENCES users(id),
        generated_at BIGINT NOT NULL,
        rating ${TEXT} NOT NULL CHECK (rating IN ('up', 'down')),
        provider ${TEXT} NOT NULL,
        model ${TEXT},
        summary_text ${TEXT} NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (summary_id, user_id, generated_at)
      );
      CREATE TABLE summary_usage (
        day ${TEXT} PRIMARY KEY,
        requests BIGINT NOT NULL DEFAULT 0,
        prompt_tokens BIGINT NOT NULL DEFAULT 0,
        completion_tokens BIGINT NOT NULL DEFAULT 0,
        failures BIGINT NOT NULL DEFAULT 0,
        fallbacks BIGINT NOT NULL DEFAULT 0
      );
      -- Agents' requests to write a customer's story afresh, taken by whichever node summarizes.
      CREATE TABLE summary_requests (
        customer_id ${TEXT} PRIMARY KEY REFERENCES customers(id),
        requested_by ${TEXT} NOT NULL,
        requested_at BIGINT NOT NULL
      );
      -- A customer story reads items of several inboxes: it reaches only readers who may see every one (JSON list).
      ALTER TABLE changes ADD COLUMN covers TEXT;
    `,
  },
  {
    version: 5,
    name: 'the audit log (SQLite version 18)',
    sql: `
      CREATE TABLE audit_log (
        id ${TEXT} PRIMARY KEY,
        at BIGINT NOT NULL,
        recorded_at BIGINT NOT NULL,
        actor ${TEXT} NOT NULL,
        actor_name ${TEXT} NOT NULL,
        action ${TEXT} NOT NULL,
        target_type ${TEXT} NOT NULL,
        target_id ${TEXT} NOT NULL,
        via ${TEXT} NOT NULL,
        ip ${TEXT},
        user_agent ${TEXT},
        client_id ${TEXT},
        details JSONB NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at, id);
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at, id);
      CREATE INDEX audit_log_actor ON audit_log (actor, at, id);
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    `,
  },
  {
    version: 6,
    name: 'erasures held until their purge (SQLite version 19)',
    sql: `
      CREATE TABLE erasures (
        customer_id ${TEXT} PRIMARY KEY,
        customer_ids JSONB NOT NULL,
        name ${TEXT} NOT NULL,
        requested_by ${TEXT} NOT NULL,
        requested_at BIGINT NOT NULL,
        purge_at BIGINT NOT NULL,
        immediate BOOLEAN NOT NULL
      );
      CREATE INDEX erasures_due ON erasures (purge_at);
      -- Text, not jsonb: read back whole, and searched for an attachment's URL as text.
      CREATE TABLE erased_rows (
        customer_id ${TEXT} NOT NULL REFERENCES erasures(customer_id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        kind ${TEXT} NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (customer_id, ord)
      );
      CREATE INDEX changes_entity_id ON changes (entity_id);
    `,
  },
  {
    version: 7,
    name: 'reporting events (SQLite version 20)',
    sql: `
      CREATE TABLE reporting_events (
        id ${TEXT} PRIMARY KEY,
        kind ${TEXT} NOT NULL,
        conversation_id ${TEXT} NOT NULL,
        customer_id ${TEXT},
        inbox ${TEXT} NOT NULL,
        channel ${TEXT} NOT NULL,
        team ${TEXT},
        agent_id ${TEXT},
        at BIGINT NOT NULL,
        calendar_ms BIGINT,
        business_ms BIGINT,
        after_hours JSONB NOT NULL,
        from_channel ${TEXT},
        rating INTEGER,
        sla_target ${TEXT}
      );
      CREATE INDEX reporting_events_at ON reporting_events (at, id);
      CREATE INDEX reporting_events_conversation ON reporting_events (conversation_id, kind);
      CREATE INDEX reporting_events_customer ON reporting_events (customer_id);
    `,
  },
  {
    version: 8,
    name: 'SLA clocks on conversations (SQLite version 21)',
    sql: `
      ALTER TABLE conversations ADD COLUMN sla JSONB, ADD COLUMN sla_due BIGINT;
      CREATE INDEX conversations_sla_due ON conversations (sla_due) WHERE sla_due IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'queued outbound messages in send order (SQLite version 23)',
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
  {
    version: 10,
    name: 'the changes of one row in seq order',
    // A pull of the latest changes asks, for each change, whether a later one of the same row is
    // in the log. By entity id alone, PostgreSQL read every change of the row to answer: a
    // conversation changed at each of its 10,000 messages made that 10,000 reads per change.
    // SQLite's index on entity_id holds the seq already, as the rowid.
    sql: `
      DROP INDEX changes_entity_id;
      CREATE INDEX changes_entity_id_seq ON changes (entity_id, seq);
    `,
  },
]

/**
 * The key of the advisory lock migrators take (any fixed number: advisory locks are per
 * database). Two servers starting at once against one database would otherwise both see a
 * version missing and both apply it; the second waits, then finds it recorded.
 */
const MIGRATION_LOCK = 7_305_119_442

/**
 * Brings the database's schema up to date, one migration per transaction, each under the
 * advisory lock (released at its commit). `database` names it in errors, without a password.
 */
export async function migrate(pool: pg.Pool, database: string, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  // The highest, not the last: versions may be listed out of order while one is reserved.
  const known = Math.max(0, ...migrations.map((m) => m.version))
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    for (;;) {
      await client.query('BEGIN')
      try {
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK])
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          applied_at BIGINT NOT NULL
        )`)
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
        const applied = new Set(rows.map((r) => r.version))
        const newest = Math.max(0, ...applied)
        if (newest > known) throw new NewerDatabaseError(database, newest, known)
        const next = migrations.find((m) => !applied.has(m.version))
        if (next) {
          await client.query(next.sql)
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            next.version,
            next.name,
            Date.now(),
          ])
        }
        await client.query('COMMIT')
        if (!next) return
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackFailed: unknown) => {
          broken = rollbackFailed as Error
        })
        throw err
      }
    }
  } finally {
    // A connection whose rollback failed is in no state to be reused.
    client.release(broken)
  }
}
