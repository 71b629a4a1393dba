import { DateTime, IANAZone } from 'luxon'
import { z } from 'zod'
import { CHANNELS, Channel, Id } from '../domain'
import { columnsOf, EventColumns, KIND_NUMBER, NONE } from './event-columns'
import { REOPEN_HORIZON_MS, SlaTarget, type ReportingEvent } from './events'
import { ReportQuery } from './report-query'
import { SATISFIED_FROM } from '../csat'

/**
 * Supervisors' figures, computed from reporting events alone. The client core runs this over its
 * cache and the server over its store, so both answer the same numbers for the same query. Every
 * figure comes with the conversations behind it (`drill`), so a number can be opened.
 *
 * Which events count: those at or after `from` and before `to` that pass the filters, each
 * judged on its own inbox, channel, team and agent at the time. Whether a conversation counts as
 * resolved at first contact, or switched channel, depends on what happened to it before and
 * after, so those read every event given for it, outside the range or the filters too: callers
 * pass the events of a week past `to` (REOPEN_HORIZON_MS), and earlier ones of the same
 * conversations where they have them.
 */

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
/** A customer who changes channel later than this after writing is taken to be starting afresh, not chasing an answer. */
const SWITCH_WINDOW_MS = 7 * DAY_MS
const TOP_PATHS = 10

const Count = z.number().int().nonnegative()
/** From 0 to 1; null when there was nothing to divide. */
const Share = z.number().min(0).max(1).nullable()
const Ms = z.number().int().nonnegative().nullable()

/**
 * Percentiles by the nearest-rank method: the p-th is the ⌈p·n⌉-th smallest of the n values, a
 * wait that really happened (no interpolation), and the median of an even count is the lower of
 * the middle two. Null with no values.
 */
export const Percentiles = z.object({ median: Ms, p90: Ms })
export type Percentiles = z.infer<typeof Percentiles>

export const Durations = z.object({
  /** Measurements, not conversations: a conversation resolved twice in the range is measured twice. */
  samples: Count,
  calendar: Percentiles,
  /** Within the inbox's business hours in force at the time. */
  business: Percentiles,
})
export type Durations = z.infer<typeof Durations>

export const Medians = z.object({ calendar: Ms, business: Ms })
export type Medians = z.infer<typeof Medians>

/**
 * Answers to satisfaction surveys, one per conversation: a customer who answers again counts
 * once, with their latest rating in the range. Promoters rated 4 or 5. `surveys` counts the
 * conversations a survey went out for in the range, and `responded` those of them answered since
 * (within the week after the range that a report reads): the response rate is their share.
 */
export const CsatAnswers = z.object({ answers: Count, promoters: Count, share: Share })
export const Csat = CsatAnswers.extend({ surveys: Count, responded: Count, responseRate: Share })
export type Csat = z.infer<typeof Csat>

export const AgentRow = z.object({
  agentId: Id,
  /** Conversations assigned to them. */
  assigned: Count,
  /** Their replies, each one: a count of messages, not of conversations. */
  replies: Count,
  /** Conversations they resolved. */
  resolved: Count,
  firstResponse: Medians,
  resolution: Medians,
  /** Answers about conversations that were theirs when the customer answered. */
  csat: CsatAnswers,
})
export type AgentRow = z.infer<typeof AgentRow>

export const ChannelPath = z.object({
  /** As shown: "chat → email → voice". */
  path: z.string(),
  channels: z.array(Channel).min(2),
  conversations: Count,
})
export type ChannelPath = z.infer<typeof ChannelPath>

