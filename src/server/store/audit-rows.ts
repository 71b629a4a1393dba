import type { Actor } from '../../shared/actors'
import type { AuditEntry, AuditQuery } from '../../shared/audit'
import { decodeCursor, encodeCursor } from './cursor'
import type { Page } from './store'

/** The audit_log table's row, the same in both engines; `details` is JSON text in SQLite, parsed jsonb in PostgreSQL. */
export interface AuditRow {
  id: string
  at: number
  recorded_at: number
  actor: string
  actor_name: string
  action: AuditEntry['action']
  target_type: AuditEntry['target']['type']
  target_id: string
  via: AuditEntry['origin']['via']
  ip: string | null
  user_agent: string | null
  client_id: string | null
  details: unknown
}

/** The row's values in column order, for an INSERT naming AUDIT_COLUMNS. */
export const AUDIT_COLUMNS = [
  'id',
  'at',
  'recorded_at',
  'actor',
  'actor_name',
  'action',
  'target_type',
  'target_id',
  'via',
  'ip',
  'user_agent',
  'client_id',
  'details',
] as const

/** `json` writes the details as the engine's JSON column takes them. */
export function auditValues(e: AuditEntry, json: (value: unknown) => unknown): unknown[] {
  return [
    e.id,
    e.at,
    e.recordedAt,
    e.actor,
    e.actorName,
    e.action,
    e.target.type,
    e.target.id,
    e.origin.via,
    e.origin.ip,
    e.origin.userAgent,
    e.origin.clientId,
    json(e.details),
  ]
}

export function auditEntryOf(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: Number(r.at),
    recordedAt: Number(r.recorded_at),
    actor: r.actor as Actor,
    actorName: r.actor_name,
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    origin: { via: r.via, ip: r.ip, userAgent: r.user_agent, clientId: r.client_id },
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as AuditEntry['details'],
  }
}

/**
 * A listing's WHERE clause, naming only the filters given, so that the index of the filtered
 * column (target, actor, or time) serves it; `param` adds a value and returns its placeholder.
 * The page cursor is a row-value comparison, which both engines read from the same index.
 */
export function auditWhere(q: AuditQuery, param: (value: string | number) => string): string {
  const after = decodeCursor(q.after)
  const conditions: string[] = []
  if (q.actor !== undefined) conditions.push(`actor = ${param(q.actor)}`)
  if (q.action !== undefined) conditions.push(`action = ${param(q.action)}`)
  if (q.targetType !== undefined) conditions.push(`target_type = ${param(q.targetType)}`)
  if (q.targetId !== undefined) conditions.push(`target_id = ${param(q.targetId)}`)
  if (q.from !== undefined) conditions.push(`at >= ${param(q.from)}`)
  if (q.to !== undefined) conditions.push(`at < ${param(q.to)}`)
  if (after) conditions.push(`(at, id) < (${param(after[0])}, ${param(after[1])})`)
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
}

/** The page of entries from rows read with a limit one above `limit`: whether a next page exists is told without a count. */
export function auditPage(rows: AuditRow[], limit: number): Page<AuditEntry> {
  const items = rows.slice(0, limit).map(auditEntryOf)
  const last = items.at(-1)
  return { items, next: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null }
}
