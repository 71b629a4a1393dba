import type { Database } from 'better-sqlite3'
import type { Channel, ConversationStatus } from '../../shared/domain'
import type { SearchKind } from '../../shared/ipc'

/**
 * The full-text index over messages, notes and customers, ordered by time so a search reads
 * newest first and stops after the rows it shows.
 *
 * - The FTS rowid is a time key: `at × SLOTS + slot`. FTS5 walks a match in rowid order, so
 *   `ORDER BY rowid DESC LIMIT n` is newest first and stops after n rows, and a date range
 *   is a rowid range. `search_keys` remembers which key each source row got (the source's
 *   rowid × 4 + a kind number), so triggers find the entry to replace without a scan.
 * - The filters (kind, and the channel, status and assignee of the row's conversation) are
 *   tokens in the `tags` column, so FTS5 intersects them with the words before any row is
 *   read. Tags are private-use characters: FTS5's tokenizer keeps them as tokens, and typed
 *   text never contains one (see `ftsQuery`), so a search can never match a tag. A kind,
 *   channel, status or "unassigned" is one character: FTS5 keeps a prefix entry (of three
 *   characters) for longer tokens only, and a longer tag would add one to every entry.
 * - Triggers keep everything in step. A conversation whose status, channel or assignee
 *   changes is queued in `search_retag` rather than re-tagged at once: re-tagging writes every
 *   message and note of it again, which would make a step on 500 conversations take seconds.
 *   The queue is worked through while the app is idle (`retagQueued`), and emptied before every
 *   search, so a search never filters by a stale tag.
 *
 * The index is contentless: it holds the words, not the text. What a key stands for is read
 * from its source row (`search_documents`), for the rows a search returns only; the highlights
 * are made from that text (search-highlight.ts). A copy would take as much room as the index.
 *
 * An initial sync into an empty cache suspends the triggers (`suspendSearchIndex`) and builds
 * the index once at the end (`rebuildSearchIndex`; see bulk-load.ts). The missing triggers are
 * themselves the mark of an index to rebuild: dropped and recreated in the same transactions
 * as the index contents, so a process killed at any point leaves a cache `openCache` rebuilds.
 */

/** The one-character filter tokens. Their characters are part of the index: changing one means rebuilding it. */
const KIND_TOKENS: Record<SearchKind, string> = { message: '\uE001', note: '\uE002', customer: '\uE003' }
const CHANNEL_TOKENS: Record<Channel, string> = { chat: '\uE011', email: '\uE012', sms: '\uE013', whatsapp: '\uE014', voice: '\uE015' }
const STATUS_TOKENS: Record<ConversationStatus, string> = { open: '\uE021', pending: '\uE022', snoozed: '\uE023', resolved: '\uE024' }
const UNASSIGNED_TOKEN = '\uE030'
/** An assignee's token begins so, followed by their id in hex: too many to have a character each. */
const ASSIGNEE_TOKEN = '\uE000a'

/**
 * Keys per millisecond: more rows than any one instant holds (a channel that stamps whole
 * seconds shares one millisecond among the messages of that second). Few, because FTS5 stores
 * each entry's key as the difference from the previous one: at 2^20 keys per millisecond those
 * differences took a sixth of the index's bytes.
 */
export const SEARCH_SLOTS = 256
/** The latest `at` with its own keys; later times share the last one (2248 onwards). */
export const MAX_KEY_AT = 2 ** 43 - 1

const KIND_NUMBER = { message: 0, note: 1, customer: 2 } as const

const keyBase = (at: string): string => `(min(${at}, ${MAX_KEY_AT}) * ${SEARCH_SLOTS})`

/**
 * A free key for a row at `at`: after the last key of that millisecond, or, in the unlikely
 * case the millisecond is full, after every key (unique, though out of time order).
 */
const newKey = (at: string): string => `(
  SELECT CASE
    WHEN top IS NULL THEN base
    WHEN top + 1 < base + ${SEARCH_SLOTS} THEN top + 1
    ELSE (SELECT max(key) + 1 FROM search_keys)
  END
  FROM (SELECT base, (SELECT max(key) FROM search_keys WHERE key >= base AND key < base + ${SEARCH_SLOTS}) AS top
        FROM (SELECT ${keyBase(at)} AS base)))`