export const Report = z.object({
  query: ReportQuery,
  /** Conversations created in the range. */
  created: Count,
  /** Conversations resolved in the range, once each however often. */
  resolved: Count,
  firstResponse: Durations,
  resolution: Durations,
  /**
   * Of the conversations resolved in the range, those whose first resolution fell in the range,
   * was not followed by a reopen (or another resolution) within 7 days, and by when
   * exactly one agent had been assigned it, replied in it or resolved it.
   */
  firstContactResolution: z.object({ resolved: Count, firstContact: Count, rate: Share }),
  /** Conversations reopened in the range over conversations resolved in it: it passes 1 in a range that reopens more than it resolves. */
  reopens: z.object({ reopened: Count, resolved: Count, rate: z.number().nonnegative().nullable() }),
  csat: Csat,
  /** Conversations with an SLA target breached in the range, in all and by target: a conversation breaching two targets counts once in all. */
  sla: z.object({ breached: Count, byTarget: z.record(SlaTarget, Count) }),
  /** Conversations created per local day (in the query's time zone) and channel: every day the range touches, zeros included. */
  volume: z.array(z.object({ day: z.iso.date(), counts: z.record(Channel, Count) })),
  /** Conversations created per local weekday (1 Monday … 7 Sunday) and hour (0–23): seven rows in that order. */
  heat: z.array(z.object({ weekday: z.number().int().min(1).max(7), hours: z.array(Count).length(24) })).length(7),
  /** Conversations created outside their inbox's business hours. */
  afterHours: z.object({ created: Count, afterHours: Count, share: Share }),
  /** One row per agent an event in the range is about, by id. */
  agents: z.array(AgentRow),
  /**
   * Customers with an event in the range, and those of them with a conversation that changed
   * channel within 7 days of its creation. A conversation is its customer's on its latest event
   * in the range (after a merge, the customer it was merged into). `conversations` counts the
   * conversations that changed; `paths` the commonest routes they took, most taken first.
   */
  switching: z.object({
    customers: Count,
    switchedCustomers: Count,
    rate: Share,
    conversations: Count,
    paths: z.array(ChannelPath).max(TOP_PATHS),
  }),
  /**
   * The conversations behind each figure, by `drillKey`, in the order of their earliest event
   * given (by time, then id). A figure counting conversations has exactly that many; a figure of
   * zero may have no entry.
   */
  drill: z.record(z.string(), z.array(Id)),
})
export type Report = z.infer<typeof Report>

export type AgentFigure = 'assigned' | 'replies' | 'resolved' | 'firstResponse' | 'resolution' | 'csat.answers' | 'csat.promoters'

/** The keys of `Report.drill`: build them here rather than parse them, as agent ids may hold dots. */
export const drillKey = {
  created: 'created',
  resolved: 'resolved',
  firstResponse: 'firstResponse',
  resolution: 'resolution',
  fcr: 'fcr',
  reopened: 'reopened',
  csatAnswers: 'csat.answers',
  csatPromoters: 'csat.promoters',
  csatSurveys: 'csat.surveys',
  csatResponded: 'csat.responded',
  afterHours: 'afterHours',
  switched: 'switch',
  slaBreached: 'sla.breached',
  slaBreachedTarget: (target: SlaTarget) => `sla.breached.${target}`,
  volume: (day: string, channel: Channel) => `volume.${day}.${channel}`,
  heat: (weekday: number, hour: number) => `heat.${weekday}.${hour}`,
  agent: (agentId: string, figure: AgentFigure) => `agent.${agentId}.${figure}`,
  path: (path: string) => `switch.${path}`,
} as const

// ——— Percentiles ———

/** Moves the k-th smallest of a[left..right] to a[k], smaller ones before it and larger after (Hoare's select). */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    const pivot = a[(left + right) >>> 1]!
    let i = left
    let j = right
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i++] = a[j]!
        a[j--] = t
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else return
  }
}

/** Nearest-rank percentiles (see `Percentiles`) in increasing order of `ps`, without sorting the values. */
function nearestRanks(values: readonly number[], ps: readonly number[]): (number | null)[] {
  const n = values.length
  if (n === 0) return ps.map(() => null)
  const a = Float64Array.from(values)
  let left = 0
  return ps.map((p) => {
    const k = Math.max(0, Math.ceil(p * n) - 1)
    select(a, k, left, n - 1)
    // Everything after k is at least a[k], so the next, higher rank is found among those.
    left = k
    return a[k]!
  })
}

function percentiles(values: readonly number[]): Percentiles {
  const [median = null, p90 = null] = nearestRanks(values, [0.5, 0.9])
  return { median, p90 }
}

const median = (values: readonly number[]): number | null => nearestRanks(values, [0.5])[0] ?? null

const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole)

// ——— Local days and hours ———

interface LocalDay {
  start: number
  iso: string
  weekday: number
  /** The zone's offset all day long; null on a day the clocks change, read event by event. */
  offsetMs: number | null
}

/**
 * The local days the range touches. Luxon is asked only where the clocks change: once per event
 * it would cost more than the rest of the report.
 */
