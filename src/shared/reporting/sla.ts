import { z } from 'zod'
import type { Conversation } from '../domain'
import { PRIORITIES } from '../domain-values'
import { Timestamp } from '../primitives'
import { addBusinessMillis, businessMillisBetween, type BusinessHours } from './business-hours'
import type { SlaTarget } from './events'
import { SLA_CLOCKS as CLOCKS, type SlaClockKey as ClockKey } from './sla-due'

/**
 * Service levels: how soon a team promises to answer and resolve, in business time of the
 * conversation's inbox. A policy sets up to three targets; each conversation carries the state of
 * its clocks, which the server moves on every write of the conversation (and the breach service
 * when a due time passes), so every client shows the same state without computing it.
 */

const MINUTE_MS = 60_000

const targetMinutes = (name: string) =>
  z
    .number({ error: `${name} must be a number of business minutes` })
    .int(`${name} must be a whole number of business minutes`)
    .positive(`${name} must be at least 1 business minute`)
    .max(525_600, `${name} must be at most a year (525600 minutes)`)
    .optional()

const names = (what: string) =>
  z
    .array(z.string().trim().min(1, `an SLA policy's ${what} cannot be empty names`))
    .min(1, `an SLA policy's ${what}, when given, must name at least one; leave it out to match any`)
    .optional()

export const SlaPolicy = z
  .strictObject(
    {
      name: z.string({ error: 'an SLA policy needs a name' }).trim().min(1, 'an SLA policy needs a name'),
      /** The inboxes it covers; absent: any. */
      inboxes: names('inboxes'),
      /** The teams it covers; absent: any (a conversation with no team too). */
      teams: names('teams'),
      priorities: z
        .array(z.enum(PRIORITIES, { error: `an SLA policy's priorities are ${PRIORITIES.join(', ')}` }))
        .min(1, "an SLA policy's priorities, when given, must name at least one; leave them out to match any")
        .optional(),
      /** From when the conversation began to the first human reply. */
      firstResponseMinutes: targetMinutes('firstResponseMinutes'),
      /** From each customer message after a reply that is left unanswered, to the next reply. */
      nextResponseMinutes: targetMinutes('nextResponseMinutes'),
      /** From when the conversation began (or was reopened) to its resolution. */
      resolutionMinutes: targetMinutes('resolutionMinutes'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `an SLA policy has no ${issue.keys.map((k) => `"${k}"`).join(', ')}` : undefined) },
  )
  .refine((p) => p.firstResponseMinutes !== undefined || p.nextResponseMinutes !== undefined || p.resolutionMinutes !== undefined, {
    error: (issue) =>
      `SLA policy "${String((issue.input as { name?: unknown }).name)}" sets no target: give firstResponseMinutes, nextResponseMinutes or resolutionMinutes`,
  })
export type SlaPolicy = z.infer<typeof SlaPolicy>

export const SlaPolicies = z
  .array(SlaPolicy)
  .max(500, 'at most 500 SLA policies')
  .refine((list) => new Set(list.map((p) => p.name)).size === list.length, { message: 'SLA policy names must be unique' })

/**
 * The policy covering a conversation. A policy matches when every criterion it gives holds (an
 * absent one matches anything); of those matching, the most specific wins: one naming the inbox
 * beats any that does not, then one naming the team, then one naming the priority; between equals,
 * the first listed. So `{inboxes: [support]}` beats `{teams: [billing], priorities: [urgent]}`.
 */
export function slaPolicyFor(policies: readonly SlaPolicy[], conversation: Pick<Conversation, 'inbox' | 'team' | 'priority'>): SlaPolicy | null {
  let best: SlaPolicy | null = null
  let bestRank = -1
  for (const policy of policies) {
    if (policy.inboxes && !policy.inboxes.includes(conversation.inbox)) continue
    if (policy.teams && (conversation.team === null || !policy.teams.includes(conversation.team))) continue
    if (policy.priorities && !policy.priorities.includes(conversation.priority)) continue
    const rank = (policy.inboxes ? 4 : 0) + (policy.teams ? 2 : 0) + (policy.priorities ? 1 : 0)
    if (rank > bestRank) {
      best = policy
      bestRank = rank
    }
  }
  return best
}

export const SlaClockState = z.enum(['active', 'paused', 'achieved', 'breached'])
export type SlaClockState = z.infer<typeof SlaClockState>

/** One target's clock. */
export const SlaClock = z.object({
  /** When it started: the conversation began, the customer's unanswered message, a reopen. */
  startedAt: Timestamp,
  /** When it falls due; null while paused (and for a schedule that never opens again). */
  dueAt: Timestamp.nullable(),
  state: SlaClockState,
  /** While paused: the business time it had left. */
  remainingMs: z.number().int().nonnegative().nullable(),
})
export type SlaClock = z.infer<typeof SlaClock>

