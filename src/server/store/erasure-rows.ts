import type { EntityName } from '../../shared/domain'
import type { Erasure } from '../../shared/privacy'

/** How both engines keep erasures (SQLite migration 19, PostgreSQL 6). */

/** The order an erasure empties the entity tables in: every row before the rows it refers to. */
export const ERASED_TABLE_ORDER: readonly EntityName[] = ['summary', 'event', 'call', 'note', 'message', 'conversation', 'identity', 'customer']

/** The server's own rows about an erased customer, held with their entities: kind `table:<name>`. */
export const heldInternalKinds = ['thread', 'suggestion', 'merge', 'feedback'] as const
export type InternalKind = (typeof heldInternalKinds)[number]

/** An `erasures` row as both engines return it (PostgreSQL: JSONB parsed, BIGINT as numbers). */
export interface ErasureRow {
  customer_id: string
  customer_ids: string | string[]
  name: string
  requested_by: string
  requested_at: number | string
  purge_at: number | string
  immediate: number | boolean
}

export const erasureOf = (r: ErasureRow): Erasure => ({
  customerId: r.customer_id,
  customerIds: typeof r.customer_ids === 'string' ? (JSON.parse(r.customer_ids) as string[]) : r.customer_ids,
  name: r.name,
  requestedBy: r.requested_by,
  requestedAt: Number(r.requested_at),
  purgeAt: Number(r.purge_at),
  immediate: r.immediate === true || r.immediate === 1,
})