function localDays(from: number, to: number, timeZone: string): LocalDay[] {
  const zone = IANAZone.create(timeZone)
  if (!zone.isValid) throw new Error(`not a time zone name: ${timeZone}`)
  const days: LocalDay[] = []
  let start = DateTime.fromMillis(from, { zone }).startOf('day').toMillis()
  let offset = zone.offset(start)
  while (start < to) {
    // The next local midnight if the offset holds. A day may begin after midnight (clocks put
    // forward at midnight skip it), so this counts from the day's date, not 24 hours on.
    const offsetMs = offset * 60_000
    let end = (Math.floor((start + offsetMs) / DAY_MS) + 1) * DAY_MS - offsetMs
    let endOffset = zone.offset(end)
    // Two changes within one day would go unseen; no zone has had them.
    if (endOffset !== offset) {
      end = DateTime.fromMillis(start, { zone }).plus({ days: 1 }).startOf('day').toMillis()
      endOffset = zone.offset(end)
    }
    const local = new Date(start + offsetMs)
    days.push({
      start,
      iso: local.toISOString().slice(0, 10),
      weekday: local.getUTCDay() || 7,
      offsetMs: endOffset === offset ? offsetMs : null,
    })
    start = end
    offset = endOffset
  }
  return days
}

function dayIndex(days: readonly LocalDay[], at: number): number {
  let lo = 0
  let hi = days.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (days[mid]!.start <= at) lo = mid
    else hi = mid - 1
  }
  return lo
}

function localHour(day: LocalDay, at: number, zone: string): number {
  if (day.offsetMs === null) return DateTime.fromMillis(at, { zone }).hour
  const local = at + day.offsetMs
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS)
}

// ——— The report ———

const set = (values: readonly string[] | undefined): ReadonlySet<string> | null => (values ? new Set(values) : null)

// What a conversation did in the range, as bits,
const ACTIVE = 1
const RESOLVED = 2
const REOPENED = 4
const FIRST_RESPONDED = 8
// and at any time.
const EVER_REOPENED = 16
const EVER_SWITCHED = 32
// In the range again: a survey went out, and an SLA target was breached.
const SURVEYED = 64
const BREACHED = 128
// What a conversation's first creation event was, as bits.
const COUNTS = 1
const AFTER_HOURS = 2

/** The figures a conversation counts in, as bit numbers of its `member` word in a report. */
const M = {
  created: 0,
  resolved: 1,
  firstResponded: 2,
  reopened: 3,
  fcr: 4,
  answered: 5,
  promoter: 6,
  surveyed: 7,
  responded: 8,
  afterHours: 9,
  switched: 10,
  breached: 11,
  /** One bit per SLA target from here, in the order of SlaTarget.options. */
  breachedTarget: 12,
} as const
const MEMBER_BITS = M.breachedTarget + SlaTarget.options.length

/** The agent figures whose conversations are listed, in the order of `AgentTally.lists`. */
const LISTED: readonly AgentFigure[] = ['assigned', 'replies', 'resolved', 'firstResponse']
const [ASSIGNED, REPLIED, RESOLVED_BY, FIRST_RESPONSE_BY] = [0, 1, 2, 3] as const

const K = KIND_NUMBER

interface AgentTally {
  id: string
  /** An event in the range is about them in a way the table shows, so they have a row. */
  counted: boolean
  replies: number
  /** The conversations of each of LISTED, by number, in the order met and perhaps repeated. */
  lists: number[][]
  firstResponseCalendar: number[]
  firstResponseBusiness: number[]
  resolutionCalendar: number[]
  resolutionBusiness: number[]
  answers: string[]
  promoters: string[]
}

/**
 * Working arrays kept from one report to the next. A month of a busy team's events needs some
 * twenty arrays of a hundred thousand entries; allocated afresh, they left much of a report's
 * time to the garbage collector. A report is computed synchronously, start to end, so one set
 * serves every report, and none of them outlives its report.
 */
class Scratch {
  private readonly arrays = { i32: [] as Int32Array[], f64: [] as Float64Array[], u8: [] as Uint8Array[] }
  private readonly used = { i32: 0, f64: 0, u8: 0 }

  /** Starts a report: every array is free again. */
  reset(): void {
    this.used.i32 = this.used.f64 = this.used.u8 = 0
  }

  i32(length: number, fill: number): Int32Array {
    return this.take('i32', length, (n) => new Int32Array(n)).fill(fill)
  }

  f64(length: number, fill: number): Float64Array {
    return this.take('f64', length, (n) => new Float64Array(n)).fill(fill)
  }

  u8(length: number, fill: number): Uint8Array {
    return this.take('u8', length, (n) => new Uint8Array(n)).fill(fill)
  }

