import type { Database } from 'better-sqlite3'
import { blockRow, eventOfRow, type EventBlock } from '../../shared/reporting/event-columns'
import type { ReportingEvent } from '../../shared/reporting/events'
import { stmt } from './statements'

/**
 * Reporting events a first sync received as blocks (PullResponse.eventBlock), kept as they came:
 * a row per page, holding a list of values per field. A supervisor's cache takes about one event
 * for every message, and nothing reads them one at a time: the dashboards read them all into
 * memory (reporting-columns.ts). Written as a row each, with a key and an index by customer, they
 * made a supervisor's first sync a sixth slower than an agent's; a block of thousands is one row.
 *
 * Events that come one at a time (live, or in a page that changes them twice) are rows of
 * `reporting_events`, and a row written takes its event out of the blocks first: the cache holds
 * an event once. Each block keeps the lowest and highest id it holds, so that finding one event
 * by id opens only the blocks that may hold it, and the customers it names
 * (`reporting_event_block_customers`), so that an erasure opens only theirs.
 */

export interface StoredBlock {
  id: number
  events: EventBlock
}

/**
 * An event in a block as one number, for the dashboards' columns, which keep each event's place
 * in the cache beside it: below zero, where the rowids of `reporting_events` are above. A page
 * holds at most 10,000 changes (shared/sync.ts), well under the 2^20 events a block may hold here.
 */
const EVENTS_PER_BLOCK_MAX = 2 ** 20

export function blockedEventRef(blockId: number, index: number): number {
  return -(blockId * EVENTS_PER_BLOCK_MAX + index) - 1
}

function refPlace(ref: number): { blockId: number; index: number } {
  const n = -ref - 1
  return { blockId: Math.floor(n / EVENTS_PER_BLOCK_MAX), index: n % EVENTS_PER_BLOCK_MAX }
}

export function keepEventBlock(db: Database, block: EventBlock): void {
  const count = block.id.length
  if (count === 0) return
  if (count >= EVENTS_PER_BLOCK_MAX) throw new Error(`an event block holds at most ${EVENTS_PER_BLOCK_MAX - 1} events; this one holds ${count}`)
  let first = block.id[0]!
  let last = first
  for (const id of block.id) {
    if (id < first) first = id
    else if (id > last) last = id
  }
  const blockId = Number(
    stmt(db, 'INSERT INTO reporting_event_blocks (first_id, last_id, count, events) VALUES (?, ?, ?, ?)').run(first, last, count, JSON.stringify(block))
      .lastInsertRowid,
  )
  const names = stmt(db, 'INSERT INTO reporting_event_block_customers (customer_id, block_id) VALUES (?, ?)')
  for (const customerId of new Set(block.customerId)) if (customerId !== null) names.run(customerId, blockId)
}

function readBlock(db: Database, blockId: number): StoredBlock | null {
  const events = stmt(db, 'SELECT events FROM reporting_event_blocks WHERE id = ?').pluck().get(blockId) as string | undefined
  return events === undefined ? null : { id: blockId, events: JSON.parse(events) as EventBlock }
}

/** The blocks after `afterId` up to `throughId`, in order, each read when the caller comes to it. */
export function* eventBlocksAfter(db: Database, afterId: number, throughId = Number.MAX_SAFE_INTEGER): Generator<StoredBlock> {
  const next = stmt(db, 'SELECT id FROM reporting_event_blocks WHERE id > ? AND id <= ? ORDER BY id LIMIT 1').pluck()
  for (let id = next.get(afterId, throughId) as number | undefined; id !== undefined; id = next.get(id, throughId) as number | undefined) {
    const block = readBlock(db, id)
    if (block) yield block
  }
}

/** The highest block id, 0 when none: blocks written later have higher ones. */
export function lastEventBlockId(db: Database): number {
  return (stmt(db, 'SELECT max(id) FROM reporting_event_blocks').pluck().get() as number | null) ?? 0
}

/** How many events the blocks up to `throughId` hold. */
export function countBlockedEvents(db: Database, throughId: number): number {
  return (stmt(db, 'SELECT sum(count) FROM reporting_event_blocks WHERE id <= ?').pluck().get(throughId) as number | null) ?? 0
}

