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

/** Where percentiles reorder a copy of their values: one at a time, so one buffer serves them all. */
let selecting = new Float64Array(1024)

/** Nearest-rank percentiles (see `Percentiles`) in increasing order of `ps`, without sorting the values. */
function nearestRanks(samples: Samples, ps: readonly number[]): (number | null)[] {
  const n = samples.length
  if (n === 0) return ps.map(() => null)
  if (selecting.length < n) selecting = new Float64Array(Math.ceil(n * 1.25))
  const a = selecting.subarray(0, n)
  a.set(samples.values.subarray(0, n))
  let left = 0
  return ps.map((p) => {
    const k = Math.max(0, Math.ceil(p * n) - 1)
    select(a, k, left, n - 1)
    // Everything after k is at least a[k], so the next, higher rank is found among those.
    left = k
    return a[k]!
  })
}

function percentiles(samples: Samples): Percentiles {
  const [median = null, p90 = null] = nearestRanks(samples, [0.5, 0.9])
  return { median, p90 }
}

const median = (samples: Samples): number | null => nearestRanks(samples, [0.5])[0] ?? null

const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole)

// ——— Local days and hours ———

interface LocalDay {
  start: number
  iso: string
  weekday: number
  /** The zone's offset all day long; null on a day the clocks change, read event by event. */
  offsetMs: number | null
  /** Local midnight at that offset, as an instant: before `start` on a day whose midnight the clocks skipped. */
  midnight: number
}

/** The days of the last few ranges: finding a month's offsets takes a millisecond, and a supervisor goes back and forth between ranges. */
const recentDays = new Map<string, readonly LocalDay[]>()
const RECENT_RANGES = 8