export const ConversationSla = z.object({
  /** The policy that matched at the last write; its targets start the clocks started since. */
  policy: z.string(),
  /** Whether a human reply has happened: next-response clocks start only after the first. */
  replied: z.boolean(),
  firstResponse: SlaClock.nullable(),
  nextResponse: SlaClock.nullable(),
  resolution: SlaClock.nullable(),
})
export type ConversationSla = z.infer<typeof ConversationSla>


export interface SlaWrite {
  /** The policy covering the conversation after the write (slaPolicyFor); null: no service level. */
  policy: SlaPolicy | null
  /** The inbox's business hours; null: around the clock. */
  hours: BusinessHours | null
  /** The conversation's SLA before the write (null for a new one or one without). */
  previous: ConversationSla | null
  before: Conversation | null
  after: Conversation
  /** Whether a human reply was written in this write. */
  humanReply: boolean
  /** When the write happens. */
  at: number
}

export interface SlaStep {
  sla: ConversationSla | null
  /** Targets that passed unmet in this write, each with the moment it did (its due time). */
  breached: { target: SlaTarget; at: number }[]
}

/**
 * The conversation's SLA after a write. In order: clocks whose due time has passed breach (a reply
 * at the due time is late); a human reply achieves the first and next response; resolving
 * achieves the resolution and ends the response clocks (nobody owes an answer); new clocks start
 * (first response and resolution when a conversation the customer started begins, next response
 * when the customer writes unanswered after a reply, resolution again on a reopen); then pending
 * and snoozed pause every running clock, keeping its business time left, and open resumes them.
 */
export function nextSla(write: SlaWrite): SlaStep {
  const { policy, hours, previous, before, after, humanReply, at } = write
  if (!policy) return { sla: null, breached: [] }
  const clocks: Record<ClockKey, SlaClock | null> = {
    firstResponse: previous?.firstResponse ?? null,
    nextResponse: previous?.nextResponse ?? null,
    resolution: previous?.resolution ?? null,
  }
  const breached: SlaStep['breached'] = []
  const breach = (): void => {
    for (const { key, target } of CLOCKS) {
      const clock = clocks[key]
      if (clock?.state === 'active' && clock.dueAt !== null && clock.dueAt <= at) {
        clocks[key] = { ...clock, state: 'breached' }
        breached.push({ target, at: clock.dueAt })
      }
    }
  }
  const start = (key: ClockKey, minutes: number | undefined, from: number): void => {
    if (minutes === undefined) return
    clocks[key] = { startedAt: from, dueAt: addBusinessMillis(hours, from, minutes * MINUTE_MS), state: 'active', remainingMs: null }
  }
  const achieve = (key: ClockKey): void => {
    const clock = clocks[key]
    if (clock && (clock.state === 'active' || clock.state === 'paused')) clocks[key] = { ...clock, state: 'achieved', remainingMs: null }
  }
  const running = (clock: SlaClock | null): boolean => clock?.state === 'active' || clock?.state === 'paused'

  breach()
  if (humanReply) {
    achieve('firstResponse')
    achieve('nextResponse')
  }
  const replied = (previous?.replied ?? false) || humanReply
  const resolved = after.status === 'resolved'
  if (resolved && before?.status !== 'resolved') {
    achieve('resolution')
    for (const key of ['firstResponse', 'nextResponse'] as const) if (running(clocks[key])) clocks[key] = null
  }

  if (!before) {
    // It began with its first item, which may be older than the row; one an agent started owes no first response.
    const began = Math.min(after.createdAt, after.lastMessageAt)
    if (after.waitingSince !== null) start('firstResponse', policy.firstResponseMinutes, began)
    if (!resolved) start('resolution', policy.resolutionMinutes, began)
  } else if (before.status === 'resolved' && !resolved) {
    start('resolution', policy.resolutionMinutes, at)
  }
  const newWait = after.waitingSince !== null && (before?.waitingSince ?? null) === null
  if (newWait && !resolved) {
    if (replied) {
      if (!running(clocks.nextResponse)) start('nextResponse', policy.nextResponseMinutes, after.waitingSince!)
    } else if (before && clocks.firstResponse === null) {
      // Never answered, and its first-response clock ended (resolved unanswered, then reopened) or never started.
      start('firstResponse', policy.firstResponseMinutes, after.waitingSince!)
    }
  }
  // A clock started in the past (an email fetched late) may be due already.
  breach()

  const paused = after.status === 'pending' || after.status === 'snoozed'
  for (const { key } of CLOCKS) {
    const clock = clocks[key]
    if (paused && clock?.state === 'active') {
      const remainingMs = clock.dueAt === null ? null : businessMillisBetween(hours, at, clock.dueAt)
      clocks[key] = { ...clock, state: 'paused', dueAt: null, remainingMs }
    } else if (!paused && clock?.state === 'paused') {
      const dueAt = clock.remainingMs === null ? null : addBusinessMillis(hours, at, clock.remainingMs)
      clocks[key] = { ...clock, state: 'active', dueAt, remainingMs: null }
    }
  }

  return { sla: { policy: policy.name, replied, ...clocks }, breached }
}
