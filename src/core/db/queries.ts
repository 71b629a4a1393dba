import type { Database, Statement } from 'better-sqlite3'
import { z } from 'zod'
import type { Call, Channel, Conversation, ConversationStatus, Customer, EntityName, EntityTypes, Identity, Message, Note, Priority, Summary, TimelineEvent, User } from '../../shared/domain'
import { columnName } from '../../shared/column-names'
import { EVENT_ROW_FIELDS, eventOfRow, eventRow, type EventRow } from '../../shared/reporting/event-columns'
import type { ReportingEvent } from '../../shared/reporting/events'
import { slaUnmetDueAt } from '../../shared/reporting/sla-due'
import { matchesAsPrefix, typedWords } from '../../shared/search-words'
import { InboxInfo } from '../../shared/inbox-settings'
import type { InboxSort, InboxView, OutboxState, SearchKind } from '../../shared/ipc'
import type { MutationName } from '../../shared/mutations'
import { entityColumns, entityFromJson, entityFromRow, isDeflated, mirroredColumns, packEntity, packWholeEntity, wholeJsonSql, type PackedJson } from './entity-json'
import { NOT_DUE, NOT_WAITING, PRIORITY_RANK } from './migrations'
import { keyAtOrAfter, keyAtOrBefore, retagQueued, tagPhrase } from './search-index'
import { allBlockedEvents, blockedEvent, dropFromBlocks } from './event-blocks'
import { stmt } from './statements'

/**
 * Every SQL statement of the client cache lives here, as plain functions of (db, args).
 * Statements are prepared once per connection and reused (statements.ts).
 */

// ---------------------------------------------------------------------------------------------
// sync_meta

export interface SyncMeta {
  cursor: number
  clientId: string
  serverUrl: string | null
  userId: string | null
  lastSyncedAt: number | null
}

export function getSyncMeta(db: Database): SyncMeta | null {
  const row = stmt(db, 'SELECT cursor, client_id, server_url, user_id, last_synced_at FROM sync_meta WHERE id = 1').get() as
    | { cursor: number; client_id: string; server_url: string | null; user_id: string | null; last_synced_at: number | null }
    | undefined
  if (!row) return null
  return {
    cursor: row.cursor,
    clientId: row.client_id,
    serverUrl: row.server_url,
    userId: row.user_id,
    lastSyncedAt: row.last_synced_at,
  }
}

export function initSyncMeta(db: Database, args: { clientId: string; serverUrl: string | null }): void {
  stmt(db, 'INSERT INTO sync_meta (id, cursor, client_id, server_url) VALUES (1, 0, ?, ?)').run(args.clientId, args.serverUrl)
}

export function setCursor(db: Database, args: { cursor: number; syncedAt: number }): void {
  stmt(db, 'UPDATE sync_meta SET cursor = ?, last_synced_at = ? WHERE id = 1').run(args.cursor, args.syncedAt)
}

export function setSyncUser(db: Database, userId: string): void {
  stmt(db, 'UPDATE sync_meta SET user_id = ? WHERE id = 1').run(userId)
}

/** The inboxes the server described at the last whoami, kept so the composer has them offline too. */
export function getSavedInboxes(db: Database): InboxInfo[] | null {
  const row = stmt(db, 'SELECT inboxes_json FROM sync_meta WHERE id = 1').get() as { inboxes_json: string | null } | undefined
  if (!row?.inboxes_json) return null
  // Written by an older or newer build: better unknown than wrong.
  const parsed = z.array(InboxInfo).safeParse(JSON.parse(row.inboxes_json))
  return parsed.success ? parsed.data : null
}

export function saveInboxes(db: Database, inboxes: readonly InboxInfo[]): void {
  stmt(db, 'UPDATE sync_meta SET inboxes_json = ? WHERE id = 1').run(JSON.stringify(inboxes))
}

/** Forgets everything synced and queued: used when a cache belongs to another server or user. */
export function resetCache(db: Database, args: { clientId: string; serverUrl: string }): void {
  db.transaction(() => {
    for (const table of SYNCED_TABLES) stmt(db, `DELETE FROM ${table}`).run()
    for (const table of LOCAL_TABLES) stmt(db, `DELETE FROM ${table}`).run()
    stmt(db, 'DELETE FROM outbox').run()
    stmt(db, 'DELETE FROM sync_meta').run()
    initSyncMeta(db, args)
  })()
}

/**
 * What the cached rows were synced for: the inboxes (null: all of them), and whether the user
 * received reporting events (a supervisor or admin). Undefined when never recorded (a cache from
 * before it was), which is taken to match; a cache that recorded only its inboxes was synced
 * before reporting events existed, which is taken as without them.
 */
export function getSyncedScope(db: Database): SyncedScope | undefined {
  const row = stmt(db, 'SELECT scope_json FROM sync_meta WHERE id = 1').get() as { scope_json: string | null } | undefined
  if (!row?.scope_json) return undefined
  const raw: unknown = JSON.parse(row.scope_json)
  const inboxesOnly = z.array(z.string()).nullable().safeParse(raw)
  if (inboxesOnly.success) return { inboxes: inboxesOnly.data, reports: false }
  const parsed = SyncedScope.safeParse(raw)
  return parsed.success ? parsed.data : undefined
}

const SyncedScope = z.object({ inboxes: z.array(z.string()).nullable(), reports: z.boolean() })
export type SyncedScope = z.infer<typeof SyncedScope>

export function setSyncedScope(db: Database, scope: SyncedScope): void {
  const inboxes = scope.inboxes === null ? null : [...scope.inboxes].sort()
  stmt(db, 'UPDATE sync_meta SET scope_json = ? WHERE id = 1').run(JSON.stringify({ inboxes, reports: scope.reports }))
}

/**
 * Forgets every synced row and the cursor, keeping the outbox and this device's own state
 * (drafts, read markers): the next pull fills the cache afresh.
 */