/** The token of each value of `column`, as SQL; none for a value without one. */
const tokenOf = (column: string, tokens: Record<string, string>): string =>
  `CASE ${column} ${Object.entries(tokens).map(([value, token]) => `WHEN '${value}' THEN '${token}'`).join(' ')} ELSE '' END`

/** The filter tokens of a message or note whose conversation is `c` (LEFT JOINed: may be missing). */
const conversationTags = (kind: 'message' | 'note'): string => `'${KIND_TOKENS[kind]}' || CASE WHEN c.id IS NULL THEN '' ELSE
    ' ' || ${tokenOf('c.channel', CHANNEL_TOKENS)} || ' ' || ${tokenOf('c.status', STATUS_TOKENS)} || ' ' ||
    CASE WHEN c.assignee_id IS NULL THEN '${UNASSIGNED_TOKEN}' ELSE '${ASSIGNEE_TOKEN}' || lower(hex(c.assignee_id)) END END`

const COLUMNS = 'rowid, title, body, tags'

/**
 * The index entries of one kind, as the columns of `search_index`: the source row `alias`
 * with its key `k` (and its conversation `c`), read either way round; callers add the WHERE.
 */
interface Docs {
  alias: string
  kind: number
  /** The indexed title and body of the source row, as SQL: the search shows the same text, highlighted. */
  title: string
  body: string
  tags: string
  /** Rows looked up from their source row (triggers). */
  bySource: string
  /** Rows read in key order, each source row looked up by rowid (the rebuild). */
  byKey: string
}

const conversationJoin = (alias: string) => `LEFT JOIN conversations c ON c.id = ${alias}.conversation_id`

const MESSAGE_DOCS: Docs = {
  alias: 'm',
  kind: KIND_NUMBER.message,
  title: `coalesce(m.json ->> '$.subject', '')`,
  body: `m.json ->> '$.text'`,
  tags: conversationTags('message'),
  bySource: `FROM messages m JOIN search_keys k ON k.src = m.rowid * 4 ${conversationJoin('m')}`,
  byKey: `FROM search_keys k CROSS JOIN messages m ON m.rowid = k.src / 4 ${conversationJoin('m')}`,
}

const NOTE_DOCS: Docs = {
  alias: 'n',
  kind: KIND_NUMBER.note,
  title: `''`,
  body: `n.json ->> '$.text'`,
  tags: conversationTags('note'),
  bySource: `FROM notes n JOIN search_keys k ON k.src = n.rowid * 4 + 1 ${conversationJoin('n')}`,
  byKey: `FROM search_keys k CROSS JOIN notes n ON n.rowid = k.src / 4 ${conversationJoin('n')}`,
}

/** A customer's entry holds their name and every address (phones also by the last digits people type). */
const CUSTOMER_DOCS: Docs = {
  alias: 'cu',
  kind: KIND_NUMBER.customer,
  title: 'cu.name',
  body: `coalesce((SELECT group_concat(i.json ->> '$.address' ||
      CASE WHEN i.json ->> '$.kind' IN ('phone', 'whatsapp') THEN ' ' || substr(i.json ->> '$.address', -10) || ' ' || substr(i.json ->> '$.address', -7) ELSE '' END, ' ')
      FROM identities i WHERE i.customer_id = cu.id), '')`,
  tags: `'${KIND_TOKENS.customer}'`,
  bySource: 'FROM customers cu JOIN search_keys k ON k.src = cu.rowid * 4 + 2',
  byKey: 'FROM search_keys k CROSS JOIN customers cu ON cu.rowid = k.src / 4',
}

/** The index's columns of a kind's entries. */
const selectDocs = (docs: Docs): string => `SELECT k.key, ${docs.title}, ${docs.body}, ${docs.tags}`

const insertDocs = (docs: Docs, where: string): string => `INSERT INTO search_index (${COLUMNS}) ${selectDocs(docs)} ${docs.bySource} WHERE ${where};`

const dropEntry = (src: string): string => `DELETE FROM search_index WHERE rowid = (SELECT key FROM search_keys WHERE src = ${src});`

