import type { ReportingEvent, ReportingEventKind } from '../../../shared/reporting/events'
import pg from 'pg'
import {
  ENTITY_SCHEMAS,
  type Call,
  type Channel,
  type Conversation,
  type Customer,
  type EntityName,
  type EntityTypes,
  type Identity,
  type IdentityKind,
  type Message,
  type Note,
  type SavedView,
  type Summary,
  type TimelineEvent,
  type User,
} from '../../../shared/domain'
import type { Change, PullResponse } from '../../../shared/sync'
import type { Actor } from '../../../shared/actors'
import type { IntegrationInfo } from '../../../shared/tokens'
import type { SummaryFeedback, SummaryUsage } from '../../../shared/summaries'
import { ConfigError } from '../../config'
import type {
  ActorWrite,
  ConversationFilter,
  ConversationItems,
  ConversationThread,
  Counts,
  CustomerMerge,
  CustomerSearch,
  CustomerSuggestion,
  DeadLetter,
  InboxScope,
  OutboundItem,
  Page,
  Store,
  StoreReader,
  StoreWriter,
  StoredApiToken,
  StoredChange,
  TimelineEntry,
  WriteOutcome,
} from '../store'
import { decodeCursor, encodeCursor } from '../cursor'
import type { CustomerItemKind, CustomerItemTypes } from '../store'
import { CUSTOMER_ITEM_TABLES, customerItemTime } from '../customer-items'
import {
  apiTokenOf,
  columnsOf,
  coversOf,
  customerOf,
  feedbackOf,
  fromRow,
  REPORTING_AUDIENCE,
  savedViewAudience,
  TABLES,
  threadOf,
  QUEUED_OUTBOUND,
  supersededChange,
  toRow,
  usageOf,
  type ApiTokenRow,
  type ColumnSpec,
  type FeedbackRow,
  type Row,
  type ThreadRow,
  type UsageRow,
} from '../rows'
import type { AuditEntry, AuditQuery } from '../../../shared/audit'
import { AUDIT_COLUMNS, auditPage, auditValues, auditWhere, type AuditRow } from '../audit-rows'
import { migrate } from './migrations'
import * as erasures from './erasure'
import type { Erasure } from '../../../shared/privacy'
import type { HeldEntity } from '../store'
import { decodeText, encodeParam, JsonText, jsonParam, parseJson } from './text-codec'
import { ATTEMPTS, CUSTOMER_LOCK_CLASS, WRITERS_LOCK, conflictOf } from './write-locks'

/**
 * PostgreSQL behind the store interface, for several server nodes on one database. It answers
 * exactly as the SQLite store does (sqlite/sqlite-store.ts is the reference for every query's
 * meaning, order and tie-break); where SQL differs, the comment says how it is kept the same.
 *
 * The change log's order. A change's seq is not taken from a sequence: PostgreSQL hands out
 * sequence values in call order but transactions become visible in commit order, so a writer
 * could commit seq 8 while another still holds seq 7, and a client that pulled `seq > 6` then
 * holds cursor 8 and never sees 7. Instead each change takes the next value of the one row of
 * `change_counter`, whose row lock the transaction then holds until it commits. Writers
 * therefore commit their changes one after another in seq order, and a reader only ever sees a
 * gap-free prefix of the log. A write numbers each change as it makes it; a group commit, whose
 * groups on several nodes run side by side, numbers all of its changes in one statement just
 * before COMMIT, so that it holds the counter for that statement and the commit only. What
 * keeps concurrent writers from reading each other's half-done work (the ingest's
 * read-then-write steps) is in write-locks.ts.
 */

/** A connection or the pool: where a query runs. */
interface Queryable {
  query<R extends pg.QueryResultRow = Row>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>
}

/**
 * The pool's own type parsers (the process-wide ones stay untouched): BIGINT columns (times in
 * milliseconds, seqs, counts) come back as numbers, as SQLite returns them; every value the
 * store keeps is far below 2^53. Text and JSON come back with U+0000 restored (text-codec.ts).
 */
function storeTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides()
  types.setTypeParser(pg.types.builtins.INT8, Number)
  types.setTypeParser(pg.types.builtins.TEXT, decodeText)
  types.setTypeParser(pg.types.builtins.JSON, parseJson)
  types.setTypeParser(pg.types.builtins.JSONB, parseJson)
  return types
}

/**
 * Names of the prepared statements, one per SQL text. A named statement is parsed once per
 * connection, and after a few runs PostgreSQL keeps a generic plan for it where that costs no
 * more than planning each run: for the short key lookups and upserts of the ingest, planning was
 * half of the database's CPU. Texts beyond the cap (a store builds few dynamically) run unnamed,
 * so that a connection's statements stay bounded.
 */
const statementNames = new Map<string, string>()
const MAX_NAMED_STATEMENTS = 1_000
let statementsNamed = 0

function statement(sql: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(sql)
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) statementNames.set(sql, (name = `threadline_${++statementsNamed}`))
  return name === undefined ? { text: sql, values } : { text: sql, values, name }
}

/** A statement prepared before a migration changed the columns of a table it reads. */
const isStalePlan = (err: unknown): boolean => err instanceof Error && err.message.includes('cached plan must not change result type')

/**
 * Runs a query as a prepared statement, with its parameters encoded as PostgreSQL may hold them
 * (text-codec.ts).
 */
async function query<R extends pg.QueryResultRow = Row>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
  const values = params.map(encodeParam)
  try {
    return await db.query<R>(statement(sql, values))
  } catch (err) {
    if (!isStalePlan(err)) throw err
    // Another node migrated the schema while this one ran: the text is prepared anew, under a
    // new name. On the pool the query runs again at once; in a transaction, which the error
    // aborted, the write fails and its next run succeeds.
    statementNames.delete(sql)
    if (db instanceof pg.Pool) return db.query<R>(statement(sql, values))
    throw err
  }
}

/** host:port/database of a connection URL, for messages: never its password. */
function describeDatabase(connectionString: string): string {
  try {
    const url = new URL(connectionString)
    const host = url.searchParams.get('host') ?? (url.hostname || 'localhost')
    return `${host}:${url.port || '5432'}${url.pathname || '/'}`
  } catch {
    return 'the configured PostgreSQL database'
  }
}

/**
 * PostgreSQL could not be reached (down, wrong host or port, refused credentials, no such
 * database). A ConfigError: the server and the CLI print its message and stop, without a stack.
 */
export class DatabaseUnreachableError extends ConfigError {
  constructor(database: string, cause: unknown) {
    super(`cannot connect to PostgreSQL at ${database} (DATABASE_URL): ${reasonOf(cause)}`)
    this.name = 'DatabaseUnreachableError'
    this.cause = cause
  }
}

/** A connection error in words: Node's AggregateError (every address refused) has no message of its own. */
function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reasonOf(err.errors[0])
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name
  return String(err)
}

/** Opens the store on the PostgreSQL database at `connectionString` and brings its schema up to date. */
export async function openPostgresStore(connectionString: string): Promise<Store> {
  const database = describeDatabase(connectionString)
  const pool = new pg.Pool({
    connectionString,
    types: storeTypes(),
    application_name: 'threadline-server',
    // A database that does not answer fails a request after this long instead of holding it forever.
    connectionTimeoutMillis: 10_000,
    // A write holds the change counter, and so every writer of every node, until it ends: a node
    // cut off mid-write must not keep it. Keepalives notice a vanished peer; the database ends a
    // transaction left idle this long (a write does only store work, it is never idle for long).
    keepAlive: true,
    idle_in_transaction_session_timeout: 60_000,
  })
  // An idle connection that breaks (the database restarted) is dropped and replaced on next use;
  // without a listener its error would end the whole process.
  pool.on('error', (err) => console.error(`PostgreSQL ${database}: an idle connection failed:`, err.message))
  try {
    try {
      // Reached once up front, so that a database that cannot be reached says so in words.
      const client = await pool.connect()
      client.release()
    } catch (err) {
      throw new DatabaseUnreachableError(database, err)
    }
    await migrate(pool, database)
  } catch (err) {
    await pool.end()
    throw err
  }
  return new PostgresStore(pool)
}

/** Access filter on a table with a conversation inbox column reachable as `inboxExpr`; `scope` is a text[] parameter. */
const scopeClause = (inboxExpr: string, scope: string): string => `(${scope}::text[] IS NULL OR ${inboxExpr} = ANY(${scope}::text[]))`

/** A customer, reachable as `customerExpr`, has a conversation the reader may see. */
const customerScopeClause = (customerExpr: string, scope: string): string =>
  `(${scope}::text[] IS NULL OR EXISTS (SELECT 1 FROM conversations sc WHERE sc.customer_id = ${customerExpr} AND sc.inbox = ANY(${scope}::text[])))`