export function forgetSyncedRows(db: Database): void {
  db.transaction(() => {
    for (const table of SYNCED_TABLES) stmt(db, `DELETE FROM ${table}`).run()
    stmt(db, 'UPDATE sync_meta SET cursor = 0 WHERE id = 1').run()
  })()
}

// ---------------------------------------------------------------------------------------------
// Entities

/** What this device keeps about the agent's own reading and writing; never synced. */
const LOCAL_TABLES = ['read_markers', 'drafts', 'mention_reads', 'summary_ratings']

const TABLES: { [E in EntityName]: string } = {
  user: 'users',
  customer: 'customers',
  identity: 'identities',
  conversation: 'conversations',
  message: 'messages',
  note: 'notes',
  call: 'calls',
  event: 'events',
  savedView: 'saved_views',
  summary: 'summaries',
  reportingEvent: 'reporting_events',
}

/** Every table holding what the server sent: the entities', and the reporting events a first sync kept as blocks. */
const SYNCED_TABLES = [...Object.values(TABLES), 'reporting_event_blocks', 'reporting_event_block_customers']

/** Entities with a row's JSON beside its indexed columns: all but reporting events (COLUMNS_ONLY). */
type JsonEntityName = Exclude<EntityName, 'reportingEvent'>

/**
 * The indexed columns of each entity table that are not a field as it is (`mirroredColumns`):
 * values derived from the entity, for the inbox's order and filters.
 */
const DERIVED_COLUMNS: { [E in JsonEntityName]?: (e: EntityTypes[E]) => Record<string, string | number | null> } = {
  conversation: (c: Conversation) => ({
    wait_order: c.waitingSince ?? NOT_WAITING,
    // The rank, so the inbox can list the most urgent first from an index (migration 10).
    priority: PRIORITY_RANK[c.priority],
    // A resolved conversation owes nothing, whatever its clocks say.
    sla_due: (c.status === 'resolved' ? null : slaUnmetDueAt(c.sla)) ?? NOT_DUE,
  }),
  // A wrap-up or a call summary takes its place in the timeline where what it covers ends; a story has none (null `at`).
  summary: (s: Summary) => ({ kind: s.kind, at: s.kind === 'customer_story' ? null : s.coversThrough }),
}

/** The indexed columns of an entity's row. */
function columnsOf<E extends JsonEntityName>(entity: E, data: EntityTypes[E]): Record<string, string | number | null> {
  const derived = DERIVED_COLUMNS[entity] as ((e: EntityTypes[E]) => Record<string, string | number | null>) | undefined
  return { ...mirroredColumns(entity, data), ...derived?.(data) }
}

/**
 * How a row's server copy is stored: `server_json` is NULL when it equals `json` (every row
 * the sync writes, so nothing is stored twice), 'null' when the row exists only locally, and
 * the server's JSON while a pending action shows something else.
 */
const SAME_AS_JSON = null
const NO_SERVER_COPY = 'null'

function decodeServer<E extends EntityName>(entity: E, json: PackedJson, serverJson: PackedJson | null, current: EntityTypes[E]): EntityTypes[E] | null {
  if (serverJson === SAME_AS_JSON) return current
  if (serverJson === NO_SERVER_COPY) return null
  return serverJson === json ? current : entityFromJson(entity, serverJson)
}

/**
 * Entities whose columns are the whole row: reporting events, a million of them in a
 * supervisor's cache, written once by the server and read only as columns. A JSON copy would
 * double what the sync writes for them.
 */
const COLUMNS_ONLY: ReadonlySet<EntityName> = new Set(['reportingEvent'])

/** A synced row's upsert; for a local write, the insert of a row the cache does not hold yet (updateChangedColumns changes one it holds). */
function upsertSql(entity: JsonEntityName, names: string[], local: boolean): string {
  const insert =
    `INSERT INTO ${TABLES[entity]} (id, ${names.join(', ')}, json, server_json) ` +
    `VALUES (@id, ${names.map((n) => '@' + n).join(', ')}, @json, ${local ? `'${NO_SERVER_COPY}'` : 'NULL'})`
  if (local) return insert
  return `${insert} ON CONFLICT (id) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}, json = excluded.json, server_json = NULL`
}

/** The upsert statements of each entity, built once: the sync runs them for every row. */
const upserts = new WeakMap<Database, Map<string, Statement>>()

function upsert<E extends EntityName>(db: Database, entity: E, data: EntityTypes[E], local: boolean): void {
  if (entity === 'reportingEvent') {
    if (local) throw new Error(`${entity} rows are the server's alone`)
    // Held once: as this row from now on, not also in the block it first came in.
    dropFromBlocks(db, data.id)
    stmt(db, EVENT_ROW_UPSERT).run(eventRow(data as ReportingEvent))
    return
  }
  const cols = columnsOf(entity as JsonEntityName, data as EntityTypes[JsonEntityName])
  const json = packEntity(entity, data)
  if (local && updateChangedColumns(db, entity as JsonEntityName, data.id, cols, json)) return
  let byDb = upserts.get(db)
  if (!byDb) {
    byDb = new Map()
    upserts.set(db, byDb)
  }
  const key = local ? `local:${entity}` : entity
  let statement = byDb.get(key)
  if (!statement) {
    statement = db.prepare(upsertSql(entity as JsonEntityName, Object.keys(cols), local))
    byDb.set(key, statement)
  }
  const params: Record<string, PackedJson | number | null> = cols
  params.id = data.id
  params.json = json
  statement.run(params)
}

/**
 * A local change to a row the cache holds, setting only the columns whose values change. SQLite
 * rewrites the entries of every index on every column an UPDATE sets, equal or not: a
 * conversation has 33 indexes, and a bulk step that set them all wrote each conversation's
 * entries in all of them again. The server's copy is kept: the row's old json when the two
 * were the same. False when the row is not there.
 */
