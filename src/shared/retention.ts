import { z } from 'zod'
import { Channel, Id, Timestamp } from './domain'

/**
 * Retention: how long the team keeps what customers wrote. A policy deletes the conversations of
 * an inbox and/or channel a number of days after their last activity; customers left with no
 * conversation are erased a number of days after their own last activity. The server applies
 * the rules once a day (and on demand), with a dry run that says what a run would delete.
 */

const Days = z.number().int().min(1, 'at least 1 day').max(36_500, 'at most 100 years')

export const RetentionRule = z.object({
  /** The inbox it covers; null: every inbox. */
  inbox: z.string().trim().min(1).max(200).nullable(),
  /** The channel it covers; null: every channel. */
  channel: Channel.nullable(),
  /** Conversations whose last activity is older than this many days are deleted. */
  deleteAfterDays: Days,
})
export type RetentionRule = z.infer<typeof RetentionRule>

export const RetentionSettings = z
  .object({
    /**
     * Which rule covers a conversation: the one naming both its inbox and its channel, else its
     * inbox, else its channel, else the one naming neither. At most one rule per inbox and channel.
     */
    rules: z.array(RetentionRule).max(200),
    /** Customers with no conversation left are erased this many days after their last activity; null: kept. */
    customersWithoutConversationsDays: Days.nullable(),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>()
    s.rules.forEach((r, i) => {
      const key = `${r.inbox ?? '*'}\u0000${r.channel ?? '*'}`
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['rules', i], message: `a second rule for inbox ${r.inbox ?? 'any'} and channel ${r.channel ?? 'any'}` })
      seen.add(key)
    })
  })
export type RetentionSettings = z.infer<typeof RetentionSettings>

export const NO_RETENTION: RetentionSettings = { rules: [], customersWithoutConversationsDays: null }

/** How specific a rule is: the rule a conversation falls under is its most specific match. */
const specificity = (r: RetentionRule): number => (r.inbox !== null ? 2 : 0) + (r.channel !== null ? 1 : 0)

/** The rule covering a conversation of this inbox and channel, or null when none does. */
export function ruleFor(rules: readonly RetentionRule[], inbox: string, channel: Channel): RetentionRule | null {
  let best: RetentionRule | null = null
  for (const r of rules) {
    if ((r.inbox !== null && r.inbox !== inbox) || (r.channel !== null && r.channel !== channel)) continue
    if (!best || specificity(r) > specificity(best)) best = r
  }
  return best
}

/** What one run deleted, or what a dry run would delete. Counts only: the log outlives what it deleted. */
export const RetentionRun = z.object({
  id: Id,
  startedAt: Timestamp,
  finishedAt: Timestamp,
  dryRun: z.boolean(),
  /** Who asked for it; null for the daily run. */
  requestedBy: Id.nullable(),
  conversations: z.number().int().nonnegative(),
  customers: z.number().int().nonnegative(),
  /** Per rule of the settings the run applied, the conversations it deleted. */
  byRule: z.array(z.object({ rule: RetentionRule, conversations: z.number().int().nonnegative() })),
  /** Why the run stopped early; it resumes where it stopped at the next run. */
  error: z.string().nullable(),
})
export type RetentionRun = z.infer<typeof RetentionRun>
