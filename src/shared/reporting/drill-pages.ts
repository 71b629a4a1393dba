import { z } from 'zod'

/**
 * The conversations behind a figure come a page at a time: a busy figure stands for a hundred
 * thousand of them, which no one reads at once and which would cost seconds to hand over whole.
 */
export const DRILL_PAGE_SIZE = 100

export const PageArgs = z.object({
  offset: z.number().int().min(0).max(100_000_000).default(0),
  limit: z.number().int().min(1).max(1_000).default(DRILL_PAGE_SIZE),
})

/** Rows from `offset` of a list `total` long. */
export interface Page<T> {
  total: number
  offset: number
  rows: T[]
}

/** The fields of a report's drill-down rows (ReportConversation) it can be sorted by. */
export const DRILL_SORT_FIELDS = [
  'customerName',
  'subject',
  'status',
  'channel',
  'inbox',
  'createdAt',
  'firstResponseCalendarMs',
  'firstResponseBusinessMs',
  'resolutionCalendarMs',
  'resolutionBusinessMs',
  'reopened',
  'csatRating',
] as const
export type DrillSortField = (typeof DRILL_SORT_FIELDS)[number]

/** Rows without a value come last in either direction; ties keep the figure's own order. */
export const DrillSort = z.object({ field: z.enum(DRILL_SORT_FIELDS), descending: z.boolean().default(false) })
export type DrillSort = z.infer<typeof DrillSort>

/** What a text sorts by in a drill-down: itself ignoring case; empty sorts as no value. */
export function textSortKey(text: string | null | undefined): string | null {
  return text ? text.toLowerCase() : null
}

/**
 * A list's order by one field: texts ignoring case, numbers by value, missing values (null, NaN
 * among numbers given as a Float64Array, -1 among ranks given as an Int32Array) last, ties by
 * position.
 */
export function drillOrder(values: readonly (string | number | null)[] | Float64Array | Int32Array, descending: boolean): Int32Array {
  if (values instanceof Int32Array) return rankOrder(values, descending)
  const sign = descending ? -1 : 1
  const order = new Int32Array(values.length)
  for (let i = 0; i < order.length; i++) order[i] = i
  if (values instanceof Float64Array) {
    return order.sort((a, b) => {
      const x = values[a]!
      const y = values[b]!
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1
      return (x < y ? -sign : x > y ? sign : 0) || a - b
    })
  }
  const keys = values.map((v) => (typeof v === 'string' ? textSortKey(v) : v))
  return order.sort((a, b) => {
    const x = keys[a] ?? null
    const y = keys[b] ?? null
    if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1
    return (x < y ? -sign : x > y ? sign : 0) || a - b
  })
}

/**
 * Ranks (small integers) sorted as numbers, each made one key with its position, so that the
 * typed array's own sort needs no comparison function: several times faster over 100,000 rows.
 */
function rankOrder(ranks: Int32Array, descending: boolean): Int32Array {
  const n = ranks.length
  let top = 0
  for (let i = 0; i < n; i++) if (ranks[i]! > top) top = ranks[i]!
  const none = top + 1
  if ((none + 1) * n > Number.MAX_SAFE_INTEGER) return drillOrder(Float64Array.from(ranks, (rank) => (rank < 0 ? NaN : rank)), descending)
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const rank = ranks[i]!
    keys[i] = (rank < 0 ? none : descending ? top - rank : rank) * n + i
  }
  keys.sort()
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = keys[i]! % n
  return order
}