function updateChangedColumns(db: Database, entity: JsonEntityName, id: string, cols: Record<string, string | number | null>, json: PackedJson): boolean {
  const table = TABLES[entity]
  const names = Object.keys(cols)
  // A deflated row's server copy is made here: SQL cannot put the columns' fields back into it.
  const deflated = isDeflated(entity)
  const read = deflated ? `${names.join(', ')}, ${entityColumns(entity)}, server_json` : names.join(', ')
  const old = stmt(db, `SELECT ${read} FROM ${table} WHERE id = ?`).get(id) as (Record<string, unknown> & { json: PackedJson; server_json: PackedJson | null }) | undefined
  if (!old) return false
  const changed = names.filter((name) => old[name] !== cols[name])
  const values: Record<string, PackedJson | number | null> = { id, json }
  for (const name of changed) values[name] = cols[name] ?? null
  const set = [...changed.map((name) => `${name} = @${name}`), 'json = @json']
  if (!deflated) set.push(`server_json = coalesce(server_json, ${wholeJsonSql(entity)})`)
  else if (old.server_json === SAME_AS_JSON) {
    set.push('server_json = @server')
    values.server = packWholeEntity(entity, entityFromRow(entity, old))
  }
  stmt(db, `UPDATE ${table} SET ${set.join(', ')} WHERE id = @id`).run(values)
  return true
}

/** Stores a row as the server sent it: what the UI reads, which is also the server's copy. */
export function upsertServerEntity<E extends EntityName>(db: Database, entity: E, data: EntityTypes[E]): void {
  upsert(db, entity, data, false)
}

/** Writes what the UI reads without touching the server's copy (an optimistic change). */
export function writeLocalEntity<E extends EntityName>(db: Database, entity: E, data: EntityTypes[E]): void {
  upsert(db, entity, data, true)
}

/** Whether the row was there to delete. */
export function deleteEntity(db: Database, entity: EntityName, id: string): boolean {
  const deleted = stmt(db, `DELETE FROM ${TABLES[entity]} WHERE id = ?`).run(id).changes > 0
  return entity === 'reportingEvent' ? dropFromBlocks(db, id) || deleted : deleted
}

export interface StoredEntity<E extends EntityName> {
  /** What the UI shows. */
  current: EntityTypes[E]
  /** The server's last copy; null when the row exists only locally. */
  server: EntityTypes[E] | null
}

export function getEntity<E extends EntityName>(db: Database, entity: E, id: string): StoredEntity<E> | null {
  if (COLUMNS_ONLY.has(entity)) {
    const event = readReportingEvents(db, 'WHERE id = ?', id)[0] ?? blockedEvent(db, id)
    return event ? { current: event as EntityTypes[E], server: event as EntityTypes[E] } : null
  }
  const row = stmt(db, `SELECT ${entityColumns(entity)}, server_json FROM ${TABLES[entity]} WHERE id = ?`).get(id) as
    | { json: PackedJson; server_json: PackedJson | null }
    | undefined
  if (!row) return null
  const current = entityFromRow(entity, row)
  return { current, server: decodeServer(entity, row.json, row.server_json, current) }
}

/** Puts a row back to the server's copy, or removes it when the server never had it. */
export function restoreServerEntity(db: Database, entity: EntityName, id: string): void {
  const table = TABLES[entity]
  const row = getEntity(db, entity, id)
  if (!row) return
  if (row.server === null) {
    stmt(db, `DELETE FROM ${table} WHERE id = ?`).run(id)
  } else {
    upsertServerEntity(db, entity, row.server)
  }
}

/** Every row of one entity table, for checks and tests: id → { current, server }. */
export function dumpEntities<E extends EntityName>(db: Database, entity: E): Map<string, StoredEntity<E>> {
  if (COLUMNS_ONLY.has(entity)) {
    return new Map([...readReportingEvents(db, ''), ...allBlockedEvents(db)].map((e) => [e.id, { current: e as EntityTypes[E], server: e as EntityTypes[E] }]))
  }
  const rows = stmt(db, `SELECT ${entityColumns(entity)}, server_json FROM ${TABLES[entity]}`).all() as {
    id: string
    json: PackedJson
    server_json: PackedJson | null
  }[]
  return new Map(
    rows.map((r) => {
      const current = entityFromRow(entity, r)
      return [r.id, { current, server: decodeServer(entity, r.json, r.server_json, current) }]
    }),
  )
}

/** A reporting event's columns in the order of `EventRow`. */
const EVENT_ROW_COLUMNS = EVENT_ROW_FIELDS.map(columnName)
export const REPORTING_EVENT_FIELDS = EVENT_ROW_COLUMNS.join(', ')

/** A reporting event as a row of its columns, the whole of a cached event (a first sync's blocks stay blocks: event-blocks.ts). */
const EVENT_ROW_UPSERT = `INSERT INTO reporting_events (${REPORTING_EVENT_FIELDS}) VALUES (${EVENT_ROW_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${EVENT_ROW_COLUMNS.slice(1).map((f) => `${f} = excluded.${f}`).join(', ')}`

/** Reporting events from their columns (see COLUMNS_ONLY). */
function readReportingEvents(db: Database, where: string, ...params: string[]): ReportingEvent[] {
  const rows = stmt(db, `SELECT ${REPORTING_EVENT_FIELDS} FROM reporting_events ${where}`).raw().all(...params) as EventRow[]
  return rows.map(eventOfRow)
}

export function getUser(db: Database, id: string): User | null {
  return getEntity(db, 'user', id)?.current ?? null
}

export function listUsers(db: Database): User[] {
  return (stmt(db, `SELECT ${entityColumns('user')} FROM users ORDER BY name COLLATE NOCASE, id`).all() as { json: string }[]).map((r) =>
    entityFromRow('user', r),
  )
}

export function getCustomer(db: Database, id: string): Customer | null {
  return getEntity(db, 'customer', id)?.current ?? null
}

export function listIdentities(db: Database, customerId: string): Identity[] {
  return (stmt(db, `SELECT ${entityColumns('identity')} FROM identities WHERE customer_id = ? ORDER BY id`).all(customerId) as { json: string }[]).map(
    (r) => entityFromRow('identity', r),
  )
}