/**
 * The customer search's scope test, one customer at a time by index: as an EXISTS it would be
 * planned as a hashed set of every conversation in the reader's inboxes, read first.
 */
const SEARCH_SCOPE = `($1::text[] IS NULL
  OR (SELECT true FROM conversations sc WHERE sc.customer_id = customers.id AND sc.inbox = ANY($1::text[]) LIMIT 1))`

/**
 * The customers that customers whose name matches $4 were merged into: the customer each merge
 * made of one, then on along merged_into (merges chain: A into B, then B into C).
 */
const MERGED_NAME_SURVIVORS = `
  WITH RECURSIVE survivor(id) AS (
    SELECT m.target_id FROM customer_merges m
      JOIN customers s ON s.id = m.source_id AND s.merged_into = m.target_id
     WHERE s.name ILIKE $4 ESCAPE '\\'
    UNION
    SELECT c.merged_into FROM survivor JOIN customers c ON c.id = survivor.id WHERE c.merged_into IS NOT NULL
  )
  SELECT id FROM survivor`

/**
 * The customer search from the trigram indexes: the ids each index finds (one bitmap scan
 * each: an OR across tables in one WHERE would read every customer instead), then those
 * customers by key (LATERAL, LIMIT 1 so that it stays a lookup: a hash join would read every
 * customer), sorted.
 */
const SEARCH_BY_INDEX = `
  WITH hit(id) AS MATERIALIZED (
    SELECT id FROM customers WHERE name ILIKE $4 ESCAPE '\\'
    UNION
    SELECT customer_id FROM identities WHERE address ILIKE $4 ESCAPE '\\'
    UNION
    SELECT id FROM (${MERGED_NAME_SURVIVORS}) merged
  )
  SELECT customers.* FROM hit CROSS JOIN LATERAL (SELECT * FROM customers c WHERE c.id = hit.id LIMIT 1) customers
   WHERE customers.merged_into IS NULL AND ${SEARCH_SCOPE}
   ORDER BY customers.last_activity_at DESC, customers.id LIMIT $2 OFFSET $3`

/**
 * Newest first, each customer tested (its name, its identities' addresses by index), until the
 * page is full. The addresses are tested in a scalar subquery: an EXISTS would be planned as one
 * hashed set of every matching identity, read before the first customer.
 */
const SEARCH_BY_WALK = `
  SELECT * FROM customers
   WHERE merged_into IS NULL
     AND (name ILIKE $4 ESCAPE '\\'
       OR (SELECT bool_or(i.address ILIKE $4 ESCAPE '\\') FROM identities i WHERE i.customer_id = customers.id)
       OR id IN (${MERGED_NAME_SURVIVORS}))
     AND ${SEARCH_SCOPE}
   ORDER BY last_activity_at DESC, id LIMIT $2 OFFSET $3`

/**
 * The walk, over the $5 most recently active customers only. A page it fills is the page: every
 * customer after them comes after it.
 */
const SEARCH_BY_SHORT_WALK = SEARCH_BY_WALK.replace(
  'SELECT * FROM customers',
  'SELECT * FROM (SELECT * FROM customers ORDER BY last_activity_at DESC, id LIMIT $5) customers',
)

/**
 * How many of the most recently active customers a query of 3 characters or more is first
 * tested on, as many per customer of the page and those before it, before the trigram indexes
 * are read: a query found in most addresses ("gmail", a country code) fills its page among
 * them, where the indexes would find every one of its customers, then sort them.
 */
const SEARCH_WALK_PER_RESULT = 10