/** Triggers for one indexed table; `changed` says when an updated row must be indexed again. */
function rowTriggers(args: { table: string; docs: Docs; at: string; changed: string }): string {
  const src = (row: 'new' | 'old') => `${row}.rowid * 4 + ${args.docs.kind}`
  const insertDoc = insertDocs(args.docs, `${args.docs.alias}.rowid = new.rowid`)
  return `
  CREATE TRIGGER search_${args.table}_insert AFTER INSERT ON ${args.table} BEGIN
    INSERT INTO search_keys (src, key) VALUES (${src('new')}, ${newKey(`new.${args.at}`)});
    ${insertDoc}
  END;
  CREATE TRIGGER search_${args.table}_update AFTER UPDATE ON ${args.table} WHEN ${args.changed} BEGIN
    ${dropEntry(src('old'))}
    UPDATE search_keys SET key = ${newKey(`new.${args.at}`)} WHERE src = ${src('new')} AND old.${args.at} IS NOT new.${args.at};
    ${insertDoc}
  END;
  CREATE TRIGGER search_${args.table}_delete AFTER DELETE ON ${args.table} BEGIN
    ${dropEntry(src('old'))}
    DELETE FROM search_keys WHERE src = ${src('old')};
  END;`
}

const jsonChanged = (path: string): string => `(old.json ->> '${path}') IS NOT (new.json ->> '${path}')`

const reindexCustomer = (id: string): string => `
    DELETE FROM search_index WHERE rowid = (SELECT k.key ${CUSTOMER_DOCS.bySource} WHERE cu.id = ${id});
    ${insertDocs(CUSTOMER_DOCS, `cu.id = ${id}`)}`

/** Messages and notes re-tagged, of the conversations `ids` selects: a channel, status or assignee changed, or a conversation came or went. */
const reindexConversations = (ids: string): string =>
  [MESSAGE_DOCS, NOTE_DOCS]
    .map(
      (docs) => `
    DELETE FROM search_index WHERE rowid IN (SELECT k.key ${docs.bySource} WHERE ${docs.alias}.conversation_id IN (${ids}));
    ${insertDocs(docs, `${docs.alias}.conversation_id IN (${ids})`)}`,
    )
    .join('')
const reindexConversation = (id: string): string => reindexConversations(`SELECT ${id}`)

/** The trigger queueing a conversation whose tags changed; a migration puts it in place of the one that re-tagged at once. */
export const CONVERSATION_RETAG_TRIGGER = `
  CREATE TRIGGER search_conversations_update AFTER UPDATE ON conversations
  WHEN old.status IS NOT new.status OR old.channel IS NOT new.channel OR old.assignee_id IS NOT new.assignee_id BEGIN
    -- Not INSERT OR IGNORE: an upsert that fires this trigger imposes its own conflict handling on it.
    INSERT INTO search_retag (conversation_id) SELECT new.id WHERE NOT EXISTS (SELECT 1 FROM search_retag WHERE conversation_id = new.id);
  END;`

const TRIGGERS = `
  ${rowTriggers({
    table: 'messages',
    docs: MESSAGE_DOCS,
    at: 'at',
    changed: `old.at IS NOT new.at OR old.conversation_id IS NOT new.conversation_id OR old.customer_id IS NOT new.customer_id OR ${jsonChanged('$.text')} OR ${jsonChanged('$.subject')}`,
  })}
  ${rowTriggers({
    table: 'notes',
    docs: NOTE_DOCS,
    at: 'at',
    changed: `old.at IS NOT new.at OR old.conversation_id IS NOT new.conversation_id OR old.customer_id IS NOT new.customer_id OR ${jsonChanged('$.text')}`,
  })}
  ${rowTriggers({
    table: 'customers',
    docs: CUSTOMER_DOCS,
    at: 'last_activity_at',
    changed: 'old.name IS NOT new.name OR old.last_activity_at IS NOT new.last_activity_at',
  })}

  CREATE TRIGGER search_identities_insert AFTER INSERT ON identities BEGIN${reindexCustomer('new.customer_id')}
  END;
  CREATE TRIGGER search_identities_update AFTER UPDATE ON identities
  WHEN old.customer_id IS NOT new.customer_id OR ${jsonChanged('$.address')} OR ${jsonChanged('$.kind')} BEGIN${reindexCustomer('old.customer_id')}${reindexCustomer('new.customer_id')}
  END;
  CREATE TRIGGER search_identities_delete AFTER DELETE ON identities BEGIN${reindexCustomer('old.customer_id')}
  END;

  CREATE TRIGGER search_conversations_insert AFTER INSERT ON conversations BEGIN${reindexConversation('new.id')}
  END;
  ${CONVERSATION_RETAG_TRIGGER}
  CREATE TRIGGER search_conversations_delete AFTER DELETE ON conversations BEGIN${reindexConversation('old.id')}
  END;
`

