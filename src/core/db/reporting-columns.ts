import type { Database } from 'better-sqlite3'
import { blockRow } from '../../shared/reporting/event-block'
import { EventColumns, newDictionaries, type EventRow } from '../../shared/reporting/event-columns'
import { bulkLoadPending } from './bulk-load'
import { blockedEventIds, blockedEventRef, countBlockedEvents, eventBlocksAfter, lastEventBlockId } from './event-blocks'
import { REPORTING_EVENT_FIELDS } from './queries'
import { stmt } from './statements'

/** Events read per statement while the columns are first filled in the background: each chunk holds the core for tens of milliseconds. */
const FILL_CHUNK = 50_000

/** An event read, its place in the cache last: a rowid of `reporting_events`, or below zero, its place in a block (`blockedEventRef`). */
type PlacedRow = [...EventRow, number]
const PLACE = 15

interface Held {
  columns: EventColumns
  /**
   * By position in the columns: where the event is in the cache (`PlacedRow`). Events of one
   * instant are in order of id, which the columns do not hold; a new event among them reads theirs
   * from there.
   */
  places: Float64Array
  /** The highest rowid read: events written since have higher ones. */
  rowid: number
  /** The same for the blocks a first sync keeps (event-blocks.ts). */
  blockId: number
  /** `reporting_event_rewrites` when read: a change means an event read was changed or deleted. */
  rewrites: number
}

/**
 * The cache's reporting events in memory, as columns (shared/reporting/event-columns.ts), for
 * supervisors' dashboards: a report reads half a million events, which from SQLite takes
 * seconds and from columns tens of milliseconds. The columns follow the cache: events synced
 * since the last read are merged in, rows by rowid and a first sync's blocks (event-blocks.ts) by
 * id; an event changed or deleted (an erasure, a signed-out cache), which migrations 17 and 27
 * count, has them read again. `poke()` after a sync
 * wrote events keeps them current while the app is idle, and fills them at first in chunks,
 * so the first dashboard a supervisor opens does not wait for them. An agent's cache holds no
 * reporting events; nothing is kept for it.
 */