  private take<K extends keyof Scratch['arrays'], A extends Scratch['arrays'][K][number]>(kind: K, length: number, make: (n: number) => A): A {
    const pool = this.arrays[kind] as A[]
    const k = this.used[kind]++
    let array = pool[k]
    // A little room to grow, so a report a few events longer than the last reuses its arrays.
    if (!array || array.length < length) pool[k] = array = make(Math.ceil(length * 1.25) + 16)
    return array.subarray(0, length) as A
  }
}

const scratch = new Scratch()

/**
 * The conversations of events `lo` to `hi` numbered from 0 in the order of their earliest event
 * there, so that going through them by number lists every drill-down in that order.
 */
function indexConversations(columns: EventColumns, lo: number, hi: number): { of: Int32Array; ids: string[] } {
  const all = columns.dictionaries.conversations.values
  const local = scratch.i32(all.length, -1)
  const ids: string[] = []
  const of = scratch.i32(hi - lo, 0)
  for (let i = lo; i < hi; i++) {
    const c = columns.conversation[i]!
    let k = local[c]!
    if (k < 0) {
      k = ids.length
      local[c] = k
      ids.push(all[c]!)
    }
    of[i - lo] = k
  }
  return { of, ids }
}

/** The numbers of these names in the columns' dictionary, as a membership table; null for no filter. */
function memberTable(columns: EventColumns, values: readonly string[] | undefined): Uint8Array | null {
  if (!values) return null
  const names = columns.dictionaries.names
  const table = new Uint8Array(names.values.length)
  for (const value of values) {
    const n = names.find(value)
    if (n >= 0) table[n] = 1
  }
  return table
}

/**
 * The report for `query` from the events given, in any order. `conversations` gives the labels
 * of the conversations the labels filter needs; one missing has none.
 */
export function computeReport(
  events: readonly ReportingEvent[],
  conversations: ReadonlyMap<string, { labels: readonly string[] }>,
  query: ReportQuery,
): Report {
  const columns = columnsOf(events)
  return reportOverColumns(columns, 0, columns.length, conversations, query)
}

/**
 * The report for `query` from events `lo` to `hi` of `columns`: the client core's cache keeps
 * its events as columns and passes the range's, and a week either side.
 */
