import type { Database } from 'better-sqlite3'
import type { SavedView } from '../../shared/domain'
import { MUTATION_ARGS, type MutationArgs } from '../../shared/mutations'
import { getEntity, listOutboxByName, writeLocalEntity, type OutboxRow } from '../db/queries'

/**
 * Saved views saved or deleted on this device before the server took it: shown at once, as
 * the server will store them (view-mutations.ts), and kept over newer server rows until then.
 */

export const VIEW_ACTIONS = ['saveView', 'deleteView'] as const

export function isViewAction(row: Pick<OutboxRow, 'name'>): boolean {
  return (VIEW_ACTIONS as readonly string[]).includes(row.name)
}

export function applyViewLocally(db: Database, row: OutboxRow, ownerId: string | null): void {
  if (row.name === 'saveView') {
    const args = MUTATION_ARGS.saveView.parse(row.args) as MutationArgs<'saveView'>
    const existing = getEntity(db, 'savedView', args.viewId)?.current
    // Someone else's view is refused by the server; the agent sees their attempt fail, not the view change.
    if (!ownerId || (existing && existing.ownerId !== ownerId)) return
    const view: SavedView = {
      id: args.viewId,
      name: args.name,
      ownerId,
      team: args.team,
      filters: args.filters,
      createdAt: existing?.createdAt ?? row.createdAt,
      updatedAt: Math.max(existing?.updatedAt ?? 0, row.createdAt),
      deletedAt: null,
    }
    writeLocalEntity(db, 'savedView', view)
    return
  }
  if (row.name === 'deleteView') {
    const args = MUTATION_ARGS.deleteView.parse(row.args) as MutationArgs<'deleteView'>
    const existing = getEntity(db, 'savedView', args.viewId)?.current
    if (!existing || existing.deletedAt !== null || existing.ownerId !== ownerId) return
    writeLocalEntity(db, 'savedView', { ...existing, deletedAt: row.createdAt, updatedAt: Math.max(existing.updatedAt, row.createdAt) })
  }
}

/** Re-applies the queued view actions over the view rows just written by the sync. */
export function rebaseViews(db: Database, ownerId: string | null): void {
  for (const row of listOutboxByName(db, VIEW_ACTIONS)) applyViewLocally(db, row, ownerId)
}
