import type { Database } from 'better-sqlite3'
import type { EventDictionaries } from '../../shared/reporting/event-columns'
import { stmt } from './queries'

/** Rows read per statement while the names are read in the background. */
const READ_CHUNK = 20_000

interface Held {
  dictionaries: EventDictionaries
  /** By conversation number: the number of its customer now (in the names dictionary), -1 where none is known. */
  customerOf: Int32Array
  /** By customer number: the customer's name; undefined for a customer not in the cache. */
  names: (string | null | undefined)[]
  conversationRowid: number
  customerRowid: number
  /** `customer_name_changes` when read: a change means a row read was moved, renamed or deleted. */
  changes: number
}

/**
 * Which customer each cached conversation belongs to now, and each customer's name, in memory and
 * numbered by the reporting events' dictionaries: a drill-down sorted by customer name needs the
 * name of every one of up to 100,000 conversations, which from SQLite costs four index lookups a
 * row. Rows written since are read by rowid; a conversation moved to another customer, a customer
 * renamed, or either deleted, which migration 23 counts, has everything read again, as do
 * dictionaries rebuilt with the events. `warm()` reads them in the background, a chunk at a time,
 * so that the first sort by name does not wait for every row.
 */
export class CustomerNames {
  private held: Held | null = null
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly db: Database,
    private readonly chunk = READ_CHUNK,
  ) {}

  /**
   * The name of the customer of each conversation, given by its number in `dictionaries` (-1 for
   * none); null for a conversation or customer not cached, or a customer without a name.
   */
  of(dictionaries: EventDictionaries, conversations: Int32Array): (string | null)[] {
    const held = this.fresh(dictionaries)
    while (!this.readSome(held, Infinity));
    const names = new Array<string | null>(conversations.length)
    for (let r = 0; r < conversations.length; r++) {
      const n = conversations[r]!
      const customer = n < 0 || n >= held.customerOf.length ? -1 : held.customerOf[n]!
      names[r] = customer < 0 ? null : (held.names[customer] ?? null)
    }
    return names
  }

  warm(dictionaries: EventDictionaries): void {
    if (this.timer) return
    const step = (): void => {
      this.timer = null
      try {
        if (!this.readSome(this.fresh(dictionaries), this.chunk)) {
          this.timer = setTimeout(step, 0)
          this.timer.unref()
        }
      } catch {
        // A cache being closed or started afresh: the next sort reads what it needs.
      }
    }
    this.timer = setTimeout(step, 0)
    this.timer.unref()
  }

  /** What is held, or a new empty start when it no longer matches the cache or the dictionaries. */
  private fresh(dictionaries: EventDictionaries): Held {
    const changes = stmt(this.db, 'SELECT count FROM customer_name_changes').pluck().get() as number
    if (this.held === null || this.held.dictionaries !== dictionaries || this.held.changes !== changes) {
      this.held = { dictionaries, customerOf: new Int32Array(0), names: [], conversationRowid: 0, customerRowid: 0, changes }
    }
    return this.held
  }

  /** Reads up to `limit` rows written since; true once none is left. */
  private readSome(held: Held, limit: number): boolean {
    const { conversations, names } = held.dictionaries
    const customers = stmt(this.db, 'SELECT rowid, id, name FROM customers WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .raw()
      .all(held.customerRowid, limit === Infinity ? -1 : limit) as [number, string, string | null][]
    for (const [rowid, id, name] of customers) {
      held.names[names.of(id)] = name
      held.customerRowid = rowid
    }
    if (customers.length === limit) return false
    const rest = limit - customers.length
    const moved = stmt(this.db, 'SELECT rowid, id, customer_id FROM conversations WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .raw()
      .all(held.conversationRowid, rest === Infinity ? -1 : rest) as [number, string, string][]
    for (const [rowid, id, customerId] of moved) {
      const n = conversations.of(id)
      if (n >= held.customerOf.length) held.customerOf = grown(held.customerOf, Math.max(1024, n + 1, held.customerOf.length * 2))
      held.customerOf[n] = names.of(customerId)
      held.conversationRowid = rowid
    }
    return moved.length < rest
  }
}

function grown(from: Int32Array, length: number): Int32Array {
  const to = new Int32Array(length).fill(-1)
  to.set(from)
  return to
}