/** LIKE's wildcards and escape character in `text`, escaped with a backslash. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** The upsert of each entity: its columns in toRow()'s order, numbered parameters. */
const UPSERTS = Object.fromEntries(
  (Object.keys(TABLES) as EntityName[]).map((entity) => {
    const columns = columnsOf(entity)
    const names = columns.map((c) => c.column)
    const updates = names.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`)
    const sql = `INSERT INTO ${TABLES[entity]} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`
    return [entity, { sql, columns }]
  }),
) as Record<EntityName, { sql: string; columns: ColumnSpec[] }>

interface DeadLetterRow {
  id: number
  kind: string
  inbox: string | null
  payload: unknown
  error: string
  attempts: number
  next_attempt_at: number
  actor: string | null
}

const deadLetterOf = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  kind: r.kind,
  inbox: r.inbox,
  payload: r.payload,
  error: r.error,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  actor: r.actor as Actor | null,
})

interface IntegrationRow {
  id: string
  name: string
  inboxes: string[]
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

const integrationOf = (r: IntegrationRow): IntegrationInfo => ({
  id: r.id,
  name: r.name,
  inboxes: r.inboxes,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
})

interface SuggestionRow {
  id: string
  customer_id: string
  candidate_id: string
  reason: CustomerSuggestion['reason']
  detail: string
  conversation_id: string
  status: CustomerSuggestion['status']
  created_at: number
}

const suggestionOf = (r: SuggestionRow): CustomerSuggestion => ({
  id: r.id,
  customerId: r.customer_id,
  candidateId: r.candidate_id,
  reason: r.reason,
  detail: r.detail,
  conversationId: r.conversation_id,
  status: r.status,
  createdAt: r.created_at,
})

/** The identity kind an outbound message on `channel` goes to. */
const recipientKind = (channel: Channel): IdentityKind => (channel === 'sms' || channel === 'voice' ? 'phone' : channel)

/** The reads, on whichever connection (or the pool) the class is given. */
class PostgresReads implements StoreReader {
  constructor(private readonly db: Queryable) {}

  protected async rows<R extends pg.QueryResultRow = Row>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await query<R>(this.db, sql, params)).rows
  }

  protected async run(sql: string, params: unknown[] = []): Promise<number> {
    return (await query(this.db, sql, params)).rowCount ?? 0
  }

  /**
   * Runs `fn` on one consistent view of the database. Inside a write the writer's own
   * connection is that view: a write holds the writers' lock exclusively (write-locks.ts), which
   * keeps every other writer out.
   */
  protected snapshot<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    return fn(this.db)
  }

  protected async one<E extends EntityName>(entity: E, sql: string, params: unknown[]): Promise<EntityTypes[E] | null> {
    const [row] = await this.rows(sql, params)
    return row ? fromRow(entity, row) : null
  }

  protected async many<E extends EntityName>(entity: E, sql: string, params: unknown[]): Promise<EntityTypes[E][]> {
    return (await this.rows(sql, params)).map((r) => fromRow(entity, r))
  }

  protected byId<E extends EntityName>(entity: E, id: string): Promise<EntityTypes[E] | null> {
    return this.one(entity, `SELECT * FROM ${TABLES[entity]} WHERE id = $1`, [id])
  }

  async getCustomerSuggestion(id: string): Promise<CustomerSuggestion | null> {
    const [row] = await this.rows<SuggestionRow>('SELECT * FROM customer_suggestions WHERE id = $1', [id])
    return row ? suggestionOf(row) : null
  }

  async suggestionEvents(suggestionId: string): Promise<TimelineEvent[]> {
    return this.many(
      'event',
      `SELECT e.* FROM events e JOIN customer_suggestions s ON s.conversation_id = e.conversation_id
       WHERE s.id = $1 AND e.type = 'identity_suggested' AND e.data ->> 'suggestionId' = $1`,
      [suggestionId],
    )
  }

  async conversationsOf(customerId: string): Promise<Conversation[]> {
    return this.many('conversation', 'SELECT * FROM conversations WHERE customer_id = $1 ORDER BY created_at, id', [customerId])
  }

  async conversationItems(conversationId: string): Promise<ConversationItems> {
    const all = <E extends 'message' | 'note' | 'call' | 'event'>(entity: E, table: string): Promise<EntityTypes[E][]> =>
      this.many(entity, `SELECT * FROM ${table} WHERE conversation_id = $1 ORDER BY id`, [conversationId])
    // One after another: inside a write they share the transaction's one connection.
    return {
      messages: await all('message', 'messages'),
      notes: await all('note', 'notes'),
      calls: await all('call', 'calls'),
      events: await all('event', 'events'),
    }
  }

  async customerItems<K extends CustomerItemKind>(customerId: string, kind: K, limit: number, after?: string): Promise<Page<CustomerItemTypes[K]>> {
    const { table, at } = CUSTOMER_ITEM_TABLES[kind]
    const cursor = decodeCursor(after)
    const rows = (await this.many(
      kind,
      `SELECT * FROM ${table} WHERE customer_id = $1 ${cursor ? `AND (${at}, id) > ($3::bigint, $4::text)` : ''}
       ORDER BY ${at}, id LIMIT $2`,
      cursor ? [customerId, limit + 1, cursor[0], cursor[1]] : [customerId, limit + 1],
    )) as CustomerItemTypes[K][]
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return { items, next: rows.length > limit && last ? encodeCursor([customerItemTime(kind, last), last.id]) : null }
  }

  async getCustomerMerge(id: string): Promise<CustomerMerge | null> {
    const [r] = await this.rows<{
      id: string
      source_id: string
      target_id: string
      moved: CustomerMerge['moved']
      merged_by: string
      merged_at: number
      undone_at: number | null
    }>('SELECT * FROM customer_merges WHERE id = $1', [id])
    if (!r) return null
    return {
      id: r.id,
      sourceId: r.source_id,
      targetId: r.target_id,
      moved: r.moved,
      mergedBy: r.merged_by,
      mergedAt: r.merged_at,
      undoneAt: r.undone_at,
    }
  }

  async getUser(id: string): Promise<User | null> {
    return this.byId('user', id)
  }

  async getUserByEmail(email: string): Promise<User | null> {
    return this.one('user', 'SELECT * FROM users WHERE email = $1', [email.trim().toLowerCase()])
  }

  async listUsers(): Promise<User[]> {
    return this.many('user', 'SELECT * FROM users ORDER BY name, id', [])
  }

  async teamsInUse(): Promise<string[]> {
    const rows = await this.rows<{ team: string }>(
      'SELECT team FROM users WHERE team IS NOT NULL UNION SELECT team FROM conversations WHERE team IS NOT NULL ORDER BY 1',
    )
    return rows.map((r) => r.team)
  }

  async apiTokenByHash(tokenHash: string): Promise<StoredApiToken | null> {
    const [row] = await this.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [tokenHash])
    return row ? apiTokenOf(row) : null
  }

  async apiTokensByHash(tokenHashes: readonly string[]): Promise<StoredApiToken[]> {
    const rows = await this.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = ANY($1::text[])', [tokenHashes])
    return rows.map(apiTokenOf)
  }

  async getApiToken(id: string): Promise<StoredApiToken | null> {
    const [row] = await this.rows<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = $1', [id])
    return row ? apiTokenOf(row) : null
  }

  async listApiTokens(userId: string | null): Promise<StoredApiToken[]> {
    const rows = await this.rows<ApiTokenRow>(
      'SELECT * FROM api_tokens WHERE $1::text IS NULL OR user_id = $1 ORDER BY created_at DESC, id',
      [userId],
    )
    return rows.map(apiTokenOf)
  }

  async integrationByTokenHash(tokenHash: string): Promise<IntegrationInfo | null> {
    const [row] = await this.rows<IntegrationRow>('SELECT * FROM integrations WHERE token_hash = $1', [tokenHash])
    return row ? integrationOf(row) : null
  }

  async getIntegration(id: string): Promise<IntegrationInfo | null> {
    const [row] = await this.rows<IntegrationRow>('SELECT * FROM integrations WHERE id = $1', [id])
    return row ? integrationOf(row) : null
  }

  async listIntegrations(): Promise<IntegrationInfo[]> {
    return (await this.rows<IntegrationRow>('SELECT * FROM integrations ORDER BY created_at, id')).map(integrationOf)
  }

  async passwordHashOf(userId: string): Promise<string | null> {
    const [row] = await this.rows<{ hash: string }>('SELECT hash FROM user_passwords WHERE user_id = $1', [userId])
    return row?.hash ?? null
  }

  async getCustomer(id: string): Promise<Customer | null> {
    return this.byId('customer', id)
  }

  /**
   * As SQLite's: customers merged into another are not listed, a match on one (its old name)
   * stands for the customer it was finally merged into, once. ILIKE under the columns' "C"
   * collation folds ASCII letters only, as SQLite's LIKE does. A query of 3 characters or more
   * is looked up in the trigram indexes of names and addresses (customers_name_trgm,
   * identities_address_trgm); a shorter one, in most names, walks the customers newest first.
   */
  async searchCustomers(search: CustomerSearch): Promise<Customer[]> {
    if (!search.query) {
      return this.many(
        'customer',
        `SELECT * FROM customers WHERE merged_into IS NULL AND ${customerScopeClause('customers.id', '$1')}
         ORDER BY last_activity_at DESC, id LIMIT $2 OFFSET $3`,
        [search.scope, search.limit, search.offset],
      )
    }
    const params = [search.scope, search.limit, search.offset, `%${escapeLike(search.query)}%`]
    // pg_trgm finds no trigram in a query under 3 characters: its index would be read whole.
    if ([...search.query].length < 3) return this.many('customer', SEARCH_BY_WALK, params)
    const budget = (search.limit + search.offset) * SEARCH_WALK_PER_RESULT
    const first = await this.many('customer', SEARCH_BY_SHORT_WALK, [...params, budget])
    if (first.length === search.limit) return first
    return this.many('customer', SEARCH_BY_INDEX, params)
  }

  async customerVisible(customerId: string, scope: InboxScope): Promise<boolean> {
    if (scope === null) return true
    const rows = await this.rows(`SELECT 1 FROM customers WHERE id = $1 AND ${customerScopeClause('customers.id', '$2')}`, [
      customerId,
      scope,
    ])
    return rows.length > 0
  }

  async identitiesOf(customerId: string): Promise<Identity[]> {
    return this.identityRows(customerId)
  }

  protected identityRows(customerId: string): Promise<Identity[]> {
    return this.many('identity', 'SELECT * FROM identities WHERE customer_id = $1 ORDER BY created_at, id', [customerId])
  }

  async getIdentity(id: string): Promise<Identity | null> {
    return this.byId('identity', id)
  }

  async findIdentity(kind: IdentityKind, address: string): Promise<Identity | null> {
    return this.one('identity', 'SELECT * FROM identities WHERE kind = $1 AND address = $2', [kind, address])
  }

  async getConversation(id: string): Promise<Conversation | null> {
    return this.byId('conversation', id)
  }

  async listConversations(f: ConversationFilter): Promise<Page<Conversation>> {
    const params: unknown[] = [f.scope, f.limit + 1]
    const param = (value: unknown): string => `$${params.push(value)}`
    const where: string[] = [scopeClause('inbox', '$1')]
    const filter = (column: string, value: unknown): void => {
      if (value !== undefined) where.push(`${column} = ${param(value)}`)
    }
    filter('status', f.status)
    filter('inbox', f.inbox)
    filter('channel', f.channel)
    filter('customer_id', f.customerId)
    if (f.assigneeId === null) where.push('assignee_id IS NULL')
    else filter('assignee_id', f.assigneeId)
    const after = decodeCursor(f.after)
    if (after) {
      const at = param(after[0])
      const id = param(after[1])
      where.push(`(last_message_at < ${at} OR (last_message_at = ${at} AND id > ${id}))`)
    }
    const rows = await this.many(
      'conversation',
      `SELECT * FROM conversations WHERE ${where.join(' AND ')} ORDER BY last_message_at DESC, id LIMIT $2`,
      params,
    )
    const items = rows.slice(0, f.limit)
    const last = items.at(-1)
    return { items, next: rows.length > f.limit && last ? encodeCursor([last.lastMessageAt, last.id]) : null }
  }

  async conversationByThreadKey(channel: Channel, threadKey: string): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT c.* FROM conversation_threads t JOIN conversations c ON c.id = t.conversation_id
       WHERE t.channel = $1 AND t.thread_key = $2`,
      [channel, threadKey],
    )
  }

  async conversationThreads(conversationId: string): Promise<ConversationThread[]> {
    const rows = await this.rows<ThreadRow>(
      'SELECT * FROM conversation_threads WHERE conversation_id = $1 ORDER BY last_at DESC, thread_key',
      [conversationId],
    )
    return rows.map(threadOf)
  }

  async latestConversationOnChannel(customerId: string, channel: Channel, inbox: string | null): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT c.* FROM conversations c
       WHERE c.customer_id = $1 AND EXISTS (
         SELECT 1 FROM conversation_threads t
         WHERE t.conversation_id = c.id AND t.channel = $2 AND ($3::text IS NULL OR t.inbox = $3))
       ORDER BY c.last_message_at DESC, c.row_order DESC LIMIT 1`, // two in one millisecond: the newer one (SQLite: rowid)
      [customerId, channel, inbox],
    )
  }

  async getEvent(id: string): Promise<TimelineEvent | null> {
    return this.byId('event', id)
  }

  async latestEventOfType(customerId: string, type: TimelineEvent['type']): Promise<TimelineEvent | null> {
    return this.one('event', 'SELECT * FROM events WHERE customer_id = $1 AND type = $2 ORDER BY created_at DESC, id DESC LIMIT 1', [customerId, type])
  }

  async conversationByMessageExternalId(channel: Channel, externalIds: readonly string[]): Promise<Conversation | null> {
    if (externalIds.length === 0) return null
    // Two messages of one millisecond: the smaller external id, the order SQLite walks its IN list in.
    return this.one(
      'conversation',
      `SELECT c.* FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.channel = $1 AND m.external_id = ANY($2::text[])
       ORDER BY m.sent_at DESC, m.external_id LIMIT 1`,
      [channel, externalIds],
    )
  }

  async latestUnresolvedConversation(customerId: string): Promise<Conversation | null> {
    return this.one(
      'conversation',
      `SELECT * FROM conversations
       WHERE customer_id = $1 AND status != 'resolved'
       ORDER BY last_message_at DESC, row_order DESC LIMIT 1`, // two in one millisecond: the newer one (SQLite: rowid)
      [customerId],
    )
  }

  async getMessage(id: string): Promise<Message | null> {
    return this.byId('message', id)
  }

  async messageByExternalId(channel: Channel, externalId: string): Promise<Message | null> {
    return this.one('message', 'SELECT * FROM messages WHERE channel = $1 AND external_id = $2', [channel, externalId])
  }

  async listMessages(conversationId: string, limit: number, after?: string): Promise<Page<Message>> {
    const cursor = decodeCursor(after)
    const rows = await this.many(
      'message',
      `SELECT * FROM messages WHERE conversation_id = $1
         AND ($2::bigint IS NULL OR sent_at > $2 OR (sent_at = $2 AND id > $3::text))
       ORDER BY sent_at, id LIMIT $4`,
      [conversationId, cursor?.[0] ?? null, cursor?.[1] ?? null, limit + 1],
    )
    const items = rows.slice(0, limit)
    const last = items.at(-1)
    return { items, next: rows.length > limit && last ? encodeCursor([last.sentAt, last.id]) : null }
  }

  async getNote(id: string): Promise<Note | null> {
    return this.byId('note', id)
  }

  async getSavedView(id: string): Promise<SavedView | null> {
    return this.byId('savedView', id)
  }

  async getSummary(id: string): Promise<Summary | null> {
    return this.byId('summary', id)
  }

  async getSummaries(ids: readonly string[]): Promise<Summary[]> {
    return this.many('summary', 'SELECT * FROM summaries WHERE id = ANY($1::text[])', [ids])
  }

  async summariesOf(customerId: string): Promise<Summary[]> {
    return this.many('summary', 'SELECT * FROM summaries WHERE customer_id = $1 ORDER BY covers_through, id', [customerId])
  }

  async summaryUsage(day: string): Promise<SummaryUsage> {
    const [row] = await this.rows<UsageRow>(
      'SELECT requests, prompt_tokens, completion_tokens, failures, fallbacks FROM summary_usage WHERE day = $1',
      [day],
    )
    return usageOf(row)
  }

  async summaryFeedback(limit: number): Promise<SummaryFeedback[]> {
    return (await this.rows<FeedbackRow>('SELECT * FROM summary_feedback ORDER BY created_at DESC LIMIT $1', [limit])).map(feedbackOf)
  }

  async getCall(id: string): Promise<Call | null> {
    return this.byId('call', id)
  }

  async callByExternalId(externalId: string): Promise<Call | null> {
    return this.one('call', 'SELECT * FROM calls WHERE external_id = $1', [externalId])
  }

  async timeline(customerId: string, scope: InboxScope, limit: number, before?: string): Promise<Page<TimelineEntry>> {
    const cursor = decodeCursor(before)
    const params = [customerId, scope, cursor?.[0] ?? null, cursor?.[1] ?? null, limit + 1]
    const query = (table: string, at: string): string =>
      `SELECT t.* FROM ${table} t JOIN conversations c ON c.id = t.conversation_id
       WHERE t.customer_id = $1 AND ${scopeClause('c.inbox', '$2')}
         AND ($3::bigint IS NULL OR t.${at} < $3 OR (t.${at} = $3 AND t.id < $4::text))
       ORDER BY t.${at} DESC, t.id DESC LIMIT $5`
    // One after another: inside a write they share the transaction's one connection.
    const messages = await this.many('message', query('messages', 'sent_at'), params)
    const notes = await this.many('note', query('notes', 'created_at'), params)
    const calls = await this.many('call', query('calls', 'started_at'), params)
    const events = await this.many('event', query('events', 'created_at'), params)
    const entries: TimelineEntry[] = [
      ...messages.map((item): TimelineEntry => ({ kind: 'message', at: item.sentAt, item })),
      ...notes.map((item): TimelineEntry => ({ kind: 'note', at: item.createdAt, item })),
      ...calls.map((item): TimelineEntry => ({ kind: 'call', at: item.startedAt, item })),
      ...events.map((item): TimelineEntry => ({ kind: 'event', at: item.createdAt, item })),
    ]
    // Ids compare as the "C" collation orders them in SQL, so the merge agrees with each table's page.
    entries.sort((a, b) => b.at - a.at || (a.item.id < b.item.id ? 1 : a.item.id > b.item.id ? -1 : 0))
    const items = entries.slice(0, limit)
    const last = items.at(-1)
    return { items, next: entries.length > limit && last ? encodeCursor([last.at, last.item.id]) : null }
  }

  async queuedOutboundIds(limit: number): Promise<{ id: string; channel: Channel }[]> {
    return this.rows<{ id: string; channel: Channel }>(`SELECT id, channel ${QUEUED_OUTBOUND} LIMIT $1`, [limit])
  }

  async queuedOutbound(limit: number): Promise<OutboundItem[]> {
    const messages = await this.many('message', `SELECT * ${QUEUED_OUTBOUND} LIMIT $1`, [limit])
    if (messages.length === 0) return []
    // Every recipient in one query (a round trip per message would cost more than the messages).
    const customers = messages.map((m) => m.customerId)
    const kinds = messages.map((m) => recipientKind(m.channel))
    const recipients = await this.many(
      'identity',
      `SELECT DISTINCT ON (i.customer_id, i.kind) i.* FROM identities i
       JOIN unnest($1::text[], $2::text[]) AS wanted(customer_id, kind) ON i.customer_id = wanted.customer_id AND i.kind = wanted.kind
       ORDER BY i.customer_id, i.kind, i.created_at DESC, i.id`,
      [customers, kinds],
    )
    const byKey = new Map(recipients.map((r) => [`${r.customerId}\u0000${r.kind}`, r]))
    return messages.map((message) => ({
      message,
      recipient: byKey.get(`${message.customerId}\u0000${recipientKind(message.channel)}`) ?? null,
    }))
  }

  async recipientFor(message: Message): Promise<Identity | null> {
    return this.one(
      'identity',
      'SELECT * FROM identities WHERE customer_id = $1 AND kind = $2 ORDER BY created_at DESC, id LIMIT 1',
      [message.customerId, recipientKind(message.channel)],
    )
  }

  async changesAfter(
    after: number,
    limit: number,
    scope: InboxScope,
    viewer: readonly string[] = [],
    options: { latest?: boolean } = {},
  ): Promise<PullResponse> {
    // One snapshot: a write committing between the page query and the newest-seq query would
    // otherwise move the cursor past changes this page did not hold.
    return this.snapshot(async (db) => {
      const { rows } = await query<{
        seq: number
        entity: EntityName
        entity_id: string
        op: 'upsert' | 'delete'
        data: Record<string, unknown> | null
      }>(
        db,
        `SELECT seq, entity, entity_id, op, data FROM changes
         WHERE seq > $1
           AND (audience IS NOT NULL AND audience::jsonb ?| $4::text[] AND (inbox IS NULL OR ${scopeClause('inbox', '$3')})
             OR audience IS NULL AND inbox IS NOT NULL AND ${scopeClause('inbox', '$3')}
             OR audience IS NULL AND inbox IS NULL AND (customer_id IS NULL OR ${customerScopeClause('changes.customer_id', '$3')})
               AND (covers IS NULL OR $3::text[] IS NULL OR covers::jsonb <@ to_jsonb($3::text[])))
           ${options.latest ? `AND NOT ${supersededChange('IS NOT DISTINCT FROM')}` : ''}
         ORDER BY seq LIMIT $2`,
        [after, limit + 1, scope, viewer],
      )
      const hasMore = rows.length > limit
      const changes: Change[] = rows.slice(0, limit).map((r) => ({ seq: r.seq, entity: r.entity, id: r.entity_id, op: r.op, data: r.data }))
      // Without more rows, everything up to the newest seq was scanned, including changes this
      // scope may not see, so the cursor moves past them too.
      const cursor = hasMore ? (changes.at(-1)?.seq ?? after) : Math.max(after, await newestSeq(db))
      return { changes, cursor, hasMore }
    })
  }

  async changesSince(after: number, limit: number): Promise<StoredChange[]> {
    const { rows } = await query<{
      seq: number
      entity: EntityName
      entity_id: string
      op: 'upsert' | 'delete'
      data: Record<string, unknown> | null
      inbox: string | null
      customer_id: string | null
      audience: string | null
      covers: string | null
    }>(this.db, 'SELECT seq, entity, entity_id, op, data, inbox, customer_id, audience, covers FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2', [
      after,
      limit,
    ])
    return rows.map((r) => ({
      seq: r.seq,
      entity: r.entity,
      id: r.entity_id,
      op: r.op,
      data: r.data,
      inbox: r.inbox,
      customerId: r.customer_id,
      audience: r.audience === null ? null : (JSON.parse(r.audience) as string[]),
      covers: r.covers === null ? null : (JSON.parse(r.covers) as string[]),
    }))
  }

  async lastSeq(): Promise<number> {
    return newestSeq(this.db)
  }

  async counts(): Promise<Counts> {
    const [row] = await this.rows<Counts>(
      `SELECT (SELECT COUNT(*) FROM customers) AS customers,
              (SELECT COUNT(*) FROM conversations) AS conversations,
              (SELECT COUNT(*) FROM messages) AS messages,
              (SELECT COALESCE(MAX(seq), 0) FROM changes) AS "lastSeq"`,
    )
    return row!
  }

  async lastMutationId(clientId: string): Promise<number> {
    const [row] = await this.rows<{ last_mutation_id: number }>(
      'SELECT last_mutation_id FROM client_mutations WHERE client_id = $1',
      [clientId],
    )
    return row?.last_mutation_id ?? 0
  }

  async getConnectorState(connector: string, key: string): Promise<unknown> {
    const [row] = await this.rows<{ value: unknown }>('SELECT value FROM connector_state WHERE connector = $1 AND key = $2', [
      connector,
      key,
    ])
    return row ? row.value : null
  }

  async customersNamedWithEmailDomain(name: string, domain: string, exceptCustomerId: string, limit: number): Promise<Customer[]> {
    // SQLite's `name = @name COLLATE NOCASE`: lower() on both sides, ASCII only under "C" (the
    // parameter is given that collation, or the database's own would fold more than SQLite does).
    return this.many(
      'customer',
      `SELECT c.* FROM customers c
       WHERE lower(c.name) = lower($1::text COLLATE "C") AND c.id != $2
         AND EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.id AND i.kind = 'email' AND i.address ILIKE $3 ESCAPE '\\')
       ORDER BY c.last_activity_at DESC, c.id LIMIT $4`,
      [name, exceptCustomerId, `%@${escapeLike(domain)}`, limit],
    )
  }

  /** The queries erasure.ts runs, on this reader's connection. */
  protected get erasureSql(): erasures.Sql {
    return { rows: (sql, params) => this.rows(sql, params), run: (sql, params) => this.run(sql, params) }
  }

  async customersMergedInto(customerId: string): Promise<Customer[]> {
    // Through the merges (indexed by target): the customers table has no index on merged_into.
    return this.many(
      'customer',
      `SELECT c.* FROM customer_merges m JOIN customers c ON c.id = m.source_id AND c.merged_into = m.target_id
       WHERE m.target_id = $1 AND m.undone_at IS NULL ORDER BY c.created_at, c.id`,
      [customerId],
    )
  }

  async getErasure(customerId: string): Promise<Erasure | null> {
    return erasures.getErasure(this.erasureSql, customerId)
  }

  async resolvedConversationsBefore(before: number, after: { at: number; id: string } | null, limit: number): Promise<Conversation[]> {
    return this.many(
      'conversation',
      `SELECT * FROM conversations WHERE status = 'resolved' AND updated_at < $1
         AND ($2::bigint IS NULL OR (updated_at, id) > ($2::bigint, $3::text))
       ORDER BY updated_at, id LIMIT $4`,
      [before, after?.at ?? null, after?.id ?? '', limit],
    )
  }

  async slaDueConversations(at: number, limit: number): Promise<Conversation[]> {
    return this.many('conversation', 'SELECT * FROM conversations WHERE sla_due <= $1 ORDER BY sla_due, id LIMIT $2', [at, limit])
  }

  async reportingEventsBetween(from: number, to: number, scope: InboxScope): Promise<ReportingEvent[]> {
    return this.many(
      'reportingEvent',
      `SELECT * FROM reporting_events WHERE at >= $1 AND at < $2 AND ${scopeClause('inbox', '$3')} ORDER BY at, id`,
      [from, to, scope],
    )
  }

  async unresolvedConversations(scope: InboxScope): Promise<Conversation[]> {
    return this.many('conversation', `SELECT * FROM conversations WHERE status <> 'resolved' AND ${scopeClause('inbox', '$1')} ORDER BY id`, [scope])
  }

  async firstReportingEvent(conversationId: string, kind: ReportingEventKind): Promise<ReportingEvent | null> {
    const [first] = await this.many(
      'reportingEvent',
      'SELECT * FROM reporting_events WHERE conversation_id = $1 AND kind = $2 ORDER BY at, id LIMIT 1',
      [conversationId, kind],
    )
    return first ?? null
  }

  async customersWithoutConversations(before: number, after: string | null, limit: number): Promise<Customer[]> {
    return this.many(
      'customer',
      `SELECT * FROM customers c WHERE c.merged_into IS NULL AND c.last_activity_at < $1 AND c.id > $2
         AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.customer_id = c.id)
       ORDER BY c.id LIMIT $3`,
      [before, after ?? '', limit],
    )
  }

  async listErasures(): Promise<Erasure[]> {
    return erasures.listErasures(this.erasureSql)
  }

  async heldEntities(customerId: string): Promise<HeldEntity[]> {
    return erasures.heldEntities(this.erasureSql, customerId)
  }

  async attachmentInUse(url: string): Promise<boolean> {
    return erasures.attachmentInUse(this.erasureSql, url)
  }

  async customerSuggestions(customerId: string): Promise<CustomerSuggestion[]> {
    return this.suggestionRows(customerId)
  }

  protected async suggestionRows(customerId: string): Promise<CustomerSuggestion[]> {
    const rows = await this.rows<SuggestionRow>(
      'SELECT * FROM customer_suggestions WHERE customer_id = $1 OR candidate_id = $1 ORDER BY created_at DESC, id',
      [customerId],
    )
    return rows.map(suggestionOf)
  }

  async dueDeadLetters(now: number, limit: number): Promise<DeadLetter[]> {
    const rows = await this.rows<DeadLetterRow>(
      'SELECT * FROM dead_letters WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2',
      [now, limit],
    )
    return rows.map(deadLetterOf)
  }

  async auditEntries(query: AuditQuery): Promise<Page<AuditEntry>> {
    const values: (string | number)[] = []
    const where = auditWhere(query, (value) => `$${values.push(value)}`)
    const rows = await this.rows<AuditRow>(`SELECT * FROM audit_log ${where} ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`, [
      ...values,
      query.limit + 1,
    ])
    return auditPage(rows, query.limit)
  }

  async deadLetters(scope: InboxScope, limit: number): Promise<DeadLetter[]> {
    // A letter of no known inbox fails the scope clause (NULL = ANY …), so only an unscoped reader sees it.
    const rows = await this.rows<DeadLetterRow>(
      `SELECT * FROM dead_letters WHERE ${scopeClause('inbox', '$1')} ORDER BY next_attempt_at, id LIMIT $2`,
      [scope, limit],
    )
    return rows.map(deadLetterOf)
  }
}

async function newestSeq(db: Queryable): Promise<number> {
  const { rows } = await query<{ seq: number | null }>(db, 'SELECT MAX(seq) AS seq FROM changes')
  return rows[0]?.seq ?? 0
}

/** How a write holds the writers' lock (write-locks.ts): a write exclusively, a group commit shared. */
type WriteMode = 'exclusive' | 'shared'

/** A change of the write in progress. */
interface QueuedChange {
  change: StoredChange
  actor: string
  at: number
}

/** How far a group commit's item had got when its savepoint was set (PostgresWrites.mark). */
interface WriteMark {
  changes: number
  customers: ReadonlySet<string>
  places: ReadonlyMap<string, Place>
}

/** Where a conversation is stored: what its rows' changes are routed by. */
interface Place {
  customerId: string
  inbox: string
}

/** Whose lock a row is under (write-locks.ts): the customer it belongs to, if any. */
function ownerOf(entity: EntityName, data: EntityTypes[EntityName]): string | null {
  if (entity === 'customer') return data.id
  return 'customerId' in data && typeof data.customerId === 'string' ? data.customerId : null
}

/**
 * The writes of one transaction, on its connection: reads through it see the transaction's own
 * rows. Made by PostgresStore for each write() or writeEach() and unusable once it ends.
 */
class PostgresWrites extends PostgresReads implements StoreWriter {
  /** Who the changes of the write in progress are recorded as made by. */
  private actor: Actor | null = null
  private ended = false
  /** The transaction's changes, in seq order. */
  private readonly queued: QueuedChange[] = []
  /** Customers whose lock this transaction holds (shared writes only). */
  private customers = new Set<string>()
  /**
   * Where each conversation this write has read or put is stored: nothing else can move it
   * before the write commits (the customer's lock, or the exclusive writers' lock), so the
   * inbox a change is routed by and the move check of a put need no query for it.
   */
  private places = new Map<string, Place>()

  constructor(
    client: Queryable,
    /** How the transaction holds the writers' lock (write-locks.ts). */
    private readonly mode: WriteMode,
  ) {
    super(client)
  }

  /** Records the changes that follow as `actor`'s. */
  actAs(actor: Actor | null): void {
    this.actor = actor
  }

  /** After commit or rollback: the connection goes back to the pool, so nothing may run on it. */
  end(): void {
    this.ended = true
    this.actor = null
  }

  /** Where an item's savepoint is set: rolling back to it forgets its changes and the locks it took. */
  mark(): WriteMark {
    return { changes: this.queued.length, customers: new Set(this.customers), places: new Map(this.places) }
  }

  rollbackTo(mark: WriteMark): void {
    this.queued.length = mark.changes
    this.customers = new Set(mark.customers)
    this.places = new Map(mark.places)
  }

  /**
   * Logs a change. An exclusive write numbers and writes it at once, as SQLite does, so reads
   * through the writer see it; a shared write queues it until `logQueued`, so that the change
   * counter's lock is held for as short a time as possible while other groups write.
   */
  private async log(change: StoredChange): Promise<StoredChange> {
    if (!this.actor) throw new Error(`a change of ${change.entity} in a write without an actor`)
    const entry = { change, actor: this.actor, at: Date.now() }
    this.queued.push(entry)
    if (this.mode === 'exclusive') await this.insertChanges([entry])
    return change
  }

  /** Writes the changes a shared write queued, before it commits. Returns all of the write's changes, in seq order. */
  async logQueued(): Promise<StoredChange[]> {
    if (this.mode === 'shared' && this.queued.length > 0) await this.insertChanges(this.queued)
    return this.queued.map((q) => q.change)
  }

  /**
   * Numbers changes from the change counter and inserts them, in one statement that takes the
   * counter's row lock, held to COMMIT (see the top of the file).
   */
  private async insertChanges(entries: readonly QueuedChange[]): Promise<void> {
    const n = entries.length
    const column = <T>(of: (q: QueuedChange) => T): T[] => entries.map(of)
    const rows = await this.rows<{ seq: number }>(
      `WITH next AS (UPDATE change_counter SET seq = seq + $1 WHERE id = 1 RETURNING seq)
       INSERT INTO changes (seq, entity, entity_id, op, data, inbox, customer_id, actor, created_at, audience, covers)
       SELECT next.seq - $1 + c.n, c.entity, c.entity_id, c.op, c.data::json, c.inbox, c.customer_id, c.actor, c.created_at, c.audience, c.covers
       FROM next, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[])
         WITH ORDINALITY AS c(entity, entity_id, op, data, inbox, customer_id, actor, created_at, audience, covers, n)
       RETURNING seq`,
      [
        n,
        column((q) => q.change.entity),
        column((q) => q.change.id),
        column((q) => q.change.op),
        column((q) => (q.change.op === 'delete' ? null : jsonParam(q.change.data))),
        column((q) => q.change.inbox),
        column((q) => q.change.customerId),
        column((q) => q.actor),
        column((q) => q.at),
        column((q) => (q.change.audience ? JSON.stringify(q.change.audience) : null)),
        column((q) => (q.change.covers ? JSON.stringify(q.change.covers) : null)),
      ],
    )
    if (rows.length !== n) throw new Error('the change counter row is missing: the database was not migrated by this server')
    const first = Math.min(...rows.map((r) => r.seq))
    entries.forEach(({ change }, i) => (change.seq = first + i))
  }

  protected override rows<R extends pg.QueryResultRow = Row>(sql: string, params?: unknown[]): Promise<R[]> {
    if (this.ended) return Promise.reject(new Error('store writer used outside store.write()'))
    return super.rows<R>(sql, params)
  }

  protected override run(sql: string, params?: unknown[]): Promise<number> {
    if (this.ended) return Promise.reject(new Error('store writer used outside store.write()'))
    return super.run(sql, params)
  }

  // In a shared write, a row read before its customer's lock was held is read again under it.
  protected override async one<E extends EntityName>(entity: E, sql: string, params: unknown[]): Promise<EntityTypes[E] | null> {
    const found = await super.one(entity, sql, params)
    if (found && (await this.lockOwners(entity, [found]))) return this.one(entity, sql, params)
    if (found) this.remember(entity, found)
    return found
  }

  protected override async many<E extends EntityName>(entity: E, sql: string, params: unknown[]): Promise<EntityTypes[E][]> {
    const found = await super.many(entity, sql, params)
    if (await this.lockOwners(entity, found)) return this.many(entity, sql, params)
    for (const row of found) this.remember(entity, row)
    return found
  }

  private remember(entity: EntityName, row: EntityTypes[EntityName]): void {
    if (entity !== 'conversation') return
    const { id, customerId, inbox } = row as Conversation
    this.places.set(id, { customerId, inbox })
  }

  /** Takes the locks of the rows' customers this shared write does not hold yet; true if it took any. */
  private async lockOwners<E extends EntityName>(entity: E, rows: readonly EntityTypes[E][]): Promise<boolean> {
    if (this.mode !== 'shared') return false
    const owners = new Set<string>()
    for (const row of rows) {
      const owner = ownerOf(entity, row)
      if (owner !== null && !this.customers.has(owner)) owners.add(owner)
    }
    // One order for every writer, which keeps the locks of one read from deadlocking with another's.
    for (const owner of [...owners].sort()) {
      await this.run('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [CUSTOMER_LOCK_CLASS, owner])
      this.customers.add(owner)
    }
    return owners.size > 0
  }

  async put<E extends EntityName>(entity: E, data: EntityTypes[E]): Promise<StoredChange> {
    if (this.ended) throw new Error('store.put() outside store.write()')
    // A shape error here is a server bug; catching it before commit keeps bad rows out of every cache.
    const valid = ENTITY_SCHEMAS[entity].parse(data) as EntityTypes[E]
    await this.lockOwners(entity, [valid])
    const revealsCustomer = entity === 'conversation' && (await this.opensInboxToCustomer(valid as Conversation))
    const audience =
      entity === 'savedView' ? savedViewAudience(valid as SavedView, await this.savedViewTeam(valid.id)) : entity === 'reportingEvent' ? REPORTING_AUDIENCE : null
    const { sql, columns } = UPSERTS[entity]
    const row = toRow(entity, valid)
    await this.run(
      sql,
      columns.map((c) => (c.json && typeof row[c.column] === 'string' ? new JsonText(row[c.column] as string) : row[c.column])),
    )
    this.remember(entity, valid)
    const change = await this.recordChange(entity, valid, audience, coversOf(entity, valid))
    if (revealsCustomer) await this.revealCustomer((valid as Conversation).customerId)
    return change
  }

  /** The team a stored saved view is shared with now, before a write changes it. */
  private async savedViewTeam(id: string): Promise<string | null> {
    const [row] = await this.rows<{ team: string | null }>('SELECT team FROM saved_views WHERE id = $1', [id])
    return row?.team ?? null
  }

  private async recordChange<E extends EntityName>(
    entity: E,
    valid: EntityTypes[E],
    audience: readonly string[] | null = null,
    covers: readonly string[] | null = null,
  ): Promise<StoredChange> {
    // A change nobody can be named for is a server bug: refused before it is written.
    if (!this.actor) throw new Error(`store.put(${entity}) in a write without an actor`)
    const inbox = await this.inboxOf(entity, valid)
    const customerId = inbox === null ? customerOf(entity, valid) : null
    return this.log({ seq: 0, entity, id: valid.id, op: 'upsert', data: valid as unknown as Record<string, unknown>, inbox, customerId, audience, covers })
  }

  /**
   * Whether this write gives the customer their first conversation in an inbox (a new
   * conversation, or one moved by a merge or to another inbox). Readers of that inbox skipped
   * the customer's earlier rows, which they could not see then.
   */
  private async opensInboxToCustomer(conversation: Conversation): Promise<boolean> {
    const before = await this.placeOf(conversation.id)
    if (before && before.customerId === conversation.customerId && before.inbox === conversation.inbox) return false
    const others = await this.rows('SELECT 1 FROM conversations WHERE customer_id = $1 AND inbox = $2 AND id != $3 LIMIT 1', [
      conversation.customerId,
      conversation.inbox,
      conversation.id,
    ])
    return others.length === 0
  }

  /**
   * Logs the customer's rows again, so that readers who may see them now receive them. A row
   * already logged in this transaction needs nothing: no reader's cursor has passed it, and by
   * the time it is read the conversation that makes it visible is committed too.
   */
  private async revealCustomer(customerId: string): Promise<void> {
    // The customer's own rows carry their id (customer and identity changes alike).
    const logged = new Set(this.queued.filter((q) => q.change.customerId === customerId).map((q) => q.change.id))
    const customer = await this.byId('customer', customerId)
    if (customer && !logged.has(customer.id)) await this.recordChange('customer', customer)
    for (const identity of await this.identityRows(customerId)) {
      if (!logged.has(identity.id)) await this.recordChange('identity', identity)
    }
  }

  private async inboxOf(entity: EntityName, data: EntityTypes[EntityName]): Promise<string | null> {
    if (entity === 'conversation') return (data as Conversation).inbox
    if ('conversationId' in data && data.conversationId !== null) {
      const place = await this.placeOf(data.conversationId)
      if (!place) throw new Error(`${entity} ${data.id} refers to unknown conversation ${data.conversationId}`)
      return place.inbox
    }
    return null
  }

  /** Where the conversation is stored now, or null if it is not. */
  private async placeOf(conversationId: string): Promise<Place | null> {
    const known = this.places.get(conversationId)
    if (known) return known
    const [row] = await this.rows<{ customer_id: string; inbox: string }>('SELECT customer_id, inbox FROM conversations WHERE id = $1', [conversationId])
    if (!row) return null
    const place = { customerId: row.customer_id, inbox: row.inbox }
    this.places.set(conversationId, place)
    return place
  }

  async insertToken(token: Omit<StoredApiToken, 'lastUsedAt'>): Promise<void> {
    await this.run('INSERT INTO api_tokens (id, token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4, $5)', [
      token.id,
      token.tokenHash,
      token.userId,
      token.label,
      token.createdAt,
    ])
  }

  async insertIntegration(integration: IntegrationInfo, tokenHash: string): Promise<void> {
    await this.run(
      `INSERT INTO integrations (id, name, inboxes, token_hash, created_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        integration.id,
        integration.name,
        jsonParam(integration.inboxes),
        tokenHash,
        integration.createdAt,
        integration.lastUsedAt,
        integration.revokedAt,
      ],
    )
  }

  async revokeIntegration(id: string, at: number): Promise<boolean> {
    return (await this.run('UPDATE integrations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])) > 0
  }

  async touchIntegration(id: string, at: number): Promise<void> {
    await this.run('UPDATE integrations SET last_used_at = $1 WHERE id = $2', [at, id])
  }

  async touchToken(tokenHash: string, at: number): Promise<void> {
    await this.run('UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2', [at, tokenHash])
  }

  async deleteToken(tokenHash: string): Promise<boolean> {
    return (await this.run('DELETE FROM api_tokens WHERE token_hash = $1', [tokenHash])) > 0
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    await this.run(
      `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at`,
      [userId, hash, Date.now()],
    )
  }

  async setLastMutationId(clientId: string, userId: string, mutationId: number): Promise<void> {
    await this.run(
      `INSERT INTO client_mutations (client_id, user_id, last_mutation_id, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = EXCLUDED.last_mutation_id, updated_at = EXCLUDED.updated_at`,
      [clientId, userId, mutationId, Date.now()],
    )
  }

  async addDeadLetter(
    kind: string,
    inbox: string | null,
    payload: unknown,
    error: string,
    nextAttemptAt: number,
    actor: Actor | null = null,
  ): Promise<number> {
    const [row] = await this.rows<{ id: number }>(
      `INSERT INTO dead_letters (kind, inbox, payload, error, attempts, next_attempt_at, actor, created_at)
       VALUES ($1, $2, $3, $4, 1, $5, $6, $7) RETURNING id`,
      [kind, inbox, jsonParam(payload), error, nextAttemptAt, actor, Date.now()],
    )
    return row!.id
  }

  async retryDeadLetterLater(id: number, error: string, nextAttemptAt: number): Promise<void> {
    await this.run('UPDATE dead_letters SET attempts = attempts + 1, error = $1, next_attempt_at = $2 WHERE id = $3', [
      error,
      nextAttemptAt,
      id,
    ])
  }

  async deleteDeadLetter(id: number): Promise<void> {
    await this.run('DELETE FROM dead_letters WHERE id = $1', [id])
  }

  async addCustomerSuggestion(s: CustomerSuggestion): Promise<boolean> {
    // SQLite's INSERT OR IGNORE also skips a row failing a CHECK: a customer paired with
    // themselves is refused the same way, and ON CONFLICT covers the pair and the id.
    if (s.customerId === s.candidateId) return false
    const inserted = await this.run(
      `INSERT INTO customer_suggestions (id, customer_id, candidate_id, reason, detail, conversation_id, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [s.id, s.customerId, s.candidateId, s.reason, s.detail, s.conversationId, s.status, s.createdAt],
    )
    return inserted === 1
  }

  async setConnectorState(connector: string, key: string, value: unknown): Promise<void> {
    await this.run(
      `INSERT INTO connector_state (connector, key, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (connector, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [connector, key, jsonParam(value), Date.now()],
    )
  }

  async setSuggestionStatus(id: string, status: CustomerSuggestion['status']): Promise<void> {
    await this.run('UPDATE customer_suggestions SET status = $1 WHERE id = $2', [status, id])
  }

  async settleSuggestionsBetween(a: string, b: string, status: CustomerSuggestion['status']): Promise<CustomerSuggestion[]> {
    const open = (await this.suggestionRows(a)).filter((s) => s.status === 'open' && (s.customerId === b || s.candidateId === b))
    for (const s of open) await this.run('UPDATE customer_suggestions SET status = $1 WHERE id = $2', [status, s.id])
    return open.map((s) => ({ ...s, status }))
  }

  async addCustomerMerge(m: CustomerMerge): Promise<void> {
    await this.run(
      `INSERT INTO customer_merges (id, source_id, target_id, moved, merged_by, merged_at, undone_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [m.id, m.sourceId, m.targetId, jsonParam(m.moved), m.mergedBy, m.mergedAt, m.undoneAt],
    )
  }

  async putThread(t: ConversationThread): Promise<void> {
    await this.run(
      `INSERT INTO conversation_threads (channel, thread_key, conversation_id, inbox, last_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (channel, thread_key) DO UPDATE SET
         conversation_id = excluded.conversation_id, inbox = excluded.inbox,
         last_at = greatest(conversation_threads.last_at, excluded.last_at)`,
      [t.channel, t.threadKey, t.conversationId, t.inbox, t.lastAt],
    )
  }

  async holdErasure(erasure: Erasure, entities: readonly HeldEntity[]): Promise<StoredChange[]> {
    // Where each row was seen, before the rows go: a row of another customer (an event naming
    // them) is dropped by its own delete, which reaches whoever sees its inbox.
    const inboxes = new Map<string, string | null>()
    for (const { entity, data } of entities) inboxes.set(data.id, await this.inboxOf(entity, data))
    await erasures.holdRows(this.erasureSql, erasure, entities)
    this.places.clear()
    const erased = new Set(erasure.customerIds)
    const changes: StoredChange[] = []
    for (const id of erasure.customerIds) changes.push(await this.recordDelete('customer', id, null))
    for (const { entity, data } of entities) {
      if (entity !== 'customer' && 'customerId' in data && data.customerId !== null && !erased.has(data.customerId)) {
        changes.push(await this.recordDelete(entity, data.id, inboxes.get(data.id) ?? null))
      }
    }
    return changes
  }

  async deleteConversation(conversationId: string): Promise<string[]> {
    const conversation = await this.getConversation(conversationId)
    if (!conversation) return []
    const { messages, notes, calls, events } = await this.conversationItems(conversationId)
    const summaries = await this.many('summary', 'SELECT * FROM summaries WHERE conversation_id = $1', [conversationId])
    await this.run('DELETE FROM summary_feedback WHERE summary_id = ANY($1::text[])', [summaries.map((s) => s.id)])
    await this.run('DELETE FROM conversation_threads WHERE conversation_id = $1', [conversationId])
    await this.run('DELETE FROM customer_suggestions WHERE conversation_id = $1', [conversationId])
    const rows: [EntityName, readonly { id: string }[]][] = [
      ['summary', summaries],
      ['event', events],
      ['call', calls],
      ['note', notes],
      ['message', messages],
      ['conversation', [conversation]],
    ]
    for (const [entity, of] of rows) {
      await erasures.dropRows(this.erasureSql, entity, of.map((r) => r.id))
      for (const r of of) await this.recordDelete(entity, r.id, conversation.inbox)
    }
    this.places.delete(conversationId)
    return messages.flatMap((m) => m.attachments.flatMap((a) => (a.url ? [a.url] : [])))
  }

  async releaseErasure(customerId: string): Promise<void> {
    await erasures.releaseRows(this.erasureSql, customerId)
    this.places.clear()
  }

  async purgeErasure(customerId: string, traces: readonly string[]): Promise<void> {
    await erasures.purgeRows(this.erasureSql, customerId, traces)
    this.places.clear()
  }

  /** A tombstone change; a customer's reaches every reader (shared/sync.ts: their erasure). */
  private recordDelete(entity: EntityName, id: string, inbox: string | null): Promise<StoredChange> {
    return this.log({ seq: 0, entity, id, op: 'delete', data: null, inbox, customerId: null })
  }

  async markMergeUndone(id: string, at: number): Promise<void> {
    await this.run('UPDATE customer_merges SET undone_at = $1 WHERE id = $2', [at, id])
  }

  async addSummaryUsage(day: string, d: SummaryUsage): Promise<void> {
    await this.run(
      `INSERT INTO summary_usage (day, requests, prompt_tokens, completion_tokens, failures, fallbacks) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (day) DO UPDATE SET requests = summary_usage.requests + excluded.requests,
         prompt_tokens = summary_usage.prompt_tokens + excluded.prompt_tokens,
         completion_tokens = summary_usage.completion_tokens + excluded.completion_tokens,
         failures = summary_usage.failures + excluded.failures, fallbacks = summary_usage.fallbacks + excluded.fallbacks`,
      [day, d.requests, d.promptTokens, d.completionTokens, d.failures, d.fallbacks],
    )
  }

  async requestSummary(customerId: string, userId: string, at: number): Promise<void> {
    await this.run(
      'INSERT INTO summary_requests (customer_id, requested_by, requested_at) VALUES ($1, $2, $3) ON CONFLICT (customer_id) DO NOTHING',
      [customerId, userId, at],
    )
  }

  async takeSummaryRequests(limit: number): Promise<string[]> {
    const rows = await this.rows<{ customer_id: string; requested_at: number | string }>(
      `DELETE FROM summary_requests WHERE customer_id IN (SELECT customer_id FROM summary_requests ORDER BY requested_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING customer_id, requested_at`,
      [limit],
    )
    return rows.sort((a, b) => Number(a.requested_at) - Number(b.requested_at)).map((r) => r.customer_id)
  }

  async putSummaryFeedback(f: SummaryFeedback): Promise<void> {
    await this.run(
      `INSERT INTO summary_feedback (summary_id, user_id, generated_at, rating, provider, model, summary_text, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (summary_id, user_id, generated_at) DO UPDATE SET rating = excluded.rating, created_at = excluded.created_at`,
      [f.summaryId, f.userId, f.generatedAt, f.rating, f.provider, f.model, f.summaryText, f.createdAt],
    )
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.run(
      `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
      auditValues(entry, jsonParam),
    )
  }

  async pruneAudit(before: number): Promise<number> {
    return this.run('DELETE FROM audit_log WHERE at < $1', [before])
  }
}

/**
 * The store on a pool: reads outside a write run on any pooled connection (autocommit, so they
 * see what is committed); each write takes a connection of its own for its transaction.
 */
class PostgresStore extends PostgresReads implements Store {
  /** Settles when the write in progress (and every write queued before) has finished. */
  private queue: Promise<unknown> = Promise.resolve()
  private commitListener: ((changes: StoredChange[]) => void) | null = null

  constructor(private readonly pool: pg.Pool) {
    super(pool)
  }

  protected override async snapshot<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      try {
        const result = await fn(client)
        await client.query('COMMIT')
        return result
      } catch (err) {
        broken = await rollback(client)
        throw err
      }
    } finally {
      client.release(broken)
    }
  }

  async compact(): Promise<void> {
    // Outside a transaction (VACUUM refuses one): marks the deleted rows' space reusable. Only
    // VACUUM FULL would rewrite the files, locking the tables meanwhile (docs/privacy.md).
    await this.pool.query(
      'VACUUM changes, erased_rows, erasures, customers, identities, conversations, messages, notes, calls, events, summaries, summary_feedback, dead_letters',
    )
  }

  onCommit(listener: (changes: StoredChange[]) => void): void {
    this.commitListener = listener
  }

  /**
   * Runs `fn` once every write this node queued before it has finished. The locks order writers
   * across nodes (write-locks.ts); the queue keeps this node's commits and their announcements in
   * one order, and spares the pool a connection per waiting writer.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  write<T>(fn: (w: StoreWriter) => Promise<T>, actor?: Actor): Promise<{ result: T; changes: StoredChange[] }> {
    return this.exclusive(() =>
      this.transaction('exclusive', async (writer) => {
        writer.actAs(actor ?? null)
        return fn(writer)
      }),
    )
  }

  writeEach<T>(writes: readonly ActorWrite<T>[]): Promise<{ outcomes: WriteOutcome<T>[]; changes: StoredChange[] }> {
    return this.exclusive(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const { result: outcomes, changes } = await this.transaction('shared', async (writer, client) => {
            const outcomes: WriteOutcome<T>[] = []
            const savepoint = { open: false }
            for (const write of writes) outcomes.push(await this.runItem(writer, client, savepoint, write))
            return outcomes
          })
          return { outcomes, changes }
        } catch (err) {
          // A deadlock with a group on another node: this group was rolled back, and runs again.
          if (attempt < ATTEMPTS && conflictOf(err) === 'group') continue
          throw err
        }
      }
    })
  }

  /**
   * One item of a group commit, in a savepoint of its own: a throw undoes this item alone. An
   * item whose key another group inserted first runs again from its savepoint (write-locks.ts);
   * a deadlock ends the whole group's transaction. A stored item's savepoint stays open until
   * the next item's begins, so that releasing one and starting the next is one round trip (COMMIT
   * releases the last).
   */
  private async runItem<T>(writer: PostgresWrites, client: pg.PoolClient, savepoint: { open: boolean }, { actor, run }: ActorWrite<T>): Promise<WriteOutcome<T>> {
    for (let attempt = 1; ; attempt++) {
      const mark = writer.mark()
      writer.actAs(actor)
      await client.query(savepoint.open ? 'RELEASE SAVEPOINT item; SAVEPOINT item' : 'SAVEPOINT item')
      savepoint.open = true
      try {
        const result = await run(writer)
        return { ok: true, result }
      } catch (error) {
        if (conflictOf(error) === 'group') throw error
        await client.query('ROLLBACK TO SAVEPOINT item; RELEASE SAVEPOINT item')
        savepoint.open = false
        writer.rollbackTo(mark)
        if (attempt < ATTEMPTS && conflictOf(error) === 'item') continue
        return { ok: false, error }
      }
    }
  }

  /**
   * One transaction around `fn` on a connection of its own: BEGIN, then at once the writers' lock
   * (write-locks.ts: exclusive for a write, shared for a group commit), then `fn`, then its
   * changes numbered, COMMIT, and the changes announced once the connection is back in the pool.
   */
  private async transaction<T>(
    mode: WriteMode,
    fn: (writer: PostgresWrites, client: pg.PoolClient) => Promise<T>,
  ): Promise<{ result: T; changes: StoredChange[] }> {
    const client = await this.pool.connect()
    const writer = new PostgresWrites(client, mode)
    let broken: Error | undefined
    let result: T
    let changes: StoredChange[]
    try {
      await client.query('BEGIN')
      try {
        await client.query(mode === 'shared' ? 'SELECT pg_advisory_xact_lock_shared($1::bigint)' : 'SELECT pg_advisory_xact_lock($1::bigint)', [WRITERS_LOCK])
        result = await fn(writer, client)
        changes = await writer.logQueued()
        const commit = await client.query('COMMIT')
        // A transaction a failed statement aborted answers COMMIT by rolling back, without an error.
        if (commit.command !== 'COMMIT') throw new Error('the write was rolled back: a statement in it failed')
      } catch (err) {
        broken = await rollback(client)
        throw err
      }
    } finally {
      writer.end()
      client.release(broken)
    }
    if (changes.length > 0) this.commitListener?.(changes)
    return { result, changes }
  }

  async close(): Promise<void> {
    // Writes already queued finish first.
    await this.queue
    await this.pool.end()
  }
}

/** Rolls back; returns the error when even that failed, so the connection is discarded, not reused. */
async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK')
    return undefined
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}