const TRIGGER_NAMES = [...TRIGGERS.matchAll(/CREATE TRIGGER (\w+)/g)].map((m) => m[1]!)

/** What the rebuild inserts, per kind: the entries in ascending key order. */
export const REBUILD_READS = [MESSAGE_DOCS, NOTE_DOCS, CUSTOMER_DOCS].map(
  (docs) => `${selectDocs(docs)} ${docs.byKey} WHERE k.src % 4 = ${docs.kind} ORDER BY k.key`,
)

/** Conversations whose messages and notes still carry their old filter tags. */
export const SEARCH_RETAG_TABLE = 'CREATE TABLE IF NOT EXISTS search_retag (conversation_id TEXT PRIMARY KEY) STRICT;'

/**
 * What each key of the index stands for, read from its source row: the index holds no copy of
 * the text or the ids (contentless), so a search looks these up for the rows it returns only.
 * The title and body are the text as indexed, for the highlights; a customer's addresses are
 * shown from their identities instead (customer-snippet.ts).
 */
const SEARCH_DOCUMENTS_VIEW = `
  CREATE VIEW search_documents AS
  SELECT k.key AS key,
    CASE k.src % 4 WHEN ${KIND_NUMBER.message} THEN 'message' WHEN ${KIND_NUMBER.note} THEN 'note' ELSE 'customer' END AS kind,
    coalesce(m.id, n.id, cu.id) AS ref_id,
    coalesce(m.customer_id, n.customer_id, cu.id) AS customer_id,
    coalesce(m.conversation_id, n.conversation_id) AS conversation_id,
    coalesce(m.at, n.at, cu.last_activity_at) AS at,
    CASE k.src % 4 WHEN ${KIND_NUMBER.message} THEN ${MESSAGE_DOCS.title} WHEN ${KIND_NUMBER.note} THEN ${NOTE_DOCS.title} ELSE ${CUSTOMER_DOCS.title} END AS title,
    CASE k.src % 4 WHEN ${KIND_NUMBER.message} THEN ${MESSAGE_DOCS.body} WHEN ${KIND_NUMBER.note} THEN ${NOTE_DOCS.body} END AS body
  FROM search_keys k
  LEFT JOIN messages m ON k.src % 4 = ${KIND_NUMBER.message} AND m.rowid = k.src / 4
  LEFT JOIN notes n ON k.src % 4 = ${KIND_NUMBER.note} AND n.rowid = k.src / 4
  LEFT JOIN customers cu ON k.src % 4 = ${KIND_NUMBER.customer} AND cu.rowid = k.src / 4;
`

/** The tables; the index starts suspended (no triggers) until `rebuildSearchIndex` fills it. */
export const SEARCH_TABLES = `
  CREATE VIRTUAL TABLE search_index USING fts5(
    title, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3'
  );
  CREATE TABLE search_keys (src INTEGER PRIMARY KEY, key INTEGER NOT NULL) STRICT;
  CREATE UNIQUE INDEX idx_search_keys_key ON search_keys (key);
  ${SEARCH_RETAG_TABLE}
  ${SEARCH_DOCUMENTS_VIEW}
`

/**
 * Replaces an earlier search index with this one, built from the cached rows. A suspended one
 * stays suspended: the bulk load that suspended it builds it when it finishes.
 */
export function createSearchIndex(db: Database): void {
  const suspended = searchIndexSuspended(db)
  for (const name of TRIGGER_NAMES) db.exec(`DROP TRIGGER IF EXISTS ${name}`)
  db.exec('DROP VIEW IF EXISTS search_documents; DROP TABLE IF EXISTS search_index; DROP TABLE IF EXISTS search_keys; DROP TABLE IF EXISTS search_retag')
  db.exec(SEARCH_TABLES)
  if (!suspended) rebuildSearchIndex(db)
}