export function reportOverColumns(
  columns: EventColumns,
  lo: number,
  hi: number,
  conversations: ReadonlyMap<string, { labels: readonly string[] }>,
  query: ReportQuery,
): Report {
  const { from, to, timeZone } = query
  const inboxes = memberTable(columns, query.filters?.inboxes)
  const teams = memberTable(columns, query.filters?.teams)
  const agentsOnly = memberTable(columns, query.filters?.agents)
  const channelFilter = set(query.filters?.channels)
  const channels = channelFilter ? Uint8Array.from(CHANNELS, (c) => (channelFilter.has(c) ? 1 : 0)) : null
  const labels = query.filters?.labels ?? null
  const { at: atOf, kind: kindOf, customer: customerOf, agent: agentOfEvent, calendarMs: calendarOf, businessMs: businessOf } = columns

  scratch.reset()
  const { of, ids } = indexConversations(columns, lo, hi)
  const n = ids.length
  const labelled = scratch.u8(n, 1)
  if (labels !== null) {
    for (let k = 0; k < n; k++) {
      const has = conversations.get(ids[k]!)?.labels ?? []
      labelled[k] = labels.some((l) => has.includes(l)) ? 1 : 0
    }
  }

  // Per conversation, by its number. Events come in order, so a conversation's first event of a
  // kind is the first met and its latest the last.
  const flags = scratch.u8(n, 0)
  // Its first creation event, and what the figures need of it, kept here so the end need not look the event up again.
  const creation = scratch.i32(n, -1)
  const creationBits = scratch.u8(n, 0)
  const firstResolutionAt = scratch.f64(n, NaN)
  const secondResolutionAt = scratch.f64(n, Infinity)
  const firstResolutionCounts = scratch.u8(n, 0)
  const answer = scratch.i32(n, -1)
  // The SLA targets it breached in the range, as bits by their number.
  const breachedTargets = scratch.u8(n, 0)
  // Its first survey in the range, and its latest answer of any time read.
  const surveyAt = scratch.f64(n, Infinity)
  const lastAnswerAt = scratch.f64(n, -Infinity)
  // The customer on its latest event in the range: one a merge moved it to, rather than the one it was merged out of.
  const customer = scratch.i32(n, -1)
  const reopenedAt = new Map<number, number[]>()
  const switches = new Map<number, number[]>()
  // The two agents who handled it earliest, with the time each first did: enough to tell whether one agent alone had by any time.
  const firstAgent = scratch.i32(n, -1)
  const firstAgentAt = scratch.f64(n, Infinity)
  const secondAgentAt = scratch.f64(n, Infinity)
  // The last agent listed for the conversation under each figure: most repeats stop here, the rest when the lists are built.
  const lastListed = LISTED.map(() => scratch.i32(n, -1))

  const firstResponseCalendar: number[] = []
  const firstResponseBusiness: number[] = []
  const resolutionCalendar: number[] = []
  const resolutionBusiness: number[] = []
  // Agents by number: comparing numbers spares reading their ids again.
  const agentNumber = scratch.i32(columns.dictionaries.names.values.length, -1)
  const tallies: AgentTally[] = []
  const agentOf = (name: number): number => {
    let a = agentNumber[name]!
    if (a < 0) {
      a = tallies.length
      agentNumber[name] = a
      tallies.push({
        id: columns.dictionaries.names.values[name]!,
        counted: false,
        replies: 0,
        lists: LISTED.map(() => []),
        firstResponseCalendar: [],
        firstResponseBusiness: [],
        resolutionCalendar: [],
        resolutionBusiness: [],
        answers: [],
        promoters: [],
      })
    }
    return a
  }
  const list = (k: number, a: number, figure: number) => {
    const last = lastListed[figure]!
    if (last[k] === a) return
    last[k] = a
    tallies[a]!.lists[figure]!.push(k)
  }

  for (let i = lo; i < hi; i++) {
    const k = of[i - lo]!
    const at = atOf[i]!
    const kind = kindOf[i]!
    const inRange =
      labelled[k] === 1 &&
      at >= from &&
      at < to &&
      (inboxes === null || inboxes[columns.inbox[i]!] === 1) &&
      (channels === null || channels[columns.channel[i]!] === 1) &&
      (teams === null || (columns.team[i]! >= 0 && teams[columns.team[i]!] === 1)) &&
      (agentsOnly === null || (agentOfEvent[i]! >= 0 && agentsOnly[agentOfEvent[i]!] === 1))
    // What happened to the conversation at any time, for first-contact resolution and channel switching.
    let handling = false
    switch (kind) {
      case K.conversation_created:
        if (creation[k]! < 0) {
          creation[k] = i
          creationBits[k] = (inRange ? COUNTS : 0) | (columns.afterHours[i] === 1 ? AFTER_HOURS : 0)
        }
        break
      case K.resolved:
        handling = true
        if (Number.isNaN(firstResolutionAt[k]!)) {
          firstResolutionAt[k] = at
          firstResolutionCounts[k] = inRange ? 1 : 0
        } else if (secondResolutionAt[k] === Infinity) secondResolutionAt[k] = at
        break
      case K.reopened: {
        flags[k]! |= EVER_REOPENED
        const times = reopenedAt.get(k)
        if (times) times.push(at)
        else reopenedAt.set(k, [at])
        break
      }
      case K.csat_answered:
        lastAnswerAt[k] = at
        break
      case K.channel_switched: {
        flags[k]! |= EVER_SWITCHED
        const moves = switches.get(k)
        if (moves) moves.push(i)
        else switches.set(k, [i])
        break
      }
      case K.assigned:
      case K.first_response:
      case K.reply:
        handling = true
        break
      default:
        break
    }
    // Only handling needs the agent, and only up to `to`: whether one agent alone had handled a
    // conversation by a resolution in the range. Looking up the others' would be wasted.
    const a = handling && agentOfEvent[i]! >= 0 && at < to ? agentOf(agentOfEvent[i]!) : -1
    if (a >= 0) {
      if (firstAgent[k]! < 0) {
        firstAgent[k] = a
        firstAgentAt[k] = at
      } else if (firstAgent[k] !== a && secondAgentAt[k] === Infinity) secondAgentAt[k] = at
    }

    if (!inRange) continue
    flags[k]! |= ACTIVE
    if (customerOf[i]! >= 0) customer[k] = customerOf[i]!
    switch (kind) {
      case K.first_response:
        flags[k]! |= FIRST_RESPONDED
        if (!Number.isNaN(calendarOf[i]!)) firstResponseCalendar.push(calendarOf[i]!)
        if (!Number.isNaN(businessOf[i]!)) firstResponseBusiness.push(businessOf[i]!)
        if (a >= 0) {
          const t = tallies[a]!
          t.counted = true
          list(k, a, FIRST_RESPONSE_BY)
          if (!Number.isNaN(calendarOf[i]!)) t.firstResponseCalendar.push(calendarOf[i]!)
          if (!Number.isNaN(businessOf[i]!)) t.firstResponseBusiness.push(businessOf[i]!)
        }
        break
      case K.reply:
        if (a >= 0) {
          const t = tallies[a]!
          t.counted = true
          t.replies++
          list(k, a, REPLIED)
        }
        break
      case K.assigned:
        if (a >= 0) {
          tallies[a]!.counted = true
          list(k, a, ASSIGNED)
        }
        break
      case K.resolved:
        flags[k]! |= RESOLVED
        if (!Number.isNaN(calendarOf[i]!)) resolutionCalendar.push(calendarOf[i]!)
        if (!Number.isNaN(businessOf[i]!)) resolutionBusiness.push(businessOf[i]!)
        if (a >= 0) {
          const t = tallies[a]!
          t.counted = true
          list(k, a, RESOLVED_BY)
          if (!Number.isNaN(calendarOf[i]!)) t.resolutionCalendar.push(calendarOf[i]!)
          if (!Number.isNaN(businessOf[i]!)) t.resolutionBusiness.push(businessOf[i]!)
        }
        break
      case K.reopened:
        flags[k]! |= REOPENED
        break
      case K.csat_sent:
        flags[k]! |= SURVEYED
        if (surveyAt[k] === Infinity) surveyAt[k] = at
        break
      case K.csat_answered:
        if (columns.rating[i] !== NONE) answer[k] = i
        break
      case K.sla_breached:
        flags[k]! |= BREACHED
        if (columns.slaTarget[i] !== NONE) breachedTargets[k]! |= 1 << columns.slaTarget[i]!
        break
      default:
        break
    }
  }

  const days = localDays(from, to, timeZone)
  // Which figures each conversation counts in, as bits, and its cells of the volume chart and the
  // heat map: the lists of ids behind the figures are made from these only when a drill-down reads
  // them, so a report allocates no list of a hundred thousand ids for each of its figures.
  const member = new Uint32Array(n)
  const volumeCell = new Int32Array(n).fill(-1)
  const heatCell = new Int32Array(n).fill(-1)
  const tally = new Int32Array(MEMBER_BITS)
  const volumeCounts = new Int32Array(days.length * CHANNELS.length)
  const heatCounts = new Int32Array(7 * 24)
  const count = (k: number, bit: number): void => {
    member[k]! |= 1 << bit
    tally[bit]!++
  }
  // Customers by their number in the names dictionary: 1 with an event in the range, 2 switched too.
  const customerSeen = scratch.u8(columns.dictionaries.names.values.length, 0)
  let customers = 0
  let switchedCustomers = 0
  const paths = new Map<string, { channels: Channel[]; ids: string[] }>()

  for (let k = 0; k < n; k++) {
    const f = flags[k]!
    if ((f & ACTIVE) === 0) continue
    if (f & FIRST_RESPONDED) count(k, M.firstResponded)
    if (f & REOPENED) count(k, M.reopened)
    if (f & BREACHED) {
      count(k, M.breached)
      for (let t = 0; t < SlaTarget.options.length; t++) if (breachedTargets[k]! & (1 << t)) count(k, M.breachedTarget + t)
    }
    if (f & SURVEYED) {
      count(k, M.surveyed)
      if (lastAnswerAt[k]! >= surveyAt[k]!) count(k, M.responded)
    }

    // Created: once per conversation, by its first creation event, if that one counts.
    const made = creationBits[k]!
    if (made & COUNTS) {
      count(k, M.created)
      const at = atOf[creation[k]!]!
      const d = dayIndex(days, at)
      const day = days[d]!
      const cell = d * CHANNELS.length + columns.channel[creation[k]!]!
      volumeCell[k] = cell
      volumeCounts[cell]!++
      const hour = (day.weekday - 1) * 24 + localHour(day, at, timeZone)
      heatCell[k] = hour
      heatCounts[hour]!++
      if (made & AFTER_HOURS) count(k, M.afterHours)
    }

    if (f & RESOLVED) {
      count(k, M.resolved)
      if (firstResolutionCounts[k] === 1) {
        const at = firstResolutionAt[k]!
        const end = at + REOPEN_HORIZON_MS
        // Undone within 7 days: reopened, or resolved again (its reopen unrecorded).
        const undone = secondResolutionAt[k]! <= end || ((f & EVER_REOPENED) !== 0 && reopenedAt.get(k)!.some((t) => t >= at && t <= end))
        // One agent alone had handled it by then: the first to do so, and no second one yet.
        const oneAgent = firstAgentAt[k]! <= at && secondAgentAt[k]! > at
        if (!undone && oneAgent) count(k, M.fcr)
      }
    }

    const a = answer[k]!
    if (a >= 0) {
      const promoter = columns.rating[a]! >= SATISFIED_FROM
      count(k, M.answered)
      if (promoter) count(k, M.promoter)
      if (agentOfEvent[a]! >= 0) {
        const t = tallies[agentOf(agentOfEvent[a]!)]!
        t.counted = true
        t.answers.push(ids[k]!)
        if (promoter) t.promoters.push(ids[k]!)
      }
    }

    const who = customer[k]!
    if (who >= 0 && customerSeen[who] === 0) {
      customerSeen[who] = 1
      customers++
    }

    if ((f & EVER_SWITCHED) !== 0 && creation[k]! >= 0) {
      const route = switchedRoute(columns, switches.get(k)!, creation[k]!)
      if (route) {
        count(k, M.switched)
        if (who >= 0 && customerSeen[who] === 1) {
          customerSeen[who] = 2
          switchedCustomers++
        }
        const path = route.join(' → ')
        const entry = paths.get(path)
        if (entry) entry.ids.push(ids[k]!)
        else paths.set(path, { channels: route, ids: [ids[k]!] })
      }
    }
  }

  const drill: Record<string, string[]> = {}
  const listed = (keep: (k: number) => boolean) => once(() => ids.filter((_, k) => keep(k)))
  const withBit = (bit: number) => listed((k) => (member[k]! & (1 << bit)) !== 0)
  const resolvedList = withBit(M.resolved)
  for (const [key, list] of [
    [drillKey.created, withBit(M.created)],
    [drillKey.resolved, resolvedList],
    [drillKey.firstResponse, withBit(M.firstResponded)],
    [drillKey.resolution, resolvedList],
    [drillKey.fcr, withBit(M.fcr)],
    [drillKey.reopened, withBit(M.reopened)],
    [drillKey.csatAnswers, withBit(M.answered)],
    [drillKey.csatPromoters, withBit(M.promoter)],
    [drillKey.csatSurveys, withBit(M.surveyed)],
    [drillKey.csatResponded, withBit(M.responded)],
    [drillKey.afterHours, withBit(M.afterHours)],
    [drillKey.switched, withBit(M.switched)],
    [drillKey.slaBreached, withBit(M.breached)],
  ] as const) {
    lazily(drill, key, list)
  }
  SlaTarget.options.forEach((target, t) => {
    if (tally[M.breachedTarget + t]! > 0) lazily(drill, drillKey.slaBreachedTarget(target), withBit(M.breachedTarget + t))
  })
  const created = tally[M.created]!
  const resolved = tally[M.resolved]!
  const fcr = tally[M.fcr]!
  const reopened = tally[M.reopened]!
  const answers = tally[M.answered]!
  const promoters = tally[M.promoter]!
  const surveyed = tally[M.surveyed]!
  const responded = tally[M.responded]!
  const afterHours = tally[M.afterHours]!

  const seenInList = scratch.i32(n, -1)
  const agents = tallies
    .filter((t) => t.counted)
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((t, a) => agentRow(t, ids, drill, seenInList, a * LISTED.length))

  const topPaths: ChannelPath[] = [...paths.entries()]
    .sort(([a, x], [b, y]) => y.ids.length - x.ids.length || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, TOP_PATHS)
    .map(([path, { channels: route, ids: pathIds }]) => {
      drill[drillKey.path(path)] = pathIds
      return { path, channels: route, conversations: pathIds.length }
    })

  return {
    query,
    created,
    resolved,
    firstResponse: { samples: firstResponseCalendar.length, calendar: percentiles(firstResponseCalendar), business: percentiles(firstResponseBusiness) },
    resolution: { samples: resolutionCalendar.length, calendar: percentiles(resolutionCalendar), business: percentiles(resolutionBusiness) },
    firstContactResolution: { resolved, firstContact: fcr, rate: share(fcr, resolved) },
    reopens: { reopened, resolved, rate: resolved === 0 ? null : reopened / resolved },
    csat: {
      answers,
      promoters,
      share: share(promoters, answers),
      surveys: surveyed,
      responded,
      responseRate: share(responded, surveyed),
    },
    sla: { breached: tally[M.breached]!, byTarget: Object.fromEntries(SlaTarget.options.map((target, t) => [target, tally[M.breachedTarget + t]!])) as Record<SlaTarget, number> },
    volume: days.map((day, d) => ({
      day: day.iso,
      counts: Object.fromEntries(
        CHANNELS.map((channel, c) => {
          const cell = d * CHANNELS.length + c
          if (volumeCounts[cell]! > 0) lazily(drill, drillKey.volume(day.iso, channel), listed((k) => volumeCell[k] === cell))
          return [channel, volumeCounts[cell]!]
        }),
      ) as Record<Channel, number>,
    })),
    heat: Array.from({ length: 7 }, (_, w) => ({
      weekday: w + 1,
      hours: Array.from({ length: 24 }, (_, hour) => {
        const cell = w * 24 + hour
        if (heatCounts[cell]! > 0) lazily(drill, drillKey.heat(w + 1, hour), listed((k) => heatCell[k] === cell))
        return heatCounts[cell]!
      }),
    })),
    afterHours: { created, afterHours, share: share(afterHours, created) },
    agents,
    switching: {
      customers,
      switchedCustomers,
      rate: share(switchedCustomers, customers),
      conversations: tally[M.switched]!,
      paths: topPaths,
    },
    drill,
  }
}

