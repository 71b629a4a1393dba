import type { Database } from 'better-sqlite3'
import { blockEvents, blockIdRange, blockRow, eventBlock, MAX_BLOCK_EVENTS, readKeptEventBlock, type EventBlock } from '../../shared/reporting/event-block'
import { eventOfRow } from '../../shared/reporting/event-columns'
import type { ReportingEvent } from '../../shared/reporting/events'
import { stmt } from './statements'

/**
 * Reporting events a first sync received as blocks (PullResponse.eventBlock), kept as they came:
 * a row per page, holding the block's bytes (shared/reporting/event-block.ts). A supervisor's cache takes about one event
 * for every message, and nothing reads them one at a time: the dashboards read them all into
 * memory (reporting-columns.ts). Written as a row each, with a key and an index by customer, they
 * made a supervisor's first sync a sixth slower than an agent's; a block of thousands is one row.
 *
 * The cache holds each event once, the latest change of it: a block takes its events out of the
 * blocks and rows written before it (an event changed while the first sync ran comes again in a
 * later page), and an event written or deleted on its own (live, or in a page that changes it
 * twice) leaves its block. So that this reads little, a block's row keeps the lowest and the
 * highest of its ids beside its bytes, and the customers it names
 * (`reporting_event_block_customers`), which an erasure looks up.
 */

export interface StoredBlock {
  id: number
  events: EventBlock
}

/**
 * An event in a block as one number, for the dashboards' columns, which keep each event's place
 * in the cache beside it: below zero, where the rowids of `reporting_events` are above.
 */
const EVENTS_PER_BLOCK_MAX = MAX_BLOCK_EVENTS + 1

export function blockedEventRef(blockId: number, index: number): number {
  return -(blockId * EVENTS_PER_BLOCK_MAX + index) - 1
}

function refPlace(ref: number): { blockId: number; index: number } {
  const n = -ref - 1
  return { blockId: Math.floor(n / EVENTS_PER_BLOCK_MAX), index: n % EVENTS_PER_BLOCK_MAX }
}

/** Writes `block` as block `blockId` (a new one when null) with its range and customers; returns its id. */
function writeBlock(db: Database, blockId: number | null, block: EventBlock, [first, last] = blockIdRange(block)): number {
  const values = [first, last, block.length, block.bytes]
  let id = blockId
  if (id === null) {
    const insert = 'INSERT INTO reporting_event_blocks (first_id, last_id, count, bytes) VALUES (?, ?, ?, ?)'
    id = Number(stmt(db, insert).run(...values).lastInsertRowid)
  } else {
    stmt(db, 'UPDATE reporting_event_blocks SET first_id = ?, last_id = ?, count = ?, bytes = ? WHERE id = ?').run(...values, id)
    stmt(db, 'DELETE FROM reporting_event_block_customers WHERE block_id = ?').run(id)
  }
  const names = stmt(db, 'INSERT INTO reporting_event_block_customers (customer_id, block_id) VALUES (?, ?)')
  for (const customerId of block.customerId.values) if (customerId !== null) names.run(customerId, id)
  return id
}

export function keepEventBlock(db: Database, block: EventBlock): void {
  if (block.length === 0) return
  const range = blockIdRange(block)
  // Made only when something else holds ids in the range: ids grow with time, and pages follow one another in time.
  let ids: Set<string> | null = null
  const inBlock = (id: string): boolean => (ids ??= new Set(block.id)).has(id)
  for (const blockId of blocksReaching(db, ...range)) {
    if (blockIds(db, blockId).some(inBlock)) rewriteBlock(db, blockId, (events) => events.filter((e) => !inBlock(e.id)))
  }
  const rows = stmt(db, 'SELECT id FROM reporting_events WHERE id BETWEEN ? AND ?').pluck().all(...range) as string[]
  for (const id of rows) if (inBlock(id)) stmt(db, 'DELETE FROM reporting_events WHERE id = ?').run(id)
  writeBlock(db, null, block, range)
}

function readBlock(db: Database, blockId: number): StoredBlock | null {
  const bytes = stmt(db, 'SELECT bytes FROM reporting_event_blocks WHERE id = ?').pluck().get(blockId) as Uint8Array | undefined
  return bytes === undefined ? null : { id: blockId, events: readKeptEventBlock(bytes) }
}

function blockIds(db: Database, blockId: number): readonly string[] {
  return readBlock(db, blockId)?.events.id ?? []
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

/** The blocks whose range of ids reaches into `first`…`last`. */
function blocksReaching(db: Database, first: string, last: string): number[] {
  return stmt(db, 'SELECT id FROM reporting_event_blocks WHERE last_id >= ? AND first_id <= ? ORDER BY id').pluck().all(first, last) as number[]
}

/** Where event `id` is among the blocks, if in one. */
function placeOf(db: Database, id: string): { blockId: number; index: number } | null {
  for (const blockId of blocksReaching(db, id, id)) {
    const index = blockIds(db, blockId).indexOf(id)
    if (index >= 0) return { blockId, index }
  }
  return null
}

export function blockedEvent(db: Database, id: string): ReportingEvent | null {
  const place = placeOf(db, id)
  const block = place && readBlock(db, place.blockId)
  return place && block ? eventOfRow(blockRow(block.events, place.index, [])) : null
}

export function allBlockedEvents(db: Database): ReportingEvent[] {
  return [...eventBlocksAfter(db, 0)].flatMap((block) => blockEvents(block.events))
}

/** The ids of events given by `blockedEventRef`, in the same order. */
export function blockedEventIds(db: Database, refs: readonly number[]): string[] {
  const ids = new Map<number, readonly string[]>()
  return refs.map((ref) => {
    const { blockId, index } = refPlace(ref)
    if (!ids.has(blockId)) ids.set(blockId, blockIds(db, blockId))
    const id = ids.get(blockId)![index]
    if (id === undefined) throw new Error(`no reporting event ${index} in block ${blockId}`)
    return id
  })
}

/** Writes block `blockId` again with its events as `change` leaves them; a block left empty goes. */
function rewriteBlock(db: Database, blockId: number, change: (events: ReportingEvent[]) => ReportingEvent[]): void {
  const block = readBlock(db, blockId)
  if (!block) return
  const events = change(blockEvents(block.events))
  if (events.length > 0) {
    writeBlock(db, blockId, eventBlock(events))
    return
  }
  stmt(db, 'DELETE FROM reporting_event_block_customers WHERE block_id = ?').run(blockId)
  stmt(db, 'DELETE FROM reporting_event_blocks WHERE id = ?').run(blockId)
}

/** Takes event `id` out of the blocks, before it is written as a row or deleted; whether a block held it. */
export function dropFromBlocks(db: Database, id: string): boolean {
  const place = placeOf(db, id)
  if (place) rewriteBlock(db, place.blockId, (events) => events.filter((e) => e.id !== id))
  return place !== null
}

/** An erased customer's events stay, for the counts, without their customer (erasure.ts); whether a block named them. */
export function anonymizeInBlocks(db: Database, customerId: string): boolean {
  const naming = stmt(db, 'SELECT block_id FROM reporting_event_block_customers WHERE customer_id = ?').pluck().all(customerId) as number[]
  for (const blockId of naming) {
    rewriteBlock(db, blockId, (events) => events.map((e) => (e.customerId === customerId ? { ...e, customerId: null } : e)))
  }
  return naming.length > 0
}
