import { z } from 'zod'
import { Channel, Id, Timestamp } from '../primitives'

/**
 * Reporting events: what supervisors' figures are made of, recorded by the server in the same
 * write as the change they measure (never reconstructed later), so a figure means what happened
 * at the time — the inbox, team, channel and business hours in force then. They sync to the
 * caches of supervisors who may see their inbox; the client core and the server compute every
 * report from them with the same code (metrics.ts).
 */
export const REPORTING_EVENT_KINDS = [
  /** A conversation began (its first item arrived or an agent started it). */
  'conversation_created',
  /** The first human reply in a conversation: auto-replies, rule-sent templates and notes do not count. Measures the wait since the customer first wrote. */
  'first_response',
  /** Every human reply, the first included. Measures the customer's wait since their unanswered message. */
  'reply',
  /** The conversation was given to an agent (`agentId`), by anyone. */
  'assigned',
  /** The conversation was resolved. Measures the time since it began. */
  'resolved',
  /** A resolved conversation became unresolved again: the customer wrote, or an agent reopened it. */
  'reopened',
  /** An SLA target passed unmet (`slaTarget`). */
  'sla_breached',
  /** A satisfaction survey went to the customer: what the response rate is counted against. */
  'csat_sent',
  /** The customer answered a satisfaction survey (`rating`, 1–5). */
  'csat_answered',
  /** The customer wrote on another channel than before in this conversation (`fromChannel` → `channel`). */
  'channel_switched',
] as const
export const ReportingEventKind = z.enum(REPORTING_EVENT_KINDS)
export type ReportingEventKind = z.infer<typeof ReportingEventKind>

export const SlaTarget = z.enum(['first_response', 'next_response', 'resolution'])
export type SlaTarget = z.infer<typeof SlaTarget>

export const ReportingEvent = z.object({
  id: Id,
  kind: ReportingEventKind,
  conversationId: Id,
  /** Null once the customer is erased: the event still counts, anonymously. */
  customerId: Id.nullable(),
  /** The conversation's inbox at the time; who may see the event. */
  inbox: z.string(),
  /** The channel it happened on: the reply's, the switch's new one, else the conversation's. */
  channel: Channel,
  /** The conversation's team at the time. */
  team: z.string().nullable(),
  /** The agent it is about: who replied or resolved, who was assigned; else the conversation's assignee then. */
  agentId: Id.nullable(),
  at: Timestamp,
  /** The wait or span it measures, in calendar time (first response, reply, resolved); null for the others. */
  calendarMs: z.number().int().nonnegative().nullable(),
  /** The same within the inbox's business hours in force at the time; equal to calendarMs for an inbox open around the clock. */
  businessMs: z.number().int().nonnegative().nullable(),
  /** True when `at` fell outside the inbox's business hours. */
  afterHours: z.boolean(),
  /** channel_switched: the channel the customer left. */
  fromChannel: Channel.nullable(),
  /** csat_answered: the rating, 1 (worst) to 5. */
  rating: z.number().int().min(1).max(5).nullable(),
  /** sla_breached: which target passed. */
  slaTarget: SlaTarget.nullable(),
})
export type ReportingEvent = z.infer<typeof ReportingEvent>

/**
 * Whether a resolution holds is known only a while after it: one reopened within this long was
 * no first-contact resolution. A report therefore reads the events of this long either side of
 * its range (what happened before a resolution in the range counts too).
 */
export const REOPEN_HORIZON_MS = 7 * 86_400_000