/** Conversations by number to their ids, once each, in order. */
function conversationIds(numbers: readonly number[], ids: readonly string[]): string[] {
  const sorted = Int32Array.from(numbers).sort()
  const out: string[] = []
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(ids[sorted[i]!]!)
  return out
}

/**
 * An agent's row, its conversations put in `drill`. Their ids are listed only when a drill-down
 * reads them (`lazily`): a report is computed on every change of range or filter, and its agents'
 * lists are opened now and then. Their sizes are counted here: `seen` holds, per conversation,
 * the last list that counted it (lists are numbered from `stamp`).
 */
function agentRow(t: AgentTally, ids: readonly string[], drill: Record<string, string[]>, seen: Int32Array, stamp: number): AgentRow {
  const keep = (figure: AgentFigure, count: number, list: () => string[]) => {
    if (count > 0) lazily(drill, drillKey.agent(t.id, figure), list)
  }
  const counts = t.lists.map((list, f) => distinctCount(list, seen, stamp + f))
  const lists = t.lists.map((list) => once(() => conversationIds(list, ids)))
  LISTED.forEach((figure, f) => keep(figure, counts[f]!, lists[f]!))
  keep('resolution', counts[RESOLVED_BY]!, lists[RESOLVED_BY]!)
  if (t.answers.length > 0) drill[drillKey.agent(t.id, 'csat.answers')] = t.answers
  if (t.promoters.length > 0) drill[drillKey.agent(t.id, 'csat.promoters')] = t.promoters
  return {
    agentId: t.id,
    assigned: counts[ASSIGNED]!,
    replies: t.replies,
    resolved: counts[RESOLVED_BY]!,
    firstResponse: { calendar: median(t.firstResponseCalendar), business: median(t.firstResponseBusiness) },
    resolution: { calendar: median(t.resolutionCalendar), business: median(t.resolutionBusiness) },
    csat: { answers: t.answers.length, promoters: t.promoters.length, share: share(t.promoters.length, t.answers.length) },
  }
}

/** How many conversations a list holds, each once. */
function distinctCount(numbers: readonly number[], seen: Int32Array, stamp: number): number {
  let count = 0
  for (const k of numbers) {
    if (seen[k] === stamp) continue
    seen[k] = stamp
    count++
  }
  return count
}

function once<T>(make: () => T): () => T {
  let value: { made: T } | null = null
  return () => (value ??= { made: make() }).made
}

/** A property whose value is made when it is first read, and kept. */
function lazily<T>(target: Record<string, T>, key: string, make: () => T): void {
  Object.defineProperty(target, key, { enumerable: true, configurable: true, get: make })
}

/** The channels a conversation went through, when it changed channel within 7 days of its creation; else null. */
function switchedRoute(columns: EventColumns, moves: readonly number[], creation: number): Channel[] | null {
  const createdAt = columns.at[creation]!
  const after = moves.filter((i) => columns.at[i]! >= createdAt)
  if (!after.some((i) => columns.at[i]! <= createdAt + SWITCH_WINDOW_MS)) return null
  // Positions are in order already.
  return [CHANNELS[columns.channel[creation]!]!, ...after.map((i) => CHANNELS[columns.channel[i]!]!)]
}
