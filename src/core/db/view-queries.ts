import type { Database, Statement } from 'better-sqlite3'
import type { SavedView, ViewFilters } from '../../shared/domain'
import { CONVERSATION_STATUSES } from '../../shared/domain-values'
import { entityColumns, entityFromRow } from './entity-json'
import { NOT_WAITING, PRIORITY_RANK } from './migrations'

/**
 * Saved views of the inbox in the cache: which views the agent sees, and a view's filters as
 * SQL over the conversations table (alias `c`), for the inbox list and the sidebar counts.
 */

/** Conditions to AND into a query over `conversations c`, with their named parameters. */
export interface FilterSql {
  where: string[]
  params: Record<string, unknown>
}

/** Who opens the view and when: 'me' names the agent, a waiting time counts back from now. */
export interface FilterContext {
  userId: string | null
  now: number
}

const NOTHING: FilterSql = { where: ['0'], params: {} }

/** A list filter with nothing picked leaves that field free, as the dialog's empty choice means. */
const picked = <T>(list: readonly T[] | undefined): list is readonly T[] => list !== undefined && list.length > 0

/**
 * The SQL of one view's filters. Lists are bound as one JSON array each, so a statement is
 * prepared once per combination of fields used, not per number of values; status, assignee,
 * priority, channel, team, inbox and waiting time use the indexed columns, labels their own table.
 */
export function viewFilterSql(filters: ViewFilters, ctx: FilterContext): FilterSql {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  const inList = (column: string, name: string, values: readonly (string | number)[]) => {
    where.push(`${column} IN (SELECT value FROM json_each(@${name}))`)
    params[name] = JSON.stringify(values)
  }
  // Nobody waits on a resolved conversation, whatever its row still says until the server's copy
  // arrives: a waiting time keeps the unresolved statuses only. One list of statuses, so that
  // status, priority and waiting time are ranges of one index, without reading the rows.
  const waiting = filters.waitingMinutes !== undefined
  const statuses = picked(filters.status) ? filters.status : waiting ? CONVERSATION_STATUSES : []
  if (statuses.length > 0) {
    const kept = waiting ? statuses.filter((status) => status !== 'resolved') : statuses
    if (kept.length === 0) return NOTHING
    inList('c.status', 'vf_status', kept)
  }
  if (filters.assignee === 'unassigned') {
    where.push('c.assignee_id IS NULL')
  } else if (filters.assignee !== undefined) {
    const assignee = filters.assignee === 'me' ? ctx.userId : filters.assignee
    // Signed out, 'me' is nobody: the view is empty rather than everyone's.
    if (assignee === null) return NOTHING
    where.push('c.assignee_id = @vf_assignee')
    params.vf_assignee = assignee
  }
  if (picked(filters.priorities)) inList('c.priority', 'vf_priorities', filters.priorities.map((p) => PRIORITY_RANK[p]))
  if (picked(filters.channels)) inList('c.channel', 'vf_channels', filters.channels)
  if (picked(filters.teams)) inList('c.team', 'vf_teams', filters.teams)
  if (picked(filters.inboxes)) inList('c.inbox', 'vf_inboxes', filters.inboxes)
  if (picked(filters.labels)) {
    where.push('c.id IN (SELECT conversation_id FROM conversation_labels WHERE label IN (SELECT value FROM json_each(@vf_labels)))')
    params.vf_labels = JSON.stringify(filters.labels)
  }
  if (filters.waitingMinutes !== undefined) {
    where.push(`c.wait_order <= @vf_waitingSince AND c.wait_order < ${NOT_WAITING}`)
    params.vf_waitingSince = ctx.now - filters.waitingMinutes * 60_000
  }
  return { where, params }
}

const statements = new WeakMap<Database, Map<string, Statement>>()

function prepared(db: Database, sql: string): Statement {
  let byDb = statements.get(db)
  if (!byDb) statements.set(db, (byDb = new Map()))
  let statement = byDb.get(sql)
  if (!statement) byDb.set(sql, (statement = db.prepare(sql)))
  return statement
}

/**
 * The count of a view's conversations as SQL. Without statistics, SQLite may prefer reading the
 * rows of every conversation of a team, or waiting that long, over seeking each status and
 * priority in the index that holds both (92 ms against 0.1 at 200,000 conversations): a view
 * with priorities counts through that index, named, every status listed when it picks none.
 */
export function viewCountSql(filters: ViewFilters, ctx: FilterContext): { sql: string; params: Record<string, unknown> } {
  const byPriority = picked(filters.priorities)
  const filter = viewFilterSql(byPriority && !picked(filters.status) ? { ...filters, status: [...CONVERSATION_STATUSES] } : filters, ctx)
  const { where, params } = filter
  const from = `conversations c${filter !== NOTHING && byPriority ? ' INDEXED BY idx_conversations_status_priority_waiting' : ''}`
  return { sql: `SELECT count(*) AS n FROM ${from}${where.length ? ' WHERE ' + where.join(' AND ') : ''}`, params }
}

/** How many conversations in the cache a view's filters match. */
export function countMatching(db: Database, filters: ViewFilters, ctx: FilterContext): number {
  const { sql, params } = viewCountSql(filters, ctx)
  return (prepared(db, sql).get(params) as { n: number }).n
}

/**
 * The views the agent sees: their own and those shared with their team, not deleted, by name.
 * The cache holds every view the server sent; who sees which is decided here.
 */
export function listVisibleViews(db: Database, args: { userId: string | null; team: string | null }): SavedView[] {
  if (args.userId === null) return []
  const rows = prepared(
    db,
    `SELECT ${entityColumns('savedView')} FROM saved_views
      WHERE (owner_id = @userId OR (@team IS NOT NULL AND json ->> '$.team' = @team)) AND json ->> '$.deletedAt' IS NULL
      ORDER BY json ->> '$.name' COLLATE NOCASE, id`,
  ).all({ userId: args.userId, team: args.team }) as { json: string }[]
  return rows.map((r) => entityFromRow('savedView', r))
}
