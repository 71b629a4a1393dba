import type { Database } from 'better-sqlite3'
import { CONVERSATION_STATUSES, type ConversationStatus } from '../../shared/domain'
import type { DrillSortField } from '../../shared/reporting/drill-pages'
import type { EventDictionaries } from '../../shared/reporting/event-columns'
import { stmt } from './statements'
import { TextRanks } from './text-ranks'

/** Rows read per statement while the columns are read in the background. */
const READ_CHUNK = 20_000
const NO_STATUS = 255
/** By a status's place in CONVERSATION_STATUSES: its place among them in the order of texts. */
const STATUS_RANKS = Int32Array.from(CONVERSATION_STATUSES, (status) => [...CONVERSATION_STATUSES].sort().indexOf(status))

/** The fields of a drill-down's rows held here. */
export type ListedField = Extract<DrillSortField, 'customerName' | 'subject' | 'status'>

interface Held {
  dictionaries: EventDictionaries
  /** By conversation number: the number of its customer now (in the names dictionary), -1 where none is known. */
  customerOf: Int32Array
  /** By conversation number: its status's place in CONVERSATION_STATUSES, NO_STATUS where none is known. */
  statusOf: Uint8Array
  /** By conversation number. */
  subjects: TextRanks
  /** By customer number. */
  names: TextRanks
  conversationRowid: number
  customerRowid: number
  /** The last row of `conversation_listing_changes` read. */
  changeSeq: number
  /** `listing_reloads` when read: a change means a row read was deleted or a customer renamed. */
  reloads: number
}

/**
 * At every open: the changes named since the last read are of no use to a new process, which reads
 * everything. The count tells a copy another process may hold to read everything again too.
 */
export function clearListingChanges(db: Database): void {
  db.exec('DELETE FROM conversation_listing_changes; UPDATE listing_reloads SET count = count + 1')
}

/**
 * What a drill-down list shows of each cached conversation — its customer's name, its subject and
 * status — as ranks in memory, numbered by the reporting events' dictionaries: sorting a list of
 * up to 100,000 conversations by one of them needs it for every row, which from SQLite costs
 * several index lookups a row, and comparing ranks instead of texts makes the sort itself several
 * times faster. New rows are read by rowid; a conversation whose customer, status or
 * subject changed is named in `conversation_listing_changes` and read again; a row deleted or a
 * customer renamed, which `listing_reloads` counts, has everything read again, as do dictionaries
 * rebuilt with the events (migration 23). `warm()` reads them in the background, a chunk at a
 * time, so that the first sort does not wait for every row.
 */
export class ListedColumns {
  private held: Held | null = null
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly db: Database,
    private readonly chunk = READ_CHUNK,
  ) {}

  /**
   * One field of each conversation, given by its number in `dictionaries` (-1 for none), as its
   * rank among the values of that field (drillOrder's order of texts; equal values, equal ranks):
   * -1 for a conversation or customer not cached, or a field without a value.
   */
  ranks(dictionaries: EventDictionaries, field: ListedField, conversations: Int32Array): Int32Array {
    const held = this.fresh(dictionaries)
    while (!this.readSome(held, Infinity));
    const ranks = new Int32Array(conversations.length).fill(-1)
    const known = (n: number) => n >= 0 && n < held.customerOf.length
    if (field === 'status') {
      for (let r = 0; r < ranks.length; r++) {
        const n = conversations[r]!
        if (known(n) && held.statusOf[n] !== NO_STATUS) ranks[r] = STATUS_RANKS[held.statusOf[n]!]!
      }
    } else if (field === 'subject') {
      const rankOf = held.subjects.ranks()
      for (let r = 0; r < ranks.length; r++) ranks[r] = rankOf[conversations[r]!] ?? -1
    } else {
      const rankOf = held.names.ranks()
      for (let r = 0; r < ranks.length; r++) {
        const n = conversations[r]!
        if (known(n)) ranks[r] = rankOf[held.customerOf[n]!] ?? -1
      }
    }
    return ranks
  }

  warm(dictionaries: EventDictionaries): void {
    if (this.timer) return
    const step = (): void => {
      this.timer = null
      try {
        const held = this.fresh(dictionaries)
        if (!this.readSome(held, this.chunk)) {
          this.timer = setTimeout(step, 0)
          this.timer.unref()
        } else {
          // Sorting the texts is the rest of a first sort's wait.
          held.names.ranks()
          held.subjects.ranks()
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
    const reloads = stmt(this.db, 'SELECT count FROM listing_reloads').pluck().get() as number
    if (this.held === null || this.held.dictionaries !== dictionaries || this.held.reloads !== reloads) {
      const changeSeq = (stmt(this.db, 'SELECT max(seq) FROM conversation_listing_changes').pluck().get() as number | null) ?? 0
      this.held = {
        dictionaries,
        customerOf: new Int32Array(0),
        statusOf: new Uint8Array(0),
        subjects: new TextRanks(),
        names: new TextRanks(),
        conversationRowid: 0,
        customerRowid: 0,
        changeSeq,
        reloads,
      }
    }
    return this.held
  }

  /** Reads up to `limit` rows written or changed since; true once none is left. */
  private readSome(held: Held, limit: number): boolean {
    const { names } = held.dictionaries
    const customers = stmt(this.db, 'SELECT rowid, id, name FROM customers WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .raw()
      .all(held.customerRowid, limit === Infinity ? -1 : limit) as [number, string, string | null][]
    for (const [rowid, id, name] of customers) {
      held.names.set(names.of(id), name)
      held.customerRowid = rowid
    }
    let rest = limit - customers.length
    if (rest === 0) return false
    const added = stmt(this.db, 'SELECT rowid, id, customer_id, status, subject FROM conversations WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .raw()
      .all(held.conversationRowid, rest === Infinity ? -1 : rest) as [number, string, string, ConversationStatus, string | null][]
    for (const [rowid, id, customerId, status, subject] of added) {
      hold(held, id, customerId, status, subject)
      held.conversationRowid = rowid
    }
    rest -= added.length
    if (rest === 0) return false
    // Conversations read before and changed since; those written since were read above.
    const changed = stmt(this.db, 'SELECT seq, conversation_id FROM conversation_listing_changes WHERE seq > ? ORDER BY seq LIMIT ?')
      .raw()
      .all(held.changeSeq, rest === Infinity ? -1 : rest) as [number, string][]
    if (changed.length === 0) return true
    const now = stmt(this.db, 'SELECT id, customer_id, status, subject FROM conversations WHERE id IN (SELECT value FROM json_each(?))')
      .raw()
      .all(JSON.stringify(changed.map(([, id]) => id))) as [string, string, ConversationStatus, string | null][]
    for (const [id, customerId, status, subject] of now) hold(held, id, customerId, status, subject)
    held.changeSeq = changed[changed.length - 1]![0]
    return changed.length < rest
  }
}

function hold(held: Held, id: string, customerId: string, status: ConversationStatus, subject: string | null): void {
  const n = held.dictionaries.conversations.of(id)
  if (n >= held.customerOf.length) {
    const length = Math.max(1024, n + 1, held.customerOf.length * 2)
    const customerOf = new Int32Array(length).fill(-1)
    customerOf.set(held.customerOf)
    const statusOf = new Uint8Array(length).fill(NO_STATUS)
    statusOf.set(held.statusOf)
    held.customerOf = customerOf
    held.statusOf = statusOf
  }
  held.customerOf[n] = held.dictionaries.names.of(customerId)
  held.statusOf[n] = CONVERSATION_STATUSES.indexOf(status)
  held.subjects.set(n, subject)
}