function localDaysOf(from: number, to: number, timeZone: string): readonly LocalDay[] {
  const key = `${timeZone} ${from} ${to}`
  let days = recentDays.get(key)
  if (days === undefined) {
    days = localDays(from, to, timeZone)
    if (recentDays.size === RECENT_RANGES) recentDays.delete(recentDays.keys().next().value!)
    recentDays.set(key, days)
  }
  return days
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
      midnight: Math.floor((start + offsetMs) / DAY_MS) * DAY_MS - offsetMs,
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

/** The local hour of `at` on `day`, the day it falls on. */
function localHour(day: LocalDay, at: number, zone: string): number {
  if (day.offsetMs === null) return DateTime.fromMillis(at, { zone }).hour
  // The day keeps one offset: the hour is the hours since its local midnight.
  return Math.floor((at - day.midnight) / HOUR_MS)
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

/** Its durations are the same four as a whole report's. */
interface AgentTally extends ReportSamples {
  id: string
  /** An event in the range is about them in a way the table shows, so they have a row. */
  counted: boolean
  replies: number
  /** The conversations of each of LISTED, by number, in the order met and perhaps repeated. */
  lists: IntList[]
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
  private readonly lists = { samples: [] as Samples[], ints: [] as IntList[] }
  private readonly listsUsed = { samples: 0, ints: 0 }

  /** Starts a report: every array is free again. */
  reset(): void {
    this.used.i32 = this.used.f64 = this.used.u8 = 0
    this.listsUsed.samples = this.listsUsed.ints = 0
  }

  /** An empty list of durations. */
  samples(): Samples {
    return this.list('samples', () => new Samples())
  }

  /** An empty list of numbers. */
  ints(): IntList {
    return this.list('ints', () => new IntList())
  }

  private list<K extends keyof Scratch['lists'], L extends Scratch['lists'][K][number]>(kind: K, make: () => L): L {
    const pool = this.lists[kind] as L[]
    const list = (pool[this.listsUsed[kind]++] ??= make())
    list.length = 0
    return list
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
 * Where reports keep what their drill-downs read once they are made: per conversation, the
 * figures it counts in and its cells of the charts, and the agents' and paths' lists. Over a
 * month of a busy team these are megabytes a report, and allocated afresh at each one they were
 * outside V8's heap, whose pressure set off a full collection of the whole heap every few
 * reports. A report keeps its drill-downs until the next report made in the same memory: a
 * caller that reads only its latest report (the client core) passes one memory to them all; by
 * default each report has its own.
 */
export class ReportMemory {
  /** @internal */
  readonly arrays = new Scratch()
}

/** A full array's values in one twice as long. */
function doubled<A extends Float64Array | Int32Array>(a: A): A {
  const grown = new (a.constructor as new (n: number) => A)(a.length * 2)
  grown.set(a)
  return grown
}

/** Durations measured, as numbers in a growing typed array: a report gathers hundreds of thousands, which as arrays of numbers made garbage. */
class Samples {
  values = new Float64Array(64)
  length = 0

  /** Keeps a measurement; NaN, a duration not measured, is left out. */
  add(value: number): void {
    if (Number.isNaN(value)) return
    if (this.length === this.values.length) this.values = doubled(this.values)
    this.values[this.length++] = value
  }
}

/** Whole numbers (conversations by number, positions of events), in a growing typed array, for the same reason. */
class IntList {
  values = new Int32Array(16)
  length = 0

  push(value: number): void {
    if (this.length === this.values.length) this.values = doubled(this.values)
    this.values[this.length++] = value
  }
}

/**
 * Events of one kind for each conversation of a report, in the order met, as lists linked
 * through typed arrays from the working arrays' pool: a map of arrays, one per conversation,
 * was most of what a report left for the garbage collector.
 */
class EventLists {
  /** Per conversation, its latest entry, or -1. */
  private readonly last: Int32Array
  /** Per entry, the entry before it of the same conversation, or -1. */
  private readonly previous: IntList
  /** Per entry, the event's position in the columns. */
  private readonly positions: IntList

  constructor(conversations: number) {
    this.last = scratch.i32(conversations, -1)
    this.previous = scratch.ints()
    this.positions = scratch.ints()
  }

  add(k: number, position: number): void {
    this.previous.push(this.last[k]!)
    this.last[k] = this.positions.length
    this.positions.push(position)
  }

  /** Conversation `k`'s latest entry, or -1; `before` steps back from there. */
  latest(k: number): number {
    return this.last[k]!
  }

  before(entry: number): number {
    return this.previous.values[entry]!
  }

  position(entry: number): number {
    return this.positions.values[entry]!
  }
}

/**
 * The agents a report meets, by their number in the columns' names, with their tallies. The
 * event pass calls these methods for most events: as methods of one class rather than closures
 * made afresh by each report, their call sites see one target from one report to the next, and
 * V8's optimized pass is not thrown away at each new report.
 */
class AgentTallies {
  readonly tallies: AgentTally[] = []
  private readonly number: Int32Array
  /** The last agent listed for each conversation under each figure: most repeats stop here, the rest when the lists are built. */
  private readonly lastListed: Int32Array[]

  constructor(
    private readonly names: readonly string[],
    conversations: number,
  ) {
    this.number = scratch.i32(names.length, -1)
    this.lastListed = LISTED.map(() => scratch.i32(conversations, -1))
  }

  /** The agent of this name's number, counted from 0 in the order met. */
  of(name: number): number {
    let a = this.number[name]!
    if (a < 0) {
      a = this.tallies.length
      this.number[name] = a
      this.tallies.push({
        id: this.names[name]!,
        counted: false,
        replies: 0,
        lists: LISTED.map(() => scratch.ints()),
        ...reportSamples(),
        answers: [],
        promoters: [],
      })
    }
    return a
  }

  /** Conversation `k` in agent `a`'s list for `figure` (one of LISTED). */
  list(k: number, a: number, figure: number): AgentTally {
    const t = this.tallies[a]!
    t.counted = true
    const last = this.lastListed[figure]!
    if (last[k] !== a) {
      last[k] = a
      t.lists[figure]!.push(k)
    }
    return t
  }
}

/** Which figures each conversation of a report counts in, as bits of one word, and how many count in each. */
class Membership {
  private readonly member: Int32Array
  readonly tally = new Int32Array(MEMBER_BITS)

  constructor(conversations: number, kept: Scratch) {
    this.member = kept.i32(conversations, 0)
  }

  add(k: number, bit: number): void {
    this.member[k]! |= 1 << bit
    this.tally[bit]!++
  }

  has(k: number, bit: number): boolean {
    return (this.member[k]! & (1 << bit)) !== 0
  }
}

/** The durations of a whole report, or of one agent's share of it. */
interface ReportSamples {
  firstResponseCalendar: Samples
  firstResponseBusiness: Samples
  resolutionCalendar: Samples
  resolutionBusiness: Samples
}

function reportSamples(): ReportSamples {
  return {
    firstResponseCalendar: scratch.samples(),
    firstResponseBusiness: scratch.samples(),
    resolutionCalendar: scratch.samples(),
    resolutionBusiness: scratch.samples(),
  }
}

/**
 * The conversations of a report's window, numbered from 0 in the order of their earliest event
 * there, so that going through them by number lists every drill-down in that order. They are
 * held as their numbers in the columns' dictionary, not as a list of ids: a report is made at
 * every change of range or filter, and a hundred thousand ids a time was garbage to collect.
 */
class WindowConversations {
  constructor(
    /** The number of each event's conversation, from the window's first event. */
    readonly of: Int32Array,
    private readonly numbers: Int32Array,
    private readonly all: readonly string[],
  ) {}

  get size(): number {
    return this.numbers.length
  }

  id(k: number): string {
    return this.all[this.numbers[k]!]!
  }

  /** The ids of those `keep` lets through, in order. */
  ids(keep: (k: number) => boolean): string[] {
    const out: string[] = []
    for (let k = 0; k < this.numbers.length; k++) if (keep(k)) out.push(this.id(k))
    return out
  }
}

function indexConversations(columns: EventColumns, lo: number, hi: number, kept: Scratch): WindowConversations {
  const all = columns.dictionaries.conversations.values
  const local = scratch.i32(all.length, -1)
  const numbers = scratch.i32(all.length, 0)
  const of = scratch.i32(hi - lo, 0)
  let n = 0
  for (let i = lo; i < hi; i++) {
    const c = columns.conversation[i]!
    let k = local[c]!
    if (k < 0) {
      k = n++
      local[c] = k
      numbers[k] = c
    }
    of[i - lo] = k
  }
  // Read by the report's drill-downs, so copied out of the working arrays.
  return new WindowConversations(of, copied(numbers.subarray(0, n), kept), all)
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

/** What decides whether an event counts in a report: its time, and the filters on its conversation and its own fields. */
interface EventFilter {
  from: number
  to: number
  /** Per conversation by number: 1 when the labels filter lets it through; null for no labels filter. */
  labelled: Uint8Array | null
  inboxes: Uint8Array | null
  channels: Uint8Array | null
  teams: Uint8Array | null
  agents: Uint8Array | null
}

/**
 * What one report gathers about each conversation of its window, by number. Events come in
 * order, so a conversation's first event of a kind is the first met and its latest the last.
 */
class ConversationWork {
  readonly flags: Uint8Array
  /** Its first creation event, and what the figures need of it, kept here so the end need not look the event up again. */
  readonly creation: Int32Array
  readonly creationBits: Uint8Array
  readonly firstResolutionAt: Float64Array
  readonly secondResolutionAt: Float64Array
  readonly firstResolutionCounts: Uint8Array
  readonly answer: Int32Array
  /** The SLA targets it breached in the range, as bits by their number. */
  readonly breachedTargets: Uint8Array
  /** Its first survey in the range, and its latest answer of any time read. */
  readonly surveyAt: Float64Array
  readonly lastAnswerAt: Float64Array
  /** The customer on its latest event in the range: one a merge moved it to, rather than the one it was merged out of. */
  readonly customer: Int32Array
  readonly reopens: EventLists
  readonly switches: EventLists
  /** The two agents who handled it earliest, with the time each first did: enough to tell whether one agent alone had by any time. */
  readonly firstAgent: Int32Array
  readonly firstAgentAt: Float64Array
  readonly secondAgentAt: Float64Array

  constructor(n: number) {
    this.flags = scratch.u8(n, 0)
    this.creation = scratch.i32(n, -1)
    this.creationBits = scratch.u8(n, 0)
    this.firstResolutionAt = scratch.f64(n, NaN)
    this.secondResolutionAt = scratch.f64(n, Infinity)
    this.firstResolutionCounts = scratch.u8(n, 0)
    this.answer = scratch.i32(n, -1)
    this.breachedTargets = scratch.u8(n, 0)
    this.surveyAt = scratch.f64(n, Infinity)
    this.lastAnswerAt = scratch.f64(n, -Infinity)
    this.customer = scratch.i32(n, -1)
    this.firstAgent = scratch.i32(n, -1)
    this.firstAgentAt = scratch.f64(n, Infinity)
    this.secondAgentAt = scratch.f64(n, Infinity)
    this.reopens = new EventLists(n)
    this.switches = new EventLists(n)
  }
}

/** What the pass over the conversations makes of them: the figures each counts in, and the charts' cells. */
interface ConversationFigures {
  membership: Membership
  days: readonly LocalDay[]
  volumeCell: Int32Array
  heatCell: Int32Array
  volumeCounts: Int32Array
  heatCounts: Int32Array
  customers: number
  switchedCustomers: number
  /** By route (routeKey), its channels and conversations by number. */
  paths: Map<number | string, { channels: Channel[]; conversations: IntList }>
}

/*
 * The two passes are functions of their own, outside the report's: V8 optimizes a loop while it
 * runs and throws that code away when the function it is in meets something new, as the building
 * of a report's drill-downs does at each report. Apart, the passes keep their optimized code from
 * one report to the next.
 */

/** Each event of the window, once, into `work`, `agents` and `samples`. */
function passOverEvents(
  columns: EventColumns,
  lo: number,
  hi: number,
  of: Int32Array,
  filter: EventFilter,
  work: ConversationWork,
  agents: AgentTallies,
  samples: ReportSamples,
): void {
  const { from, to, labelled, inboxes, channels, teams, agents: agentsOnly } = filter
  const { at: atOf, kind: kindOf, customer: customerOf, agent: agentOfEvent, calendarMs: calendarOf, businessMs: businessOf } = columns
  const { flags, creation, creationBits, firstResolutionAt, secondResolutionAt, firstResolutionCounts, answer, breachedTargets, surveyAt, lastAnswerAt, customer, reopens, switches, firstAgent, firstAgentAt, secondAgentAt } = work
  const { firstResponseCalendar, firstResponseBusiness, resolutionCalendar, resolutionBusiness } = samples
  for (let i = lo; i < hi; i++) {
    const k = of[i - lo]!
    const at = atOf[i]!
    const kind = kindOf[i]!
    // The time first: it reads the columns in order, and the filters leave most events to it.
    const inRange =
      at >= from &&
      at < to &&
      (labelled === null || labelled[k] === 1) &&
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
        reopens.add(k, i)
        break
      }
      case K.csat_answered:
        lastAnswerAt[k] = at
        break
      case K.channel_switched: {
        flags[k]! |= EVER_SWITCHED
        switches.add(k, i)
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
    const a = handling && agentOfEvent[i]! >= 0 && at < to ? agents.of(agentOfEvent[i]!) : -1
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
        firstResponseCalendar.add(calendarOf[i]!)
        firstResponseBusiness.add(businessOf[i]!)
        if (a >= 0) {
          const t = agents.list(k, a, FIRST_RESPONSE_BY)
          t.firstResponseCalendar.add(calendarOf[i]!)
          t.firstResponseBusiness.add(businessOf[i]!)
        }
        break
      case K.reply:
        if (a >= 0) agents.list(k, a, REPLIED).replies++
        break
      case K.assigned:
        if (a >= 0) agents.list(k, a, ASSIGNED)
        break
      case K.resolved:
        flags[k]! |= RESOLVED
        resolutionCalendar.add(calendarOf[i]!)
        resolutionBusiness.add(businessOf[i]!)
        if (a >= 0) {
          const t = agents.list(k, a, RESOLVED_BY)
          t.resolutionCalendar.add(calendarOf[i]!)
          t.resolutionBusiness.add(businessOf[i]!)
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
}

/** Each conversation of the window, once: the figures it counts in, into `figures` and `agents`. */
function passOverConversations(
  columns: EventColumns,
  window: WindowConversations,
  work: ConversationWork,
  agents: AgentTallies,
  figures: ConversationFigures,
  timeZone: string,
): void {
  const { flags, creation, creationBits, firstResolutionAt, secondResolutionAt, firstResolutionCounts, answer, breachedTargets, surveyAt, lastAnswerAt, customer, reopens, switches, firstAgentAt, secondAgentAt } = work
  const { membership, days, volumeCell, heatCell, volumeCounts, heatCounts, paths } = figures
  const { at: atOf, agent: agentOfEvent } = columns
  const n = window.size
  // Customers by their number in the names dictionary: 1 with an event in the range, 2 switched too.
  const customerSeen = scratch.u8(columns.dictionaries.names.values.length, 0)
  for (let k = 0; k < n; k++) {
    const f = flags[k]!
    if ((f & ACTIVE) === 0) continue
    if (f & FIRST_RESPONDED) membership.add(k, M.firstResponded)
    if (f & REOPENED) membership.add(k, M.reopened)
    if (f & BREACHED) {
      membership.add(k, M.breached)
      for (let t = 0; t < SlaTarget.options.length; t++) if (breachedTargets[k]! & (1 << t)) membership.add(k, M.breachedTarget + t)
    }
    if (f & SURVEYED) {
      membership.add(k, M.surveyed)
      if (lastAnswerAt[k]! >= surveyAt[k]!) membership.add(k, M.responded)
    }

    // Created: once per conversation, by its first creation event, if that one counts.
    const made = creationBits[k]!
    if (made & COUNTS) {
      membership.add(k, M.created)
      const at = atOf[creation[k]!]!
      const d = dayIndex(days, at)
      const day = days[d]!
      const cell = d * CHANNELS.length + columns.channel[creation[k]!]!
      volumeCell[k] = cell
      volumeCounts[cell]!++
      const hour = (day.weekday - 1) * 24 + localHour(day, at, timeZone)
      heatCell[k] = hour
      heatCounts[hour]!++
      if (made & AFTER_HOURS) membership.add(k, M.afterHours)
    }

    if (f & RESOLVED) {
      membership.add(k, M.resolved)
      if (firstResolutionCounts[k] === 1) {
        const at = firstResolutionAt[k]!
        const end = at + REOPEN_HORIZON_MS
        // Undone within 7 days: reopened, or resolved again (its reopen unrecorded).
        const undone = secondResolutionAt[k]! <= end || ((f & EVER_REOPENED) !== 0 && reopenedBetween(columns, reopens, k, at, end))
        // One agent alone had handled it by then: the first to do so, and no second one yet.
        const oneAgent = firstAgentAt[k]! <= at && secondAgentAt[k]! > at
        if (!undone && oneAgent) membership.add(k, M.fcr)
      }
    }

    const a = answer[k]!
    if (a >= 0) {
      const promoter = columns.rating[a]! >= SATISFIED_FROM
      membership.add(k, M.answered)
      if (promoter) membership.add(k, M.promoter)
      if (agentOfEvent[a]! >= 0) {
        const t = agents.tallies[agents.of(agentOfEvent[a]!)]!
        t.counted = true
        t.answers.push(window.id(k))
        if (promoter) t.promoters.push(window.id(k))
      }
    }

    const who = customer[k]!
    if (who >= 0 && customerSeen[who] === 0) {
      customerSeen[who] = 1
      figures.customers++
    }

    if ((f & EVER_SWITCHED) !== 0 && creation[k]! >= 0) {
      const length = switchedRoute(columns, switches, k, creation[k]!)
      if (length > 0) {
        membership.add(k, M.switched)
        if (who >= 0 && customerSeen[who] === 1) {
          customerSeen[who] = 2
          figures.switchedCustomers++
        }
        const key = routeKey(length)
        let entry = paths.get(key)
        if (!entry) paths.set(key, (entry = { channels: routeChannels(length), conversations: scratch.ints() }))
        entry.conversations.push(k)
      }
    }
  }
}

/**
 * The report for `query` from events `lo` to `hi` of `columns`: the client core's cache keeps
 * its events as columns and passes the range's, and a week either side. Its drill-downs read
 * `memory` until the next report made in it.
 */
export function reportOverColumns(
  columns: EventColumns,
  lo: number,
  hi: number,
  conversations: ReadonlyMap<string, { labels: readonly string[] }>,
  query: ReportQuery,
  memory: ReportMemory = new ReportMemory(),
): Report {
  const { from, to, timeZone } = query
  const channelFilter = set(query.filters?.channels)
  const labels = query.filters?.labels ?? null

  scratch.reset()
  const kept = memory.arrays
  kept.reset()
  const window = indexConversations(columns, lo, hi, kept)
  const n = window.size
  let labelled: Uint8Array | null = null
  if (labels !== null) {
    labelled = scratch.u8(n, 0)
    for (let k = 0; k < n; k++) {
      const has = conversations.get(window.id(k))?.labels ?? []
      labelled[k] = labels.some((l) => has.includes(l)) ? 1 : 0
    }
  }
  const filter: EventFilter = {
    from,
    to,
    labelled,
    inboxes: memberTable(columns, query.filters?.inboxes),
    channels: channelFilter ? Uint8Array.from(CHANNELS, (c) => (channelFilter.has(c) ? 1 : 0)) : null,
    teams: memberTable(columns, query.filters?.teams),
    agents: memberTable(columns, query.filters?.agents),
  }

  const work = new ConversationWork(n)
  const samples = reportSamples()
  const agents = new AgentTallies(columns.dictionaries.names.values, n)
  passOverEvents(columns, lo, hi, window.of, filter, work, agents, samples)

  const days = localDaysOf(from, to, timeZone)
  // Which figures each conversation counts in, as bits, and its cells of the volume chart and the
  // heat map: the lists of ids behind the figures are made from these only when a drill-down reads
  // them, so a report allocates no list of a hundred thousand ids for each of its figures.
  const figures: ConversationFigures = {
    membership: new Membership(n, kept),
    days,
    volumeCell: kept.i32(n, -1),
    heatCell: kept.i32(n, -1),
    volumeCounts: scratch.i32(days.length * CHANNELS.length, 0),
    heatCounts: scratch.i32(7 * 24, 0),
    customers: 0,
    switchedCustomers: 0,
    paths: new Map(),
  }
  passOverConversations(columns, window, work, agents, figures, timeZone)
  const { membership, volumeCell, heatCell, volumeCounts, heatCounts, paths, customers, switchedCustomers } = figures
  const { tally } = membership
  const { firstResponseCalendar, firstResponseBusiness, resolutionCalendar, resolutionBusiness } = samples

  const drill: Record<string, string[]> = {}
  const listed = (keep: (k: number) => boolean) => once(() => window.ids(keep))
  const withBit = (bit: number) => listed((k) => membership.has(k, bit))
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
  const agentRows = agents.tallies
    .filter((t) => t.counted)
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((t, a) => agentRow(t, window, drill, seenInList, a * LISTED.length, kept))

  const topPaths: ChannelPath[] = [...paths.values()]
    .map(({ channels: route, conversations }) => ({ path: route.join(' → '), channels: route, conversations }))
    .sort((x, y) => y.conversations.length - x.conversations.length || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
    .slice(0, TOP_PATHS)
    .map(({ path, channels: route, conversations }) => {
      const numbers = copied(conversations.values.subarray(0, conversations.length), kept)
      lazily(drill, drillKey.path(path), () => conversationIds(numbers, window))
      return { path, channels: route, conversations: conversations.length }
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
    agents: agentRows,
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
function conversationIds(numbers: Int32Array, window: WindowConversations): string[] {
  const sorted = numbers.slice().sort()
  const out: string[] = []
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(window.id(sorted[i]!))
  return out
}

/**
 * An agent's row, its conversations put in `drill`. Their ids are listed only when a drill-down
 * reads them (`lazily`): a report is computed on every change of range or filter, and its agents'
 * lists are opened now and then. Their sizes are counted here: `seen` holds, per conversation,
 * the last list that counted it (lists are numbered from `stamp`).
 */
function agentRow(t: AgentTally, window: WindowConversations, drill: Record<string, string[]>, seen: Int32Array, stamp: number, kept: Scratch): AgentRow {
  const keep = (figure: AgentFigure, count: number, list: () => string[]) => {
    if (count > 0) lazily(drill, drillKey.agent(t.id, figure), list)
  }
  // The lists are working arrays the next report reuses: what the drill-downs read later is copied out, each conversation once.
  const distinct = t.lists.map((list, f) => copied(distinctNumbers(list, seen, stamp + f), kept))
  const counts = distinct.map((numbers) => numbers.length)
  const lists = distinct.map((numbers) => once(() => conversationIds(numbers, window)))
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

/** The conversations a list holds, each once, in the order met, over the list itself. */
function distinctNumbers(numbers: IntList, seen: Int32Array, stamp: number): Int32Array {
  let count = 0
  const out = numbers.values
  // Written over the list itself: the first occurrences never run ahead of the reading.
  for (let i = 0; i < numbers.length; i++) {
    const k = out[i]!
    if (seen[k] === stamp) continue
    seen[k] = stamp
    out[count++] = k
  }
  return out.subarray(0, count)
}

/** Numbers a report's drill-downs read once it is made, copied into the memory they are kept in. */
function copied(numbers: Int32Array, kept: Scratch): Int32Array {
  const copy = kept.i32(numbers.length, 0)
  copy.set(numbers)
  return copy
}

function once<T>(make: () => T): () => T {
  let value: { made: T } | null = null
  return () => (value ??= { made: make() }).made
}

/** A property whose value is made when it is first read, and kept. */
function lazily<T>(target: Record<string, T>, key: string, make: () => T): void {
  Object.defineProperty(target, key, { enumerable: true, configurable: true, get: make })
}

/** Whether conversation `k` was reopened from `from` to `to`, both included. */
function reopenedBetween(columns: EventColumns, reopens: EventLists, k: number, from: number, to: number): boolean {
  for (let e = reopens.latest(k); e >= 0; e = reopens.before(e)) {
    const at = columns.at[reopens.position(e)]!
    if (at >= from && at <= to) return true
  }
  return false
}

/** The route switchedRoute found last, as channel numbers: one buffer for every conversation of every report. */
let route = new Uint8Array(16)

/**
 * The channels conversation `k` went through, into `route`, when it changed channel within 7
 * days of its creation: how many (2 or more); else 0.
 */
function switchedRoute(columns: EventColumns, switches: EventLists, k: number, creation: number): number {
  const createdAt = columns.at[creation]!
  let hops = 0
  let soon = false
  // The list runs latest first: the switches since the creation are written from the end of the route.
  for (let e = switches.latest(k); e >= 0; e = switches.before(e)) {
    const at = columns.at[switches.position(e)]!
    if (at < createdAt) break
    hops++
    if (at <= createdAt + SWITCH_WINDOW_MS) soon = true
  }
  if (!soon) return 0
  if (route.length < hops + 1) route = new Uint8Array((hops + 1) * 2)
  route[0] = columns.channel[creation]!
  let h = hops
  for (let e = switches.latest(k); h > 0; e = switches.before(e)) route[h--] = columns.channel[switches.position(e)]!
  return hops + 1
}

/** The first `length` channels of `route` as one key: a number where it fits, else their names. */
function routeKey(length: number): number | string {
  let key = 0
  for (let h = 0; h < length; h++) {
    key = key * 8 + route[h]! + 1
    if (key > Number.MAX_SAFE_INTEGER / 8) return routeChannels(length).join(' → ')
  }
  return key
}

function routeChannels(length: number): Channel[] {
  return Array.from(route.subarray(0, length), (c) => CHANNELS[c]!)
}