/** True while the triggers are off: the index is empty or behind, and must be rebuilt. */
export function searchIndexSuspended(db: Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?`).get(TRIGGER_NAMES[0]) === undefined
}

function dropTriggersAndEntries(db: Database): void {
  for (const name of TRIGGER_NAMES) db.exec(`DROP TRIGGER IF EXISTS ${name}`)
  db.exec('DELETE FROM search_keys; DELETE FROM search_index; DELETE FROM search_retag;')
}

/** Stops maintaining the index and empties it: for filling an empty cache, followed by a rebuild. */
export function suspendSearchIndex(db: Database): void {
  db.transaction(() => dropTriggersAndEntries(db))()
}

/**
 * Builds the index from the cached rows and turns its triggers back on, in one transaction.
 * Keys follow time (and rowid within a millisecond); each kind is inserted in ascending key
 * order, which FTS5 appends to its pending segment instead of flushing on every row.
 */
export function rebuildSearchIndex(db: Database): void {
  db.transaction(() => {
    dropTriggersAndEntries(db)
    db.exec(`
      INSERT INTO search_keys (src, key)
      SELECT src, CASE WHEN slot < ${SEARCH_SLOTS} THEN base + slot ELSE -1 - src END
      FROM (
        SELECT src, base, row_number() OVER (PARTITION BY base ORDER BY src) - 1 AS slot
        FROM (
          SELECT rowid * 4 + ${KIND_NUMBER.message} AS src, ${keyBase('at')} AS base FROM messages
          UNION ALL SELECT rowid * 4 + ${KIND_NUMBER.note}, ${keyBase('at')} FROM notes
          UNION ALL SELECT rowid * 4 + ${KIND_NUMBER.customer}, ${keyBase('last_activity_at')} FROM customers))`)
    // More rows in one millisecond than it has keys: those go after every key (as newKey does).
    if (db.prepare('SELECT 1 FROM search_keys WHERE key < 0 LIMIT 1').get() !== undefined) {
      db.exec('UPDATE search_keys SET key = (SELECT max(key) FROM search_keys) - key WHERE key < 0')
    }
    for (const read of REBUILD_READS) db.exec(`INSERT INTO search_index (${COLUMNS}) ${read}`)
    db.exec(TRIGGERS)
  })()
}

/**
 * Re-tags the messages and notes of up to `limit` queued conversations, in one transaction;
 * returns how many are still queued. Without a limit, empties the queue (before a search).
 */
export function retagQueued(db: Database, limit = Number.MAX_SAFE_INTEGER): number {
  return db.transaction(() => {
    if (db.prepare('SELECT 1 FROM search_retag LIMIT 1').get() === undefined) return 0
    // The batch in a table of its own: the re-tag is one statement per kind over all of it.
    db.exec('CREATE TEMP TABLE IF NOT EXISTS retag_batch (conversation_id TEXT PRIMARY KEY); DELETE FROM temp.retag_batch;')
    db.prepare('INSERT INTO temp.retag_batch SELECT conversation_id FROM search_retag LIMIT ?').run(limit)
    // A suspended index is rebuilt whole, with the current tags; the queue is then moot.
    if (!searchIndexSuspended(db)) db.exec(reindexConversations('SELECT conversation_id FROM temp.retag_batch'))
    db.exec('DELETE FROM search_retag WHERE conversation_id IN (SELECT conversation_id FROM temp.retag_batch)')
    return (db.prepare('SELECT count(*) AS n FROM search_retag').get() as { n: number }).n
  })()
}

/** The first and last key of the milliseconds [from, to], as SQL over named parameters. */
export const keyAtOrAfter = (param: string): string => keyBase(param)
export const keyAtOrBefore = (param: string): string => `(${keyBase(param)} + ${SEARCH_SLOTS - 1})`

/** The FTS5 phrases of the filter tokens, one per filter. */
export const tagPhrase = {
  kind: (kind: SearchKind): string => `"${KIND_TOKENS[kind]}"`,
  channel: (channel: Channel): string => `"${CHANNEL_TOKENS[channel]}"`,
  status: (status: ConversationStatus): string => `"${STATUS_TOKENS[status]}"`,
  /** The conversations assigned to `assigneeId`, or to nobody when null. */
  assignee: (assigneeId: string | null): string =>
    assigneeId === null ? `"${UNASSIGNED_TOKEN}"` : `"${ASSIGNEE_TOKEN}${Buffer.from(assigneeId, 'utf8').toString('hex')}"`,
}
