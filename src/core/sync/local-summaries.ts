import type { Database } from 'better-sqlite3'
import { MUTATION_ARGS, type MutationArgs } from '../../shared/mutations'
import { getEntity, listOutboxByName, type OutboxRow } from '../db/queries'
import { deleteRating, setRating } from '../db/summary-queries'

/**
 * The agent's actions on summaries, which belong to no conversation (their outbox rows carry
 * none): a rating shows at once as this device's rating row; a regeneration shows nothing
 * until the server's new story arrives (its outbox row is its pending state).
 */

export const SUMMARY_ACTIONS = ['regenerateSummary', 'rateSummary'] as const

export function isSummaryAction(row: Pick<OutboxRow, 'name'>): boolean {
  return (SUMMARY_ACTIONS as readonly string[]).includes(row.name)
}

const ratingArgs = (row: OutboxRow): MutationArgs<'rateSummary'> => MUTATION_ARGS.rateSummary.parse(row.args) as MutationArgs<'rateSummary'>

export function applySummaryLocally(db: Database, row: OutboxRow): void {
  if (row.name === 'rateSummary') setRating(db, ratingArgs(row))
}

/**
 * After a rating's outbox row is gone unsent: its rating goes, and the agent's other queued
 * rating of the same version (if any) shows again.
 */
export function discardSummaryLocally(db: Database, row: OutboxRow): void {
  if (row.name !== 'rateSummary') return
  const args = ratingArgs(row)
  deleteRating(db, args)
  for (const other of listOutboxByName(db, ['rateSummary'])) {
    const o = ratingArgs(other)
    if (o.summaryId === args.summaryId && o.generatedAt === args.generatedAt) setRating(db, o)
  }
}

/** The customer a summary action is about, for telling the UI what changed. */
export function customerOfSummaryAction(db: Database, row: OutboxRow): string | null {
  if (row.name === 'regenerateSummary') return MUTATION_ARGS.regenerateSummary.parse(row.args).customerId
  if (row.name === 'rateSummary') return getEntity(db, 'summary', ratingArgs(row).summaryId)?.current.customerId ?? null
  return null
}