export function listCustomerConversations(db: Database, customerId: string): Conversation[] {
  return (
    stmt(db, `SELECT ${entityColumns('conversation')} FROM conversations WHERE customer_id = ? ORDER BY last_message_at DESC, id DESC`).all(customerId) as {
      json: string
    }[]
  ).map((r) => entityFromRow('conversation', r))
}

/**
 * The inbox a conversation the agent starts on `channel` goes to: the customer's most recent
 * one on the channel, else the inbox of the newest conversation on the channel this device
 * has seen (the agent can see that inbox, or the server would not have sent it).
 */
export function inboxForNewConversation(db: Database, args: { customerId: string; channel: Channel }): string | null {
  const row = (stmt(
    db,
    `SELECT inbox FROM conversations WHERE customer_id = ? AND channel = ? ORDER BY last_message_at DESC LIMIT 1`,
  ).get(args.customerId, args.channel) ??
    stmt(db, `SELECT inbox FROM conversations WHERE channel = ? ORDER BY last_message_at DESC, rowid DESC LIMIT 1`).get(
      args.channel,
    )) as { inbox: string } | undefined
  return row?.inbox ?? null
}

export function getConversation(db: Database, id: string): Conversation | null {
  return getEntity(db, 'conversation', id)?.current ?? null
}

// ---------------------------------------------------------------------------------------------
// Inbox list

export interface InboxRow {
  conversation: Conversation
  customerName: string | null
  assigneeName: string | null
  lastMessageText: string | null
  lastCallOutcome: string | null
  hasOutbox: boolean
  unread: boolean
}

/** Which conversations a list shows: one scope (a view, a team or a channel) and maybe a status. */
export interface InboxScope {
  view: InboxView
  team?: string | undefined
  channel?: string | undefined
  status?: string | undefined
}

/** Where a page of the inbox continues: the sort key and id of the last row already shown. */
export interface InboxCursor {
  key: number
  id: string
  /** Under the priority sort: the last row's priority. */
  priority?: Priority | undefined
}

function scopeWhere(scope: { view: InboxView; hasTeam: boolean; hasChannel: boolean; hasStatus: boolean }): string[] {
  const where: string[] = []
  if (scope.view === 'mine') where.push('c.assignee_id = @userId')
  if (scope.view === 'unassigned') where.push('c.assignee_id IS NULL')
  if (scope.hasTeam) where.push('c.team = @team')
  if (scope.hasChannel) where.push('c.channel = @channel')
  if (scope.hasStatus) where.push('c.status = @status')
  return where
}

/**
 * A conversation is unread when the agent marked it so, when the customer wrote after the
 * agent last opened it (the agent's own replies do not count), or, never opened, while the
 * customer waits for an answer. The EXISTS walks only the messages after the read marker.
 */
const UNREAD_SQL = `(coalesce(r.marked_unread, 0) = 1
  OR (r.read_at IS NULL AND c.wait_order < ${NOT_WAITING})
  OR EXISTS (SELECT 1 FROM messages mu WHERE mu.conversation_id = c.id AND mu.at > r.read_at AND mu.json ->> '$.direction' = 'inbound'))`

export function inboxListSql(args: {
  view: InboxView
  hasStatus: boolean
  hasTeam?: boolean
  hasChannel?: boolean
  sort?: InboxSort
  hasCursor?: boolean
  /** More conditions on `c` (a saved view's filters). */
  narrow?: readonly string[]
}): string {
  const where = scopeWhere({ view: args.view, hasTeam: args.hasTeam ?? false, hasChannel: args.hasChannel ?? false, hasStatus: args.hasStatus })
  if (args.narrow) where.push(...args.narrow)
  const waiting = args.sort === 'waiting'
  const byPriority = args.sort === 'priority'
  const byDue = args.sort === 'due'
  // Keyset paging on the sort key: a page costs the same at row 100,000 as at row 0. Ties go by
  // rowid, which every index entry ends with, so the indexes need no column to order them.
  if (args.hasCursor) {
    where.push(
      waiting
        ? '(c.wait_order, c.rowid) > (@afterKey, @afterRowid)'
        : byDue
          ? '(c.sla_due, c.rowid) > (@afterKey, @afterRowid)'
        : byPriority
          ? '(c.priority, c.last_message_at, c.rowid) < (@afterRank, @afterKey, @afterRowid)'
          : '(c.last_message_at, c.rowid) < (@afterKey, @afterRowid)',
    )
  }
  const order = waiting
    ? 'c.wait_order ASC, c.rowid ASC'
    : byDue
      ? 'c.sla_due ASC, c.rowid ASC'
      : byPriority
      ? 'c.priority DESC, c.last_message_at DESC, c.rowid DESC'
      : 'c.last_message_at DESC, c.rowid DESC'
  return `
    SELECT ${entityColumns('conversation', 'c')},
      cu.name AS customer_name,
      u.name AS assignee_name,
      (SELECT m.json ->> '$.text' FROM messages m WHERE m.conversation_id = c.id ORDER BY m.at DESC, m.rowid DESC LIMIT 1) AS last_text,
      (SELECT k.json ->> '$.outcome' FROM calls k WHERE k.conversation_id = c.id ORDER BY k.at DESC, k.rowid DESC LIMIT 1) AS last_call_outcome,
      EXISTS (SELECT 1 FROM outbox o WHERE o.conversation_id = c.id) AS has_outbox,
      ${UNREAD_SQL} AS unread
    FROM conversations c
    LEFT JOIN customers cu ON cu.id = c.customer_id
    LEFT JOIN users u ON u.id = c.assignee_id
    LEFT JOIN read_markers r ON r.conversation_id = c.id
    ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY ${order}
    LIMIT @limit`
}

/**
 * Where the last row shown stands among rows of the same sort key. A row gone since (erased,
 * moved out of the cache) leaves its key alone: the next page starts with all of that key's
 * rows, so none is skipped, at worst one already shown is shown again.
 */
function afterRowid(db: Database, id: string, ascending: boolean): number {
  const rowid = stmt(db, 'SELECT rowid FROM conversations WHERE id = ?').pluck().get(id) as number | undefined
  return rowid ?? (ascending ? 0 : Number.MAX_SAFE_INTEGER)
}

