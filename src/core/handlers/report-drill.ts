import type { Database } from 'better-sqlite3'
import type { ReportConversation } from '../../shared/ipc'
import { conversationRowsOverColumns, measureOfRows, rowAt, rowPositions, wrapUpIds, wrapUpTexts, type ConversationRow, type RowPositions } from '../../shared/reporting/csv'
import { drillOrder, type DrillSort, type Page } from '../../shared/reporting/drill-pages'
import type { EventColumns } from '../../shared/reporting/event-columns'
import { ListedColumns } from '../db/listed-columns'
import { listedConversations, summariesById, type ListedConversation } from '../db/report-queries'
import { IpcError } from '../errors'

/** The events a report was computed from, and the conversations behind each of its figures. */
export interface ReportWindow {
  columns: EventColumns
  lo: number
  hi: number
  drill: Record<string, string[]>
}

/**
 * The conversations behind one figure, a page at a time. In the figure's own order only the
 * page's rows are read from the events. A sort needs one field of every row: where the events of
 * the figure last sorted are (rowPositions) is kept while its report stands, with each order
 * asked for, so turning a page or sorting again reads nothing twice, and rows are built for the
 * page shown. Names and subjects are read from the cache for that page; a sort by customer name,
 * subject or status takes their ranks for every row from memory (ListedColumns), since a hundred
 * thousand lookups in the cache cost a third of a second.
 */
export class DrillLists {
  private last: { window: ReportWindow; key: string; at: RowPositions; orders: Map<string, Int32Array> } | null = null
  private readonly listedColumns: ListedColumns

  constructor(private readonly db: Database) {
    this.listedColumns = new ListedColumns(db)
  }

  page(window: ReportWindow, key: string, timeZone: string, sort: DrillSort | undefined, page: { offset: number; limit: number }): Page<ReportConversation> {
    let total: number
    let shown: ConversationRow[]
    if (sort) {
      const list = this.list(window, key)
      const order = this.order(list, sort)
      total = order.length
      shown = []
      for (let i = page.offset; i < Math.min(total, page.offset + page.limit); i++) shown.push(rowAt(list.at, order[i]!))
    } else {
      // In the figure's own order, only the page's rows are needed.
      const ids = figureIds(window, key)
      total = ids.length
      shown = conversationRowsOverColumns(window.columns, window.lo, window.hi, ids.slice(page.offset, page.offset + page.limit), timeZone).rows
    }
    const listed = listedConversations(this.db, shown.map((row) => row.id))
    const wrapUps = wrapUpTexts(summariesById(this.db, wrapUpIds(shown)))
    return { total, offset: page.offset, rows: shown.map((row) => reportConversation(row, listed.get(row.id), wrapUps.get(row.id))) }
  }

  /** After a report: its drill-downs may be sorted by name, subject or status next. */
  warm(window: ReportWindow): void {
    this.listedColumns.warm(window.columns.dictionaries)
  }

  /** Every row, with what the cache knows of each: for the CSV. */
  all(window: ReportWindow, key: string, timeZone: string): ReportConversation[] {
    const rows = conversationRowsOverColumns(window.columns, window.lo, window.hi, figureIds(window, key), timeZone).rows
    const listed = listedConversations(this.db, rows.map((row) => row.id))
    const wrapUps = wrapUpTexts(summariesById(this.db, wrapUpIds(rows)))
    return rows.map((row) => reportConversation(row, listed.get(row.id), wrapUps.get(row.id)))
  }

  private list(window: ReportWindow, key: string): NonNullable<DrillLists['last']> {
    if (this.last?.window === window && this.last.key === key) return this.last
    this.last = { window, key, at: rowPositions(window.columns, window.lo, window.hi, figureIds(window, key)), orders: new Map() }
    return this.last
  }

  private order(list: NonNullable<DrillLists['last']>, sort: DrillSort): Int32Array {
    const name = `${sort.field}:${sort.descending}`
    let order = list.orders.get(name)
    if (!order) {
      const { field } = sort
      let values: (string | number | null)[] | Float64Array | Int32Array
      if (field === 'customerName' || field === 'subject' || field === 'status') {
        values = this.listedColumns.ranks(list.at.columns.dictionaries, field, conversationNumbers(list.at))
      } else if (field === 'channel' || field === 'inbox') values = list.at.ids.map((_, r) => rowAt(list.at, r)[field])
      else values = measureOfRows(list.at, field)
      order = drillOrder(values, sort.descending)
      list.orders.set(name, order)
    }
    return order
  }
}

/** Each row's conversation as its number in the events' dictionary, from its first event in the window (-1 for one not in it). */
function conversationNumbers(at: RowPositions): Int32Array {
  const numbers = new Int32Array(at.ids.length)
  for (let r = 0; r < numbers.length; r++) {
    const s = at.slot[r]!
    const first = s >= 0 ? at.first[s]! : -1
    numbers[r] = first >= 0 ? at.columns.conversation[first]! : at.columns.dictionaries.conversations.find(at.ids[r]!)
  }
  return numbers
}

function figureIds(window: ReportWindow, key: string): string[] {
  const ids = window.drill[key]
  if (!ids) throw new IpcError('not_found', `no figure "${key}" in this report`)
  return ids
}

function reportConversation(row: ConversationRow, listed: ListedConversation | undefined, wrapUp: string | undefined): ReportConversation {
  // Spelled out: tens of thousands of rows for a CSV, and spreading one object into another costs several times more.
  return {
    id: row.id,
    customerId: row.customerId,
    inbox: row.inbox,
    team: row.team,
    channel: row.channel,
    agentId: row.agentId,
    createdAt: row.createdAt,
    firstResponseCalendarMs: row.firstResponseCalendarMs,
    firstResponseBusinessMs: row.firstResponseBusinessMs,
    resolutionCalendarMs: row.resolutionCalendarMs,
    resolutionBusinessMs: row.resolutionBusinessMs,
    reopened: row.reopened,
    csatSurveyed: row.csatSurveyed,
    csatRating: row.csatRating,
    wrapUp: wrapUp ?? null,
    customerName: listed?.customerName ?? null,
    subject: listed?.subject ?? null,
    status: listed?.status ?? null,
  }
}
