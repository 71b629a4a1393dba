import type { Database } from 'better-sqlite3'
import type { EntityName } from '../../shared/domain'
import type { EventBlock } from '../../shared/reporting/event-block'
import { isCustomerErasure, type EntityChange } from '../../shared/sync'
import { dropCustomer } from '../db/erasure'
import { keepEventBlock } from '../db/event-blocks'
import { deleteEntity, getEntity, getSyncMeta, setCursor, upsertServerEntity } from '../db/queries'
import { rebaseViews } from './local-views'
import { rebase } from './outbox'

export interface Touched {
  entities: EntityName[]
  customerIds: string[]
  /** Customers this batch erased (among customerIds): the cache's files are scrubbed after it commits. */
  erased?: string[]
  /** The batch deleted what customers wrote or was written about them (retention, an erasure): the files are scrubbed once caught up. */
  deletedContent?: true
}

/** Rows whose deletion must not leave their text in the cache file, its search index or its WAL. */
const CONTENT: ReadonlySet<EntityName> = new Set(['message', 'note', 'call', 'event', 'summary', 'identity', 'customer'])

export class CursorMismatchError extends Error {
  constructor(expected: number, actual: number) {
    super(`batch follows cursor ${expected} but the cache is at ${actual}`)
    this.name = 'CursorMismatchError'
  }
}

/**
 * The customer and conversation a change belongs to, read from its data, else from the row as
 * an earlier change of this batch left it (`earlier`), else from the cached row.
 */
function ownersOf(
  db: Database,
  change: EntityChange,
  earlier: { data: EntityChange['data'] } | undefined,
): { customerId: string | null; conversationId: string | null } {
  const data = (change.data ?? (earlier ? earlier.data : (getEntity(db, change.entity, change.id)?.current ?? null))) as Record<
    string,
    unknown
  > | null
  if (!data) return { customerId: null, conversationId: null }
  switch (change.entity) {
    case 'user':
    case 'savedView':
    case 'reportingEvent':
      // Reporting events are figures, not timeline items: they change no conversation or customer on screen.
      return { customerId: null, conversationId: null }
    case 'customer':
      return { customerId: change.id, conversationId: null }
    case 'conversation':
      return { customerId: data.customerId as string, conversationId: change.id }
    case 'identity':
      return { customerId: data.customerId as string, conversationId: null }
    default:
      return { customerId: data.customerId as string, conversationId: data.conversationId as string }
  }
}

/**
 * The order a batch's rows are written in; any order gives the same cache, since each row is
 * written once and the triggers read the rows as they end up. Conversations go before their
 * messages, so each message is indexed with its conversation's filters at once; the searchable
 * rows go last, oldest first, the order of their search keys, which FTS5 appends to its pending
 * data instead of writing out what it holds at every step back in time.
 */
const WRITE_RANK: Record<EntityName, number> = {
  user: 0,
  savedView: 0,
  identity: 1,
  conversation: 2,
  call: 3,
  event: 3,
  summary: 3,
  reportingEvent: 3,
  message: 4,
  note: 4,
  customer: 4,
}

function searchTime(change: EntityChange): number {
  const data = change.data as { sentAt?: number; createdAt?: number; lastActivityAt?: number } | null
  if (!data) return 0
  if (change.entity === 'message') return data.sentAt ?? 0
  if (change.entity === 'customer') return data.lastActivityAt ?? 0
  return data.createdAt ?? 0
}

function byWriteOrder(a: EntityChange, b: EntityChange): number {
  return WRITE_RANK[a.entity] - WRITE_RANK[b.entity] || (WRITE_RANK[a.entity] === 4 ? searchTime(a) - searchTime(b) : 0)
}

/**
 * Applies one batch of server changes and moves the cursor, in ONE transaction: this is what
 * makes a crash or kill mid-sync harmless, since the cache is always at the end of a whole
 * batch and the cursor never runs ahead of (or behind) the rows. The queued actions on the
 * touched conversations are re-applied in the same transaction, so an optimistic state is
 * never replaced, even for an instant, by a server row older than the action.
 */
export function applyBatch(
  db: Database,
  batch: { after: number; cursor: number; changes: readonly EntityChange[]; eventBlock?: EventBlock | undefined },
  now: number = Date.now(),
): Touched {
  return db.transaction(() => {
    const current = getSyncMeta(db)?.cursor ?? 0
    if (current !== batch.after) throw new CursorMismatchError(batch.after, current)
    const entities = new Set<EntityName>()
    const customerIds = new Set<string>()
    const conversationIds = new Set<string>()
    // A row changed several times in one batch (a conversation on every message, assignment
    // and status change) is written once, with its last change: everything derived from a
    // row (indexes, search, counts) follows the row, so the intermediate states are not needed.
    const last = new Map<string, EntityChange>()
    const ownerOf = new Map<string, string | null>()
    const erased = new Set<string>()
    for (const change of [...batch.changes].sort((a, b) => a.seq - b.seq)) {
      const key = `${change.entity}:${change.id}`
      const earlier = last.get(key)
      const owners = ownersOf(db, change, earlier)
      last.delete(key)
      last.set(key, change)
      ownerOf.set(key, owners.customerId)
      entities.add(change.entity)
      if (owners.customerId) customerIds.add(owners.customerId)
      if (owners.conversationId) conversationIds.add(owners.conversationId)
      if (isCustomerErasure(change)) {
        erased.add(change.id)
        // What this batch wrote of theirs before the erasure goes with it; what comes after (a restore) stays.
        for (const [k, c] of last) if (ownerOf.get(k) === change.id && c.op === 'upsert') last.set(k, { ...c, op: 'delete', data: null })
      }
    }
    // Only what was in the cache needs scrubbing out of its files: a scrub merges the whole search index.
    let deletedContent = false
    for (const customerId of erased) if (dropCustomer(db, customerId)) deletedContent = true
    for (const change of [...last.values()].sort(byWriteOrder)) {
      if (change.op === 'delete' || change.data === null) {
        if (deleteEntity(db, change.entity, change.id) && CONTENT.has(change.entity)) deletedContent = true
      } else upsertServerEntity(db, change.entity, change.data)
    }
    // Events none of the changes touch (PullResponse.eventBlock): kept as the block they came in.
    if (batch.eventBlock && batch.eventBlock.length > 0) {
      keepEventBlock(db, batch.eventBlock)
      entities.add('reportingEvent')
    }
    rebase(db, conversationIds)
    if (entities.has('savedView')) rebaseViews(db, getSyncMeta(db)?.userId ?? null)
    setCursor(db, { cursor: Math.max(current, batch.cursor), syncedAt: now })
    return {
      entities: [...entities],
      customerIds: [...customerIds],
      ...(erased.size > 0 ? { erased: [...erased] } : {}),
      ...(deletedContent ? { deletedContent: true as const } : {}),
    }
  })()
}