export function listInbox(
  db: Database,
  args: InboxScope & {
    userId: string | null
    limit: number
    sort?: InboxSort | undefined
    after?: InboxCursor | undefined
    /** A saved view's filters as SQL (view-queries.ts). */
    narrow?: { where: readonly string[]; params: Record<string, unknown> } | undefined
  },
): InboxRow[] {
  if (args.view === 'mine' && !args.userId) return []
  const sql = inboxListSql({
    view: args.view,
    hasStatus: args.status !== undefined,
    hasTeam: args.team !== undefined,
    hasChannel: args.channel !== undefined,
    sort: args.sort ?? 'activity',
    hasCursor: args.after !== undefined,
    ...(args.narrow ? { narrow: args.narrow.where } : {}),
  })
  const params: Record<string, unknown> = { limit: args.limit, ...args.narrow?.params }
  if (args.view === 'mine') params.userId = args.userId
  if (args.status !== undefined) params.status = args.status
  if (args.team !== undefined) params.team = args.team
  if (args.channel !== undefined) params.channel = args.channel
  if (args.after !== undefined) {
    params.afterKey = args.after.key
    params.afterRowid = afterRowid(db, args.after.id, args.sort === 'waiting' || args.sort === 'due')
    if (args.sort === 'priority') params.afterRank = PRIORITY_RANK[args.after.priority ?? 'normal']
  }
  const rows = stmt(db, sql).all(params) as {
    json: string
    customer_name: string | null
    assignee_name: string | null
    last_text: string | null
    last_call_outcome: string | null
    has_outbox: number
    unread: number
  }[]
  return rows.map((r) => ({
    conversation: entityFromRow('conversation', r),
    customerName: r.customer_name,
    assigneeName: r.assignee_name,
    lastMessageText: r.last_text,
    lastCallOutcome: r.last_call_outcome,
    hasOutbox: r.has_outbox === 1,
    unread: r.unread === 1,
  }))
}

export interface InboxCountRows {
  all: number
  mine: number
  unassigned: number
  /** Unread conversations assigned to the agent that are not resolved: the badge count. */
  mineUnread: number
  teams: { team: string; count: number }[]
  channels: { channel: string; count: number }[]
}

/**
 * How many conversations each sidebar entry holds, under an optional status filter. The view,
 * team and channel counts are sums over conversation_counts (a few dozen group rows kept by
 * triggers), so they cost the same at 200k conversations as at 20; only the unread badge reads
 * conversations, and only the agent's own through the assignee index.
 */
export function inboxCounts(db: Database, args: { status?: string | undefined; userId: string | null }): InboxCountRows {
  const hasStatus = args.status !== undefined
  const statusWhere = hasStatus ? 'status = @status' : '1'
  const scope = hasStatus ? { status: args.status } : {}
  const userId = args.userId ?? ''
  const totals = stmt(
    db,
    `SELECT coalesce(sum(n), 0) AS all_count,
      coalesce(sum(n) FILTER (WHERE assignee_id = @userId), 0) AS mine_count,
      coalesce(sum(n) FILTER (WHERE assignee_id IS NULL), 0) AS unassigned_count
    FROM conversation_counts WHERE ${statusWhere}`,
  ).get({ ...scope, userId }) as { all_count: number; mine_count: number; unassigned_count: number }
  const mineUnread = stmt(
    db,
    // Named: the one index holding each open conversation's id with its assignee, so no row is read.
    `SELECT count(*) AS n FROM conversations c INDEXED BY idx_conversations_assignee_unread LEFT JOIN read_markers r ON r.conversation_id = c.id
      WHERE c.assignee_id = @userId AND c.status <> 'resolved' AND ${UNREAD_SQL}`,
  ).get({ userId }) as { n: number }
  const teams = stmt(
    db,
    `SELECT team, sum(n) AS count FROM conversation_counts WHERE team IS NOT NULL AND ${statusWhere} GROUP BY team ORDER BY team`,
  ).all(scope) as { team: string; count: number }[]
  const channels = stmt(
    db,
    `SELECT channel, sum(n) AS count FROM conversation_counts WHERE ${statusWhere} GROUP BY channel ORDER BY channel`,
  ).all(scope) as { channel: string; count: number }[]
  return {
    all: totals.all_count,
    mine: totals.mine_count,
    unassigned: totals.unassigned_count,
    mineUnread: mineUnread.n,
    teams,
    channels,
  }
}

/** The agent has seen the conversation up to `readAt`. */
export function markRead(db: Database, args: { conversationId: string; readAt: number }): void {
  stmt(
    db,
    `INSERT INTO read_markers (conversation_id, read_at, marked_unread) VALUES (?, ?, 0)
     ON CONFLICT (conversation_id) DO UPDATE SET read_at = max(read_at, excluded.read_at), marked_unread = 0`,
  ).run(args.conversationId, args.readAt)
}

export function markUnread(db: Database, conversationId: string): void {
  stmt(
    db,
    `INSERT INTO read_markers (conversation_id, read_at, marked_unread) VALUES (?, 0, 1)
     ON CONFLICT (conversation_id) DO UPDATE SET marked_unread = 1`,
  ).run(conversationId)
}

// ---------------------------------------------------------------------------------------------
// Mentions

export interface MentionRow {
  note: Note
  customerName: string | null
  unread: boolean
}

/** Notes naming `userId`, newest first, through note_mentions' (user_id, at) key. */
export function listMentions(db: Database, args: { userId: string; limit: number }): MentionRow[] {
  const rows = stmt(
    db,
    `SELECT ${entityColumns('note', 'n')}, cu.name AS customer_name, r.note_id IS NULL AS unread
     FROM note_mentions m
     JOIN notes n ON n.id = m.note_id
     LEFT JOIN customers cu ON cu.id = n.customer_id
     LEFT JOIN mention_reads r ON r.note_id = m.note_id
     WHERE m.user_id = @userId
     ORDER BY m.at DESC, m.note_id DESC
     LIMIT @limit`,
  ).all(args) as { json: string; customer_name: string | null; unread: number }[]
  return rows.map((r) => ({ note: entityFromRow('note', r), customerName: r.customer_name, unread: r.unread === 1 }))
}