/** The blocks whose range of ids holds `id`. */
function blocksHolding(db: Database, id: string): StoredBlock[] {
  const ids = stmt(db, 'SELECT id FROM reporting_event_blocks WHERE last_id >= ? AND first_id <= ? ORDER BY id').pluck().all(id, id) as number[]
  return ids.flatMap((blockId) => readBlock(db, blockId) ?? [])
}

export function blockedEvent(db: Database, id: string): ReportingEvent | null {
  for (const block of blocksHolding(db, id)) {
    const i = block.events.id.indexOf(id)
    if (i >= 0) return eventOfRow(blockRow(block.events, i, []))
  }
  return null
}

export function allBlockedEvents(db: Database): ReportingEvent[] {
  const events: ReportingEvent[] = []
  for (const block of eventBlocksAfter(db, 0)) for (let i = 0; i < block.events.id.length; i++) events.push(eventOfRow(blockRow(block.events, i, [])))
  return events
}

/** The ids of events given by `blockedEventRef`, in the same order. */
export function blockedEventIds(db: Database, refs: readonly number[]): string[] {
  const blocks = new Map<number, StoredBlock | null>()
  return refs.map((ref) => {
    const { blockId, index } = refPlace(ref)
    if (!blocks.has(blockId)) blocks.set(blockId, readBlock(db, blockId))
    const id = blocks.get(blockId)?.events.id[index]
    if (id === undefined) throw new Error(`no reporting event ${index} in block ${blockId}`)
    return id
  })
}

/** Writes a block again with only the events `keep` keeps, as `change` leaves them; a block left empty goes. */
function rewriteBlock(db: Database, block: StoredBlock, keep: (i: number) => boolean, change?: (events: EventBlock, i: number) => void): void {
  const kept = block.events.id.flatMap((_, i) => (keep(i) ? [i] : []))
  stmt(db, 'DELETE FROM reporting_event_block_customers WHERE block_id = ?').run(block.id)
  if (kept.length === 0) {
    stmt(db, 'DELETE FROM reporting_event_blocks WHERE id = ?').run(block.id)
    return
  }
  const events = Object.fromEntries(Object.entries(block.events).map(([field, values]) => [field, kept.map((i) => (values as unknown[])[i])])) as EventBlock
  if (change) for (let i = 0; i < kept.length; i++) change(events, i)
  let first = events.id[0]!
  let last = first
  for (const id of events.id) {
    if (id < first) first = id
    else if (id > last) last = id
  }
  stmt(db, 'UPDATE reporting_event_blocks SET first_id = ?, last_id = ?, count = ?, events = ? WHERE id = ?').run(
    first,
    last,
    kept.length,
    JSON.stringify(events),
    block.id,
  )
  const names = stmt(db, 'INSERT INTO reporting_event_block_customers (customer_id, block_id) VALUES (?, ?)')
  for (const customerId of new Set(events.customerId)) if (customerId !== null) names.run(customerId, block.id)
}

/** Takes event `id` out of the blocks, before it is written as a row or deleted; whether a block held it. */
export function dropFromBlocks(db: Database, id: string): boolean {
  let dropped = false
  for (const block of blocksHolding(db, id)) {
    if (!block.events.id.includes(id)) continue
    rewriteBlock(db, block, (i) => block.events.id[i] !== id)
    dropped = true
  }
  return dropped
}

/** An erased customer's events stay, for the counts, without their customer (erasure.ts); whether a block named them. */
export function anonymizeInBlocks(db: Database, customerId: string): boolean {
  const blockIds = stmt(db, 'SELECT block_id FROM reporting_event_block_customers WHERE customer_id = ?').pluck().all(customerId) as number[]
  for (const blockId of blockIds) {
    const block = readBlock(db, blockId)
    if (!block) continue
    rewriteBlock(
      db,
      block,
      () => true,
      (events, i) => {
        if (events.customerId[i] === customerId) events.customerId[i] = null
      },
    )
  }
  return blockIds.length > 0
}