export class CachedEventColumns {
  private held: Held | null = null
  private filling: Generator<void, Held> | null = null
  private timer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly db: Database,
    private readonly delayMs = 1_000,
    private readonly chunk = FILL_CHUNK,
  ) {}

  /** The events as columns, in order of time then id, with every event the cache holds now. */
  current(): EventColumns {
    const rewrites = this.rewrites()
    if (this.held === null || this.held.rewrites !== rewrites) {
      // A fill under way is finished here and now: it is what the caller waits for anyway.
      let fill = this.filling ?? this.fill()
      this.filling = null
      for (;;) {
        let step = fill.next()
        while (!step.done) step = fill.next()
        if (step.value.rewrites === rewrites) {
          this.held = step.value
          break
        }
        // A fill begun before the last change: read again.
        fill = this.fill()
      }
    }
    this.catchUp(this.held)
    return this.held.columns
  }

  /**
   * After a sync wrote reporting events: the columns follow once the sync has been quiet for a
   * moment, so that an initial sync is not slowed by them, batch after batch.
   */
  poke(): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.step(), this.delayMs)
    this.timer.unref()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.filling = null
  }

  private step(): void {
    this.timer = null
    if (this.stopped) return
    try {
      // An initial sync is still filling the cache: the columns wait for its end rather than slow it.
      if (bulkLoadPending(this.db)) {
        this.poke()
        return
      }
      if (this.held !== null && this.held.rewrites === this.rewrites()) {
        this.catchUp(this.held)
        return
      }
      this.filling ??= this.fill()
      const step = this.filling.next()
      if (!step.done) {
        this.timer = setTimeout(() => this.step(), 0)
        this.timer.unref()
        return
      }
      this.filling = null
      // Events changed while it filled: the next poke, or the next report, reads them again.
      this.held = step.value
    } catch {
      // A cache being closed or rebuilt: the next report reads what it needs.
      this.filling = null
    }
  }

  private rewrites(): number {
    return stmt(this.db, 'SELECT count FROM reporting_event_rewrites').pluck().get() as number
  }

  /**
   * Every event up to the rowid and the block the cache is at when it starts, read in chunks in
   * the table's own order (yielding between chunks), then put in order of time: walking the index
   * by time instead would jump about the table at every row, several times slower.
   */
  private *fill(): Generator<void, Held> {
    const rewrites = this.rewrites()
    const rowid = (stmt(this.db, 'SELECT max(rowid) FROM reporting_events').pluck().get() as number | null) ?? 0
    const blockId = lastEventBlockId(this.db)
    const total = (stmt(this.db, 'SELECT count(*) FROM reporting_events WHERE rowid <= ?').pluck().get(rowid) as number) + countBlockedEvents(this.db, blockId)
    const read = new EventColumns(newDictionaries(), Math.max(1024, total))
    const ids: string[] = []
    const placesRead: number[] = []
    const chunk = stmt(this.db, `SELECT ${REPORTING_EVENT_FIELDS}, rowid FROM reporting_events WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?`).raw()
    let after = 0
    for (;;) {
      const rows = chunk.all(after, rowid, this.chunk) as PlacedRow[]
      for (const row of rows) {
        read.push(row as unknown as EventRow)
        ids.push(row[0])
        placesRead.push(row[PLACE])
      }
      if (rows.length < this.chunk) break
      after = rows[rows.length - 1]![PLACE]
      yield
    }
    const row: unknown[] = []
    for (const block of eventBlocksAfter(this.db, 0, blockId)) {
      for (let i = 0; i < block.events.length; i++) {
        read.push(blockRow(block.events, i, row))
        ids.push(block.events.id[i]!)
        placesRead.push(blockedEventRef(block.id, i))
      }
      yield
    }
    // Rows and blocks were written mostly in order of time: the sort finds the runs already in order.
    const order = Array.from({ length: read.length }, (_, i) => i).sort(
      (a, b) => read.at[a]! - read.at[b]! || (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0),
    )
    const columns = new EventColumns(read.dictionaries, Math.max(1024, read.length + (read.length >> 4)))
    const places = new Float64Array(columns.at.length)
    for (const i of order) {
      places[columns.length] = placesRead[i]!
      columns.copy(read, i)
    }
    return { columns, places, rowid, blockId, rewrites }
  }

  /** Merges in the events written since the columns were read. */
  private catchUp(held: Held): void {
    // By rowid, a range of the table; sorting them here spares the planner a walk of the whole index by time.
    const rows = stmt(this.db, `SELECT ${REPORTING_EVENT_FIELDS}, rowid FROM reporting_events WHERE rowid > ? ORDER BY rowid`)
      .raw()
      .all(held.rowid) as PlacedRow[]
    const newestRowid = rows.length > 0 ? rows[rows.length - 1]![PLACE] : held.rowid
    let newestBlock = held.blockId
    for (const block of eventBlocksAfter(this.db, held.blockId)) {
      for (let i = 0; i < block.events.length; i++) {
        const row = blockRow(block.events, i, []) as unknown as PlacedRow
        row[PLACE] = blockedEventRef(block.id, i)
        rows.push(row)
      }
      newestBlock = block.id
    }
    if (rows.length === 0) return
    const sorted = rows.sort((a, b) => a[8] - b[8] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    const old = held.columns
    const positions = sorted.map((row) => this.position(held, row))
    if (positions[0] === old.length) {
      for (const row of sorted) {
        old.push(row as unknown as EventRow)
        if (old.length > held.places.length) held.places = grown(held.places, old.at.length)
        held.places[old.length - 1] = row[PLACE]
      }
    } else {
      const merged = new EventColumns(old.dictionaries, old.length + rows.length + ((old.length + rows.length) >> 4))
      const places = new Float64Array(merged.at.length)
      const take = (from: number): void => {
        places[merged.length] = held.places[from]!
        merged.copy(old, from)
      }
      let from = 0
      sorted.forEach((row, r) => {
        const p = positions[r]!
        while (from < p) take(from++)
        places[merged.length] = row[PLACE]
        merged.push(row as unknown as EventRow)
      })
      while (from < old.length) take(from++)
      held.columns = merged
      held.places = places
    }
    held.rowid = newestRowid
    held.blockId = newestBlock
  }

  /** Where an event not yet in the columns goes among those that are: after the earlier ones by time, then id. */
  private position(held: Held, row: PlacedRow): number {
    const columns = held.columns
    const at = row[8]
    const first = columns.lowerBound(at)
    if (first === columns.length || columns.at[first]! !== at) return first
    let end = first + 1
    while (end < columns.length && columns.at[end] === at) end++
    // Events at the same instant are in order of id, which the columns do not keep: theirs are read from where they are.
    const places = Array.from(held.places.subarray(first, end))
    const rowids = places.filter((place) => place > 0)
    const earlierRows = stmt(this.db, 'SELECT count(*) FROM reporting_events WHERE rowid IN (SELECT value FROM json_each(?)) AND id < ?')
      .pluck()
      .get(JSON.stringify(rowids), row[0]) as number
    const earlierInBlocks = blockedEventIds(
      this.db,
      places.filter((place) => place < 0),
    ).filter((id) => id < row[0]).length
    return first + earlierRows + earlierInBlocks
  }
}

function grown(places: Float64Array, length: number): Float64Array {
  const more = new Float64Array(length)
  more.set(places)
  return more
}