export function countUnreadMentions(db: Database, userId: string): number {
  return (
    stmt(
      db,
      `SELECT count(*) AS n FROM note_mentions m
       WHERE m.user_id = ? AND NOT EXISTS (SELECT 1 FROM mention_reads r WHERE r.note_id = m.note_id)`,
    ).get(userId) as { n: number }
  ).n
}

/** Marks mentions of `userId` read: these notes, or (null) every one. */
export function markMentionsRead(db: Database, args: { userId: string; noteIds: readonly string[] | null; readAt: number }): void {
  const sql = `INSERT OR IGNORE INTO mention_reads (note_id, read_at)
    SELECT m.note_id, @readAt FROM note_mentions m WHERE m.user_id = @userId`
  if (args.noteIds === null) stmt(db, sql).run({ userId: args.userId, readAt: args.readAt })
  else stmt(db, `${sql} AND m.note_id IN (SELECT value FROM json_each(@ids))`).run({ userId: args.userId, readAt: args.readAt, ids: JSON.stringify(args.noteIds) })
}

// ---------------------------------------------------------------------------------------------
// Timeline

export type TimelineKind = 'message' | 'note' | 'call' | 'event' | 'summary'
export interface TimelineRow {
  kind: TimelineKind
  id: string
  at: number
  conversation_id: string | null
  customer_id: string
  json: PackedJson
}

const TIMELINE_TABLES: [TimelineKind, string][] = [
  ['message', 'messages'],
  ['note', 'notes'],
  ['call', 'calls'],
  ['event', 'events'],
  ['summary', 'summaries'],
]

/** A summary belongs to a customer, not to one conversation. */
const timelineConversation = (kind: TimelineKind): string => (kind === 'summary' ? 'NULL AS conversation_id' : 'conversation_id')

/**
 * Newest first, keyset-paginated on (at, id): each table is read through its
 * (customer_id, at, id) index, at most `limit` rows each, then merged.
 */
export const TIMELINE_SQL = TIMELINE_TABLES.map(
  ([kind, table]) => `SELECT * FROM (
    SELECT '${kind}' AS kind, id, at, ${timelineConversation(kind)}, customer_id, json FROM ${table}
    WHERE customer_id = @customerId AND (at, id) < (@beforeAt, @beforeId)
    ORDER BY at DESC, id DESC LIMIT @limit)`,
).join('\nUNION ALL\n') + '\nORDER BY at DESC, id DESC LIMIT @limit'

export function listTimeline(
  db: Database,
  args: { customerId: string; limit: number; before?: { at: number; id: string } | undefined },
): TimelineRow[] {
  return stmt(db, TIMELINE_SQL).all({
    customerId: args.customerId,
    limit: args.limit,
    // With no cursor, (at, id) < (MAX_SAFE_INTEGER, '') holds for every row.
    beforeAt: args.before?.at ?? Number.MAX_SAFE_INTEGER,
    beforeId: args.before?.id ?? '',
  }) as TimelineRow[]
}

/** Oldest first: the page just newer than a cursor, for scrolling down after a jump to a date. */
export const TIMELINE_AFTER_SQL = TIMELINE_TABLES.map(
  ([kind, table]) => `SELECT * FROM (
    SELECT '${kind}' AS kind, id, at, ${timelineConversation(kind)}, customer_id, json FROM ${table}
    WHERE customer_id = @customerId AND (at, id) > (@afterAt, @afterId)
    ORDER BY at ASC, id ASC LIMIT @limit)`,
).join('\nUNION ALL\n') + '\nORDER BY at ASC, id ASC LIMIT @limit'

export function listTimelineAfter(
  db: Database,
  args: { customerId: string; limit: number; after: { at: number; id: string } },
): TimelineRow[] {
  return stmt(db, TIMELINE_AFTER_SQL).all({
    customerId: args.customerId,
    limit: args.limit,
    afterAt: args.after.at,
    afterId: args.after.id,
  }) as TimelineRow[]
}

// ---------------------------------------------------------------------------------------------
// Outbox

export interface OutboxRow {
  mutationId: number
  name: MutationName
  args: unknown
  conversationId: string
  itemId: string | null
  state: 'pending' | 'failed'
  error: string | null
  createdAt: number
}

interface RawOutboxRow {
  mutation_id: number
  name: MutationName
  args: string
  conversation_id: string
  item_id: string | null
  state: 'pending' | 'failed'
  error: string | null
  created_at: number
}

function toOutboxRow(r: RawOutboxRow): OutboxRow {
  return {
    mutationId: r.mutation_id,
    name: r.name,
    args: JSON.parse(r.args) as unknown,
    conversationId: r.conversation_id,
    itemId: r.item_id,
    state: r.state,
    error: r.error,
    createdAt: r.created_at,
  }
}

const OUTBOX_COLUMNS = 'mutation_id, name, args, conversation_id, item_id, state, error, created_at'

export function insertOutbox(
  db: Database,
  args: { name: MutationName; args: unknown; conversationId: string; itemId: string | null; createdAt: number },
): number {
  const info = stmt(
    db,
    `INSERT INTO outbox (name, args, conversation_id, item_id, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
  ).run(args.name, JSON.stringify(args.args), args.conversationId, args.itemId, args.createdAt)
  return Number(info.lastInsertRowid)
}

export function getOutbox(db: Database, mutationId: number): OutboxRow | null {
  const row = stmt(db, `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE mutation_id = ?`).get(mutationId) as RawOutboxRow | undefined
  return row ? toOutboxRow(row) : null
}

export function listPendingOutbox(db: Database, limit: number): OutboxRow[] {
  return (
    stmt(db, `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY mutation_id LIMIT ?`).all(limit) as RawOutboxRow[]
  ).map(toOutboxRow)
}

/** Pending and failed actions on these conversations, oldest first: what a rebase re-applies. */
export function listOutboxForConversations(db: Database, conversationIds: readonly string[]): OutboxRow[] {
  if (conversationIds.length === 0) return []
  return (
    stmt(db, `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE conversation_id IN (SELECT value FROM json_each(?)) ORDER BY mutation_id`).all(
      JSON.stringify(conversationIds),
    ) as RawOutboxRow[]
  ).map(toOutboxRow)
}

/**
 * Outbox actions that only report to the server and change nothing on screen (a timeline
 * opened, for the audit log): sent like any other, but not the agent's work to list or count.
 */
export const REPORT_ACTIONS: readonly MutationName[] = ['timelineOpened']

export const isReportAction = (row: Pick<OutboxRow, 'name'>): boolean => REPORT_ACTIONS.includes(row.name)

/** The agent's own actions in the outbox (report actions left out). */
export function listAllOutbox(db: Database): OutboxRow[] {
  return (
    stmt(db, `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE name NOT IN (SELECT value FROM json_each(?)) ORDER BY mutation_id`).all(
      JSON.stringify(REPORT_ACTIONS),
    ) as RawOutboxRow[]
  ).map(toOutboxRow)
}

export function outboxStatesForItems(db: Database, itemIds: readonly string[]): Map<string, OutboxState> {
  if (itemIds.length === 0) return new Map()
  const rows = stmt(
    db,
    `SELECT item_id, mutation_id, state, error FROM outbox WHERE item_id IN (SELECT value FROM json_each(?)) ORDER BY mutation_id`,
  ).all(JSON.stringify(itemIds)) as { item_id: string; mutation_id: number; state: 'pending' | 'failed'; error: string | null }[]
  return new Map(rows.map((r) => [r.item_id, { mutationId: r.mutation_id, state: r.state, error: r.error }]))
}

export function deleteOutbox(db: Database, mutationId: number): void {
  stmt(db, 'DELETE FROM outbox WHERE mutation_id = ?').run(mutationId)
}

export function failOutbox(db: Database, args: { mutationId: number; error: string }): void {
  stmt(db, `UPDATE outbox SET state = 'failed', error = ? WHERE mutation_id = ?`).run(args.error, args.mutationId)
}

export function countOutbox(db: Database): { pending: number; failed: number } {
  const row = stmt(
    db,
    `SELECT COALESCE(SUM(state = 'pending'), 0) AS pending, COALESCE(SUM(state = 'failed'), 0) AS failed FROM outbox
     WHERE name NOT IN (SELECT value FROM json_each(?))`,
  ).get(JSON.stringify(REPORT_ACTIONS)) as { pending: number; failed: number }
  return row
}

// ---------------------------------------------------------------------------------------------
// Full-text search

export interface SearchFilters {
  kinds?: readonly SearchKind[] | undefined
  channel?: Channel | undefined
  status?: ConversationStatus | undefined
  /** null: unassigned conversations only. */
  assigneeId?: string | null | undefined
  from?: number | undefined
  to?: number | undefined
}

export interface SearchRow {
  kind: SearchKind
  refId: string
  customerId: string
  conversationId: string | null
  at: number
  customerName: string | null
  channel: string | null
  status: string | null
  /** The text as indexed: the title (subject or name) and the body (empty for a customer). */
  title: string
  body: string
}

/**
 * Turns what the agent typed into an FTS5 query that cannot be a syntax error: every word
 * becomes a quoted term, a prefix from three characters on (`matchesAsPrefix`), all of them
 * required. Null when nothing searchable is left. Only letters and digits survive, so no query
 * can reach the index's filter tokens.
 */
export function ftsQuery(text: string): string | null {
  const words = typedWords(text)
  if (words.length === 0) return null
  return words.map((w) => (matchesAsPrefix(w) ? `"${w}"*` : `"${w}"`)).join(' ')
}

const SEARCH_KINDS: readonly SearchKind[] = ['message', 'note', 'customer']

/**
 * The typed words plus the filters, as one FTS5 query: FTS5 intersects the filter tokens with
 * the words, so no row that fails a filter is ever read. Null when the filters exclude
 * everything (a conversation filter leaves out customers, who belong to no one conversation).
 */
export function searchMatch(query: string, f: SearchFilters): string | null {
  const kinds = f.kinds?.length ? SEARCH_KINDS.filter((k) => f.kinds!.includes(k)) : SEARCH_KINDS
  const byConversation = f.channel !== undefined || f.status !== undefined || f.assigneeId !== undefined
  const wanted = byConversation ? kinds.filter((k) => k !== 'customer') : kinds
  if (wanted.length === 0) return null
  const required = [`(${query})`]
  let excluded: SearchKind | undefined
  if (wanted.length === 1) required.push(tagPhrase.kind(wanted[0]!))
  // Two kinds of three: leaving the third out skips over its (shorter) list instead of merging two.
  if (wanted.length === 2 && !byConversation) excluded = SEARCH_KINDS.find((k) => !wanted.includes(k))
  if (f.channel !== undefined) required.push(tagPhrase.channel(f.channel))
  if (f.status !== undefined) required.push(tagPhrase.status(f.status))
  if (f.assigneeId !== undefined) required.push(tagPhrase.assignee(f.assigneeId))
  return required.join(' AND ') + (excluded ? ` NOT ${tagPhrase.kind(excluded)}` : '')
}

/**
 * The newest `limit` matches, newest first: FTS5 walks the match in key (time) order and
 * stops after `limit` rows; a date range is a key range, so an old range starts there
 * instead of at the newest row. Each match's source row, names, the latest conversation of
 * a customer hit and the shown conversation columns are looked up for those rows only.
 */
export function searchSql(f: { hasFrom: boolean; hasTo: boolean }): string {
  const where = ['search_index MATCH @match']
  if (f.hasFrom) where.push(`s.rowid >= ${keyAtOrAfter('@from')}`, 'd.at >= @from')
  if (f.hasTo) where.push(`s.rowid <= ${keyAtOrBefore('@to')}`, 'd.at < @to')
  return `
    SELECT h.kind AS kind, h.ref_id AS ref_id, h.customer_id AS customer_id,
      coalesce(h.conversation_id,
        (SELECT lc.id FROM conversations lc WHERE lc.customer_id = h.customer_id ORDER BY lc.last_message_at DESC LIMIT 1)) AS conversation_id,
      h.at AS at, cu.name AS customer_name, c.channel AS channel, c.status AS status, h.title AS title, h.body AS body
    FROM (
      SELECT s.rowid AS key, d.kind, d.ref_id, d.customer_id, d.conversation_id, d.at, d.title, d.body
      FROM search_index s CROSS JOIN search_documents d ON d.key = s.rowid
      WHERE ${where.join(' AND ')}
      ORDER BY s.rowid DESC
      LIMIT @limit
    ) h
    LEFT JOIN conversations c ON c.id = h.conversation_id
    LEFT JOIN customers cu ON cu.id = h.customer_id
    ORDER BY h.key DESC`
}

/** The newest matches that pass the filters, with the text of their title and body. */
export function searchIndex(db: Database, args: SearchFilters & { query: string; limit: number }): SearchRow[] {
  // Conversations re-tagged lazily (search-index.ts) are brought up to date first: a filter never reads a stale tag.
  retagQueued(db)
  const match = searchMatch(args.query, args)
  if (match === null) return []
  const sql = searchSql({ hasFrom: args.from !== undefined, hasTo: args.to !== undefined })
  const params: Record<string, unknown> = { match, limit: args.limit }
  if (args.from !== undefined) params.from = args.from
  if (args.to !== undefined) params.to = args.to
  const rows = stmt(db, sql).all(params) as {
    kind: SearchKind
    ref_id: string
    customer_id: string
    conversation_id: string | null
    at: number
    customer_name: string | null
    channel: string | null
    status: string | null
    title: string
    body: string | null
  }[]
  return rows.map((r) => ({
    kind: r.kind,
    refId: r.ref_id,
    customerId: r.customer_id,
    conversationId: r.conversation_id,
    at: r.at,
    customerName: r.customer_name,
    channel: r.channel,
    status: r.status,
    title: r.title,
    body: r.body ?? '',
  }))
}

// ---------------------------------------------------------------------------------------------
// Customer panel: suggestions, merges, merge previews

/** The customer's events of one type, newest first (through the (customer_id, at, id) index). */
export function listCustomerEvents(db: Database, args: { customerId: string; type: TimelineEvent['type'] }): TimelineEvent[] {
  return (
    stmt(db, `SELECT ${entityColumns('event')} FROM events WHERE customer_id = ? AND json ->> '$.type' = ? ORDER BY at DESC, id DESC`).all(
      args.customerId,
      args.type,
    ) as { json: string }[]
  ).map((r) => entityFromRow('event', r))
}

/** How many messages, notes and calls these conversations hold: what a merge would move. */
export function countConversationItems(db: Database, conversationIds: readonly string[]): { messages: number; notes: number; calls: number } {
  const ids = JSON.stringify(conversationIds)
  const count = (table: string): number =>
    (stmt(db, `SELECT COUNT(*) AS n FROM ${table} WHERE conversation_id IN (SELECT value FROM json_each(?))`).get(ids) as { n: number }).n
  return { messages: count('messages'), notes: count('notes'), calls: count('calls') }
}

/** Whether the cache holds any message of the customer's on the channel: the server then knows an inbox to send from. */
export function customerUsedChannel(db: Database, customerId: string, channel: Channel): boolean {
  return stmt(db, `SELECT 1 FROM messages WHERE customer_id = ? AND json ->> '$.channel' = ? LIMIT 1`).get(customerId, channel) !== undefined
}

/** A conversation's messages and calls, oldest first: what its activity and wait are read from. */
export function listConversationItems(db: Database, conversationId: string): { messages: Message[]; calls: Call[] } {
  const rows = <E extends 'message' | 'call'>(entity: E): EntityTypes[E][] =>
    (stmt(db, `SELECT ${entityColumns(entity)} FROM ${TABLES[entity]} WHERE conversation_id = ? ORDER BY at, id`).all(conversationId) as { json: string }[]).map(
      (r) => entityFromRow(entity, r),
    )
  return { messages: rows('message'), calls: rows('call') }
}

/** Queued or refused actions of these kinds, oldest first. */
export function listOutboxByName(db: Database, names: readonly MutationName[]): OutboxRow[] {
  return (
    stmt(db, `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE name IN (SELECT value FROM json_each(?)) ORDER BY mutation_id`).all(
      JSON.stringify(names),
    ) as RawOutboxRow[]
  ).map(toOutboxRow)
}

// ---------------------------------------------------------------------------------------------
// Composer: drafts and canned responses (local to this device)

export function getDraft(db: Database, conversationId: string): { mode: string; json: string; updatedAt: number } | null {
  return (
    (stmt(db, 'SELECT mode, json, updated_at AS updatedAt FROM drafts WHERE conversation_id = ?').get(conversationId) as
      | { mode: string; json: string; updatedAt: number }
      | undefined) ?? null
  )
}

export function saveDraft(db: Database, args: { conversationId: string; mode: 'reply' | 'note'; json: string; updatedAt: number }): void {
  stmt(
    db,
    `INSERT INTO drafts (conversation_id, mode, json, updated_at) VALUES (@conversationId, @mode, @json, @updatedAt)
     ON CONFLICT (conversation_id) DO UPDATE SET mode = excluded.mode, json = excluded.json, updated_at = excluded.updated_at`,
  ).run(args)
}

export function deleteDraft(db: Database, conversationId: string): void {
  stmt(db, 'DELETE FROM drafts WHERE conversation_id = ?').run(conversationId)
}

export function listCannedResponses(db: Database): { id: string; title: string; shortcut: string; body: string }[] {
  return stmt(db, 'SELECT id, title, shortcut, body FROM canned_responses ORDER BY title').all() as {
    id: string
    title: string
    shortcut: string
    body: string
  }[]
}
